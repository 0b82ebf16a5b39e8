"""The name index (``models.search.NameIndex``): search keys of missing persons and donors.

Kept up to date by a session hook: whenever a missing person or a donor is inserted or changed,
its row in the index is rewritten in the same transaction (plain SQL: the index is derived from
the audited names, so it is not audited itself). ``rebuild`` recomputes every key.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, event, insert
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from labtrack.core import names
from labtrack.models import Donor, MissingPerson, NameIndex

KINDS: dict[type, str] = {MissingPerson: "missing_person", Donor: "donor"}


def key_of(person: Any) -> str:
    """The search key of a missing person (names, place of disappearance) or a donor (names)."""
    if isinstance(person, MissingPerson):
        return names.search_key(person.name_ar, person.name_latin, person.disappearance_place)
    return names.search_key(person.name_ar, person.name_latin)


def _rows(people: list[Any]) -> list[dict[str, Any]]:
    return [{"kind": KINDS[type(p)], "person_id": p.id, "search_key": key_of(p), "birth_year": p.birth_year}
            for p in people if p.id is not None]


def _write(connection: Any, rows: list[dict[str, Any]]) -> None:
    table = NameIndex.__table__  # type: ignore[attr-defined]
    for kind in {r["kind"] for r in rows}:
        ids = [r["person_id"] for r in rows if r["kind"] == kind]
        connection.execute(delete(table).where(table.c.kind == kind, table.c.person_id.in_(ids)))
    if rows:
        connection.execute(insert(table), rows)


def _after_flush(session: OrmSession, _context: object) -> None:
    people = [obj for obj in (*session.new, *session.dirty) if type(obj) in KINDS]
    if people:
        _write(session.connection(), _rows(people))


def install_hook() -> None:
    """Register the hook on every session (idempotent)."""
    if not event.contains(OrmSession, "after_flush", _after_flush):
        event.listen(OrmSession, "after_flush", _after_flush)


def rebuild(session: Session, batch: int = 2000) -> int:
    """Recompute every key (after a change of the keying rules); returns the number of people."""
    count = 0
    for model in KINDS:
        last = 0
        while people := list(session.exec(select(model).where(model.id > last).order_by(model.id).limit(batch))):
            _write(session.connection(), _rows(people))
            last, count = people[-1].id, count + len(people)
    session.commit()
    return count
