"""The audit log: every flushed change becomes a hash-chained entry in the same transaction.

Services declare who acts (``labtrack.services.transaction.write``); a session hook then writes
one entry per inserted, updated or deleted row, with the row before and after. The hook exists so
that no write can be forgotten; it refuses to flush changes made without a declared actor.

Chain: ``entry_hash = SHA-256(prev_hash + canonical JSON of the entry)``; the first entry's
``prev_hash`` is 64 zeros. Each entry also carries ``mac = HMAC(audit key, entry_hash)`` with a key
kept outside the database, and every commit appends a signed checkpoint of the chain head to a file
outside the database (``labtrack.services.audit_seal``): re-hashing, forged appends and deleted tails
are caught by ``verify_chain``. Appends are serialised (PostgreSQL: a transaction-scoped advisory lock;
SQLite: every transaction begins IMMEDIATE), and ``prev_hash`` is unique, so concurrent writers
cannot fork the chain.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator, Mapping
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
from labtrack.services import audit_seal
from labtrack.services.audit_seal import Checkpoint, Seal
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


def redact(seal: Seal | None, value: Any) -> str:
    """A secret (a password hash) as logged: ``***`` and, with the audit key, a keyed digest of it,
    so that deep verification sees a hash swapped behind the app's back without logging it."""
    if seal is None or value is None:
        return REDACTED
    return REDACTED + seal.secret_digest(str(value))


def _row_values(obj: Any, *, before: bool = False, seal: Seal | None = None) -> dict[str, Any]:
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
        values[secret] = redact(seal, values[secret])
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


def append_entries(connection: Connection, changes: list[dict[str, Any]],
                   session: OrmSession | None = None) -> None:
    """Append ``changes`` (dicts with action, entity_type, ...) to the chain on ``connection``.

    With ``session``, the new head is remembered there and checkpointed after the commit."""
    if not changes:
        return
    _lock_chain(connection)
    seq, prev = _chain_head(connection)
    at = utcnow().isoformat()
    seal = audit_seal.seal_of(connection.engine)
    rows = []
    for change in changes:
        seq += 1
        entry = {"seq": seq, "at": at, **change}
        digest = entry_hash(prev, entry)
        mac = seal.entry_mac(digest) if seal is not None else None
        rows.append({**entry, "prev_hash": prev, "entry_hash": digest, "mac": mac})
        prev = digest
    connection.execute(_AUDIT_TABLE.insert(), rows)
    if session is not None:
        audit_seal.remember_head(session, seq, prev, at)


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
    seal = audit_seal.seal_of(session.get_bind().engine)  # type: ignore[union-attr]
    changes = []
    for action, obj in pending:
        if action == "update" and not session.is_modified(obj, include_collections=False):
            continue
        before = None if action == "create" else _row_values(obj, before=True, seal=seal)
        after = None if action == "delete" else _row_values(obj, seal=seal)
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
    append_entries(session.connection(), changes, session)


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
    }], session)


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
    entries: int  # entries checked by this verification
    first_break: ChainBreak | None
    unkeyed: int = 0  # entries written before the chain was keyed (a prefix of the log)
    checkpoints: int = 0  # checkpoints compared with the log
    last_checkpoint: int = 0  # the highest seq a checkpoint vouches for
    from_seq: int = 0  # 0: from the first entry; else the seq of the verified mark it continued from
    last_seq: int = 0  # the last entry that verified (seq, id, hash): the next mark
    last_id: int | None = None
    last_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        return self.first_break is None


@dataclass(frozen=True)
class Mark:
    """A verified high-water mark: entry ``seq`` had ``entry_hash`` when ``source`` verified it."""

    seq: int
    entry_hash: str
    source: str


#: Entries read per query while verifying (keyset paging on seq: memory stays flat at any size).
VERIFY_BATCH = 5_000
Progress = Callable[[int, int], None]  # (last seq checked, chain head seq when the walk began)


def _checkpoint_map(checkpoints: list[Checkpoint]) -> dict[int, list[Checkpoint]]:
    by_seq: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        by_seq.setdefault(checkpoint.seq, []).append(checkpoint)
    return by_seq


def _checkpoint_problem(entry: Mapping[str, Any], anchors: list[Checkpoint]) -> str | None:
    for anchor in anchors:
        if not entry["entry_hash"].startswith(anchor.entry_hash):
            return (f"differs from the chain head recorded in {anchor.source} "
                    f"({anchor.printed()}): the log was rewritten from here or earlier")
    return None


def _mac_problem(entry: Mapping[str, Any], seal: Seal | None, keyed_seen: bool) -> str | None:
    if entry["mac"] is None:
        if keyed_seen:
            return ("carries no audit key signature although earlier entries do: "
                    "it was forged or re-written without the key")
        return None
    if seal is not None and not hmac.compare_digest(entry["mac"], seal.entry_mac(entry["entry_hash"])):
        return ("its audit key signature (HMAC) does not match: the entry was forged, or the log "
                "re-hashed, by someone without the audit key")
    return None


def _rows_after(session: Session, seq: int) -> Iterator[list[Mapping[str, Any]]]:
    """The entries after ``seq`` in seq order, a batch per query."""
    while True:
        batch = list(session.connection().execute(
            select(_AUDIT_TABLE).where(_AUDIT_TABLE.c.seq > seq).order_by(_AUDIT_TABLE.c.seq)
            .limit(VERIFY_BATCH)).mappings())
        if not batch:
            return
        yield batch
        seq = int(batch[-1]["seq"])


def _mark_problem(entry: Mapping[str, Any] | None, mark: Mark, seal: Seal | None,
                  anchors: list[Checkpoint]) -> str | None:
    """The mark's own entry must still be there, with the hash recorded when it was verified."""
    if entry is None:
        return (f"missing: {mark.source} verified the chain up to seq {mark.seq}, but the log has no such "
                "entry now: entries were deleted")
    if entry["entry_hash"] != mark.entry_hash:
        return (f"differs from the hash recorded by {mark.source}: the log was altered at or before this "
                "entry since it was verified")
    if entry_hash(entry["prev_hash"], entry) != entry["entry_hash"]:
        return "content does not match its hash: the entry was altered"
    return _mac_problem(entry, seal, False) or _checkpoint_problem(entry, anchors)


def verify_chain(session: Session, *, seal: Seal | None = None, checkpoints: list[Checkpoint] | None = None,
                 mark: Mark | None = None, progress: Progress | None = None) -> VerifyResult:
    """Walk the chain in order and name the first entry that was altered, removed, reordered,
    forged or re-hashed; then check that no checkpoint lies beyond the end of the log (a deleted
    tail). ``seal`` checks the entries' HMACs; ``checkpoints`` are the anchors kept outside.

    With ``mark`` (incremental verification) the walk starts after the mark's entry, once that
    entry is found with the recorded hash (and its own content, signature and checkpoint agree).
    Entries below the mark are not read: an entry there altered or deleted without re-hashing the
    chain up to the mark is seen only by a full verification (no ``mark``). ``progress`` is
    called after every batch read."""
    anchors = _checkpoint_map(checkpoints or [])
    last_anchor = max(anchors, default=0)
    n_anchors = len(checkpoints or [])
    prev, last_id, expected_seq = GENESIS, None, 1
    count = unkeyed = 0
    keyed_seen = False
    from_seq = mark.seq if mark is not None else 0
    head_seq = _chain_head(session.connection())[0]

    def result(entry: Mapping[str, Any] | None, problem: str | None) -> VerifyResult:
        brk = ChainBreak(entry["seq"], entry["id"], problem) if entry is not None and problem else None
        return VerifyResult(count, brk, unkeyed, n_anchors, last_anchor, from_seq, expected_seq - 1, last_id, prev)

    if mark is not None:
        entry = session.connection().execute(
            select(_AUDIT_TABLE).where(_AUDIT_TABLE.c.seq == mark.seq)).mappings().first()
        problem = _mark_problem(entry, mark, seal, anchors.get(mark.seq, []))
        if problem:
            return VerifyResult(0, ChainBreak(mark.seq, entry["id"] if entry else None, problem), 0,
                                n_anchors, last_anchor, from_seq, 0, None, GENESIS)
        assert entry is not None
        prev, last_id, expected_seq = mark.entry_hash, entry["id"], mark.seq + 1
        keyed_seen = entry["mac"] is not None
    for batch in _rows_after(session, expected_seq - 1):
        for entry in batch:
            count += 1
            if entry["seq"] != expected_seq:
                return result(entry, f"expected entry seq {expected_seq} here: entries were removed or reordered")
            if entry["prev_hash"] != prev:
                return result(entry, "does not link to the previous entry: an entry before it was removed, "
                                     "altered or reordered")
            if entry_hash(prev, entry) != entry["entry_hash"]:
                return result(entry, "content does not match its hash: the entry was altered")
            problem = (_mac_problem(entry, seal, keyed_seen)
                       or _checkpoint_problem(entry, anchors.get(entry["seq"], [])))
            if problem:
                return result(entry, problem)
            keyed_seen = keyed_seen or entry["mac"] is not None
            unkeyed += entry["mac"] is None
            prev, last_id = entry["entry_hash"], entry["id"]
            expected_seq += 1
        if progress is not None:
            progress(expected_seq - 1, head_seq)
    if last_anchor >= expected_seq:
        source = anchors[last_anchor][0].source
        return VerifyResult(count, ChainBreak(
            expected_seq, None,
            f"missing: the log ends at seq {expected_seq - 1} but {source} records seq {last_anchor}: "
            f"entries {expected_seq}..{last_anchor} were deleted"), unkeyed, n_anchors, last_anchor, from_seq,
            expected_seq - 1, last_id, prev)
    return result(None, None)


def head(session: Session) -> Checkpoint | None:
    """The current chain head (to print on a document)."""
    seq, digest = _chain_head(session.connection())
    return Checkpoint(seq, digest, "database") if seq else None


class LogEntryTampered(RuntimeError):
    """An audit entry read to check something fails its own hash or key signature."""


def logged_state(session: Session, entity_type: str, entity_id: str) -> dict[str, Any] | None:
    """The row as the audit log last recorded it (``after_json`` of its last entry), after checking
    that entry's own hash and key signature; None when the log never saw the row."""
    entries = history(session, entity_type, entity_id)
    if not entries:
        return None
    entry = entries[-1]
    seal = audit_seal.seal_of(session.get_bind().engine)  # type: ignore[union-attr]
    if entry_hash(entry.prev_hash, entry.model_dump()) != entry.entry_hash or (
            seal is not None and entry.mac is not None
            and not hmac.compare_digest(entry.mac, seal.entry_mac(entry.entry_hash))):
        raise LogEntryTampered(f"audit entry seq {entry.seq} of {entity_type} {entity_id} was altered")
    state = json.loads(entry.after_json)
    return state if isinstance(state, dict) else None


def history(session: Session, entity_type: str, entity_id: str) -> list[AuditEntry]:
    """Audit entries of one record, oldest first."""
    statement = (
        orm_select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.seq)
    )
    return list(session.exec(statement))
