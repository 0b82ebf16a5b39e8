"""Linking two reports of one missing person (the same person reported by two families, or twice
by one, found by the duplicate warning or later).

    link(*, session, person_id, other_case_number, by, reason) -> MissingPersonLink
    withdraw(*, session, link_id, by, reason) -> MissingPersonLink
    links_of(session, person_id) -> list[LinkedReport]

Nothing is merged or lost: both reports keep their own record, history, family, donors and
inquiry codes; the link says they are one person and each report's page names the other. A link
is an append-only row, audited with the coordinator's reason; a wrong link is withdrawn by a new
row that references it (and the two may be linked again later, by another new row).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, col, select

from labtrack.core.errors import Conflict, NotFound, require_reason
from labtrack.core.messages import msg
from labtrack.models import MissingPerson, MissingPersonLink, User
from labtrack.services.transaction import write


@dataclass(frozen=True)
class LinkedReport:
    link_id: int
    person_id: int
    case_number: str
    reason: str
    at: object


def _active(session: Session, first_id: int | None = None, second_id: int | None = None,
            person_id: int | None = None) -> list[MissingPersonLink]:
    statement = select(MissingPersonLink).where(MissingPersonLink.kind == "same_person")
    if person_id is not None:
        statement = statement.where(or_(MissingPersonLink.first_id == person_id,
                                        MissingPersonLink.second_id == person_id))
    if first_id is not None:
        statement = statement.where(MissingPersonLink.first_id == first_id, MissingPersonLink.second_id == second_id)
    withdrawn = {w for w in session.exec(select(MissingPersonLink.withdraws_id)
                                         .where(col(MissingPersonLink.withdraws_id).is_not(None))) if w}
    return [row for row in session.exec(statement.order_by(col(MissingPersonLink.id))) if row.id not in withdrawn]


def link(*, session: Session, person_id: int, other_case_number: str, by: User, reason: str) -> MissingPersonLink:
    """Record that report ``person_id`` and the report ``other_case_number`` are one person."""
    reason = require_reason(reason, msg("link two reports"))
    person = session.get(MissingPerson, person_id)
    if person is None:
        raise NotFound(msg("missing person %(id)s does not exist", id=person_id))
    case_number = (other_case_number or "").strip()
    other = session.exec(select(MissingPerson).where(col(MissingPerson.case_number).in_(
        {case_number, case_number.upper()}))).first()
    if other is None:
        raise NotFound(msg("no missing person has the case number %(case)s", case=case_number)
                       if case_number else msg("no missing person has an empty case number"))
    if other.id == person.id:
        raise Conflict(msg("%(case)s cannot be linked to itself", case=person.case_number))
    first_id, second_id = sorted((person.id or 0, other.id or 0))
    if _active(session, first_id, second_id):
        raise Conflict(msg("%(case)s and %(other)s are linked already", case=person.case_number,
                           other=other.case_number))
    with write(session, actor=by, reason=f"reports {person.case_number} and {other.case_number} linked as one "
                                         f"person: {reason}"):
        row = MissingPersonLink(kind="same_person", first_id=first_id, second_id=second_id, reason=reason,
                                by_user_id=by.id or 0)
        session.add(row)
    return row


def withdraw(*, session: Session, link_id: int, by: User, reason: str) -> MissingPersonLink:
    """Withdraw a link (a new row referencing it; the link itself stays on record)."""
    reason = require_reason(reason, msg("withdraw a link"))
    original = session.get(MissingPersonLink, link_id)
    if original is None or original.kind != "same_person":
        raise NotFound(msg("link %(id)s does not exist", id=link_id))
    if not _active(session, original.first_id, original.second_id) or all(
            row.id != link_id for row in _active(session, original.first_id, original.second_id)):
        raise Conflict(msg("link %(id)s is withdrawn already", id=link_id))
    with write(session, actor=by, reason=f"link {link_id} withdrawn: {reason}"):
        row = MissingPersonLink(kind="withdrawn", first_id=original.first_id, second_id=original.second_id,
                                withdraws_id=link_id, reason=reason, by_user_id=by.id or 0)
        session.add(row)
    return row


def links_of(session: Session, person_id: int) -> list[LinkedReport]:
    """The reports linked to ``person_id`` as the same person (links in force), oldest first."""
    rows = _active(session, person_id=person_id)
    others = {row.id: row.second_id if row.first_id == person_id else row.first_id for row in rows}
    cases = dict(session.exec(select(MissingPerson.id, MissingPerson.case_number)
                              .where(col(MissingPerson.id).in_(list(others.values())))).all())
    return [LinkedReport(row.id or 0, others[row.id], cases.get(others[row.id], ""), row.reason, row.at)
            for row in rows]
