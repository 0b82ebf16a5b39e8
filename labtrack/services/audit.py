"""The audit log: every flushed change becomes a hash-chained entry in the same transaction.

Services declare who acts (``labtrack.services.transaction.write``); a session hook then writes
one entry per inserted, updated or deleted row, with the row before and after. The hook exists so
that no write can be forgotten; it refuses to flush changes made without a declared actor.

Chain: ``entry_hash = SHA-256(prev_hash + canonical JSON of the entry)``; the first entry's
``prev_hash`` is 64 zeros. Appends are serialised (PostgreSQL: a transaction-scoped advisory lock;
SQLite: every transaction begins IMMEDIATE), and ``prev_hash`` is unique, so concurrent writers
cannot fork the chain.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction
from sqlmodel import Session
from sqlmodel import select as orm_select

from labtrack.models import AuditEntry, User, utcnow
from labtrack.services.transaction import ACTOR_KEY, REASON_KEY

GENESIS = "0" * 64
SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "secret_hash"})
REDACTED = "***"
_ADVISORY_LOCK_KEY = 7_203_114  # arbitrary, constant: "the audit chain"
_AUDIT_TABLE = AuditEntry.__table__  # type: ignore[attr-defined]


class MissingActor(RuntimeError):
    """A write was flushed outside ``transaction.write``: nobody would be accountable for it."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex()
    return value


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_jsonable)


def _row_values(obj: Any, *, before: bool = False) -> dict[str, Any]:
    state = inspect(obj)
    values: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if before:
            history = state.attrs[key].history
            if history.deleted:
                values[key] = _jsonable(history.deleted[0])
                continue
        values[key] = _jsonable(getattr(obj, key))
    for secret in SECRET_COLUMNS & values.keys():
        values[secret] = REDACTED
    return values


def _entity_id(obj: Any) -> str:
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(part) for part in key)


def entry_payload(entry: dict[str, Any]) -> str:
    """The canonical text that is hashed for one entry."""
    return canonical_json({key: entry[key] for key in (
        "seq", "at", "actor_id", "actor", "action", "entity_type", "entity_id", "reason",
        "before_json", "after_json",
    )})


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + entry_payload(entry)).encode("utf-8")).hexdigest()


def _lock_chain(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK_KEY})")


def _chain_head(connection: Connection) -> tuple[int, str]:
    row = connection.execute(
        select(_AUDIT_TABLE.c.seq, _AUDIT_TABLE.c.entry_hash)
        .order_by(_AUDIT_TABLE.c.seq.desc())
        .limit(1)
    ).first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def append_entries(connection: Connection, changes: list[dict[str, Any]]) -> None:
    """Append ``changes`` (dicts with action, entity_type, ...) to the chain on ``connection``."""
    if not changes:
        return
    _lock_chain(connection)
    seq, prev = _chain_head(connection)
    at = utcnow().isoformat()
    rows = []
    for change in changes:
        seq += 1
        entry = {"seq": seq, "at": at, **change}
        digest = entry_hash(prev, entry)
        rows.append({**entry, "prev_hash": prev, "entry_hash": digest})
        prev = digest
    connection.execute(_AUDIT_TABLE.insert(), rows)


def _actor(session: OrmSession) -> tuple[int | None, str]:
    actor = session.info.get(ACTOR_KEY)
    if actor is None:
        raise MissingActor("a change was written without an accountable actor")
    if isinstance(actor, User):
        return actor.id, actor.username
    return None, str(actor)


def _after_flush(session: OrmSession, _flush_context: UOWTransaction) -> None:
    groups = (("create", session.new), ("update", session.dirty), ("delete", session.deleted))
    pending = [(action, obj) for action, objs in groups for obj in objs if not isinstance(obj, AuditEntry)]
    if not pending:
        return
    actor_id, actor_name = _actor(session)
    reason = str(session.info.get(REASON_KEY, ""))
    changes = []
    for action, obj in pending:
        if action == "update" and not session.is_modified(obj, include_collections=False):
            continue
        before = None if action == "create" else _row_values(obj, before=True)
        after = None if action == "delete" else _row_values(obj)
        changes.append({
            "actor_id": actor_id,
            "actor": actor_name,
            "action": action,
            "entity_type": inspect(obj).mapper.local_table.name,
            "entity_id": _entity_id(obj),
            "reason": reason,
            "before_json": canonical_json(before),
            "after_json": canonical_json(after),
        })
    append_entries(session.connection(), changes)


def install_hook() -> None:
    """Register the flush hook on every session (idempotent)."""
    if not event.contains(OrmSession, "after_flush", _after_flush):
        event.listen(OrmSession, "after_flush", _after_flush)


def record_event(session: Session, *, action: str, entity_type: str, entity_id: str,
                 details: dict[str, Any]) -> None:
    """Append an entry for something that is not a row change (a document issued, a login)."""
    actor_id, actor_name = _actor(session)
    append_entries(session.connection(), [{
        "actor_id": actor_id, "actor": actor_name, "action": action, "entity_type": entity_type,
        "entity_id": entity_id, "reason": str(session.info.get(REASON_KEY, "")),
        "before_json": canonical_json(None), "after_json": canonical_json(details),
    }])


@dataclass(frozen=True)
class ChainBreak:
    """Where the chain first fails to verify."""

    seq: int
    entry_id: int | None
    problem: str

    def __str__(self) -> str:
        return f"audit entry seq {self.seq} (id {self.entry_id}): {self.problem}"


@dataclass(frozen=True)
class VerifyResult:
    entries: int
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _entries(session: Session) -> Iterator[AuditEntry]:
    yield from session.exec(orm_select(AuditEntry).order_by(AuditEntry.seq))  # type: ignore[arg-type]


def verify_chain(session: Session) -> VerifyResult:
    """Walk the chain in order and name the first entry that was altered, removed or reordered."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for entry in _entries(session):
        count += 1
        data = entry.model_dump()
        if entry.seq != expected_seq:
            return VerifyResult(count, ChainBreak(
                entry.seq, entry.id,
                f"expected entry seq {expected_seq} here: entries were removed or reordered"))
        if entry.prev_hash != prev:
            return VerifyResult(count, ChainBreak(
                entry.seq, entry.id,
                "does not link to the previous entry: an entry before it was removed, "
                "altered or reordered"))
        if entry_hash(prev, data) != entry.entry_hash:
            return VerifyResult(count, ChainBreak(
                entry.seq, entry.id, "content does not match its hash: the entry was altered"))
        prev = entry.entry_hash
        expected_seq += 1
    return VerifyResult(count, None)


def history(session: Session, entity_type: str, entity_id: str) -> list[AuditEntry]:
    """Audit entries of one record, oldest first."""
    statement = (
        orm_select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.seq)
    )
    return list(session.exec(statement))
