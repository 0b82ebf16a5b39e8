"""Deep verification: every row of every table compared with what the audit log says it is.

The chain (``audit.verify_chain``) proves the log was not rewritten; this proves the data was not
changed beside it. For each table the log gives each row's last known state (the ``after_json`` of
its last create/update entry, or the per-row digests of a ``bulk_import`` entry); every row is
compared with it. Reported: rows changed behind the app's back (with the fields), rows present
although never logged (inserted behind its back) or logged as deleted, and rows the log knows but
the database no longer has.

Values are compared after normalising the types a database returns differently (times to UTC,
bytes to hex, numbers to float); secret columns (password hashes) are logged as a keyed digest
and compared through it (entries from before the digest, a bare ``***``, cannot be compared).
A column derived from evidence rows (``match.review_status``) is compared with what it is derived
from instead: the status the match's review steps give.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, LargeBinary, String, Table, select, text
from sqlmodel import Session

from labtrack.core.review_rules import review_status
from labtrack.models import AuditEntry, Match, MatchReview, ProfileAllele, metadata
from labtrack.services.audit import REDACTED, SECRET_COLUMNS, redact
from labtrack.services.audit_seal import Seal

# the log itself, the worker's job queue (heartbeats are operational state written outside
# the audit on purpose; a job's results are evidence rows of their own and are checked), the
# name index (search keys derived from the logged names, rebuilt at will: services/name_index.py)
# the family-side version (a counter the database's triggers advance on every change of the
# logged family-side tables, only to tell a worker its cache is stale: models/family_side.py)
# the dashboard's stored figures (aggregates of the logged tables, recomputed by a worker job
# at will: services/dashboard_snapshot.py) and the profiles' genotype digests (derived from the
# allele rows, whose digests the imports log: core/genotype_digest.py)
_SKIP_TABLES = frozenset({"audit_entry", "alembic_version", "job", "name_index", "family_side_version",
                          "dashboard_snapshot", "profile_genotype"})
_ALLELE_TABLE = ProfileAllele.__table__.name  # type: ignore[attr-defined]
_BATCH = 2000


@dataclass(frozen=True)
class Discrepancy:
    table: str
    entity_id: str
    problem: str

    def __str__(self) -> str:
        return f"{self.table} {self.entity_id}: {self.problem}"


@dataclass
class DeepResult:
    rows: int = 0
    discrepancies: list[Discrepancy] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.discrepancies


def _normal(column_type: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column_type, DateTime):
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    if isinstance(column_type, Date):
        return value.isoformat() if isinstance(value, date) else value
    if isinstance(column_type, LargeBinary):
        return bytes(value).hex() if not isinstance(value, str) else value
    if isinstance(column_type, Boolean):
        return bool(value)
    if isinstance(column_type, Float):
        return float(value)
    if isinstance(column_type, Integer) and not isinstance(value, bool):
        return int(value)
    return value


# columns derived from evidence rows, not logged state of their own: compared with what they are
# derived from instead (match.review_status: the status the review steps give, ``_review_statuses``)
_DERIVED_COLUMNS = frozenset({("match", "review_status")})


def _compared_columns(table: Table) -> list[Any]:
    return [column for column in table.columns if (table.name, column.name) not in _DERIVED_COLUMNS]


def as_logged(table: Table, row: dict[str, Any], seal: Seal | None, legacy_secrets: bool = False) -> dict[str, Any]:
    """A database row with its secret columns redacted as the log writes them (``legacy_secrets``:
    as a bare ``***``, for entries written before secrets were digested)."""
    secrets = SECRET_COLUMNS & {column.name for column in table.columns}
    if not secrets:
        return row
    return {**row, **{name: REDACTED if legacy_secrets else redact(seal, row[name]) for name in secrets}}


def normal_row(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """A row's values in the form compared with the log."""
    return {column.name: _normal(column.type, values.get(column.name)) for column in _compared_columns(table)}


def _encode(table: Table, rows: list[dict[str, Any]]) -> bytes:
    columns = _compared_columns(table)
    plain = all(isinstance(column.type, String | Integer) and not isinstance(column.type, Boolean)
                for column in columns)
    if plain:  # strings and integers only (alleles): no conversion, values in column order
        values = [[row[column.name] for column in columns] for row in rows]
    else:
        values = [[_normal(column.type, row.get(column.name)) for column in columns] for row in rows]
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def row_digest(table: Table, values: dict[str, Any]) -> str:
    """SHA-256 (32 hex) of one row's compared values."""
    return hashlib.sha256(_encode(table, [values])).hexdigest()[:32]


def group_digest(table: Table, rows: list[dict[str, Any]]) -> str:
    """One digest (32 hex) over several rows, in the order given (by primary key)."""
    return hashlib.sha256(_encode(table, rows)).hexdigest()[:32]


def plain_group_digests(session: Session, table: Table, group_column: str, where_sql: str,
                        params: dict[str, Any]) -> dict[str, str]:
    """``group_digest`` of every group of a table of strings and integers (alleles), in one pass
    over plain tuples: the fast path for bulk imports (the same digests as ``group_digest``).
    ``where_sql`` is SQL written by labtrack (no user text), with bound ``params``."""
    columns = [column.name for column in _compared_columns(table)]
    index = columns.index(group_column)
    keys = ", ".join(column.name for column in table.primary_key.columns)
    statement = text(f"SELECT {', '.join(columns)} FROM {table.name} WHERE {where_sql} "  # noqa: S608 - names from our metadata  # nosec B608
                     f"ORDER BY {group_column}, {keys}")
    digests: dict[str, str] = {}
    group: list[tuple[Any, ...]] = []
    current: Any = None

    def close() -> None:
        if group:
            encoded = json.dumps(group, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            digests[str(current)] = hashlib.sha256(encoded).hexdigest()[:32]

    for row in session.connection().execute(statement, params):
        values = tuple(row)
        if values[index] != current:
            close()
            group, current = [], values[index]
        group.append(values)
    close()
    return digests


def rows_of(session: Session, table: Table, where: Any) -> list[dict[str, Any]]:
    """The rows of ``table`` matching ``where``, by primary key (what bulk imports digest)."""
    statement = select(table).where(where).order_by(*table.primary_key.columns)
    return [dict(row._mapping) for row in session.execute(statement)]


def _entity_id(table: Table, row: dict[str, Any]) -> str:
    return ",".join(str(row[column.name]) for column in table.primary_key.columns)


@dataclass
class _Expected:
    """What the log says, per table: entity id → (seq, digest or None when deleted)."""

    rows: dict[str, dict[str, tuple[int, str | None]]] = field(default_factory=dict)
    legacy: set[tuple[str, str]] = field(default_factory=set)  # (table, id) logged with a bare "***"
    allele_groups: dict[str, tuple[int, str]] = field(default_factory=dict)  # profile id → (seq, digest)
    grouped: dict[str, dict[str, tuple[int, str]]] = field(default_factory=dict)  # table → group → digest


def _log_entries(session: Session) -> Iterator[Any]:
    statement = select(AuditEntry.seq, AuditEntry.action, AuditEntry.entity_type,  # type: ignore[call-overload]
                       AuditEntry.entity_id, AuditEntry.after_json).order_by(AuditEntry.seq)
    yield from session.execute(statement.execution_options(yield_per=_BATCH))


def _expected(session: Session) -> _Expected:
    tables = metadata.tables
    expected = _Expected()
    for seq, action, entity_type, entity_id, after_json in _log_entries(session):
        if action in ("create", "update", "delete") and entity_type in tables:
            state = None if action == "delete" else json.loads(after_json)
            digest = None if state is None else row_digest(tables[entity_type], state)
            expected.rows.setdefault(entity_type, {})[entity_id] = (seq, digest)
            if state is not None and any(state.get(name) == REDACTED for name in SECRET_COLUMNS):
                expected.legacy.add((entity_type, entity_id))
            else:
                expected.legacy.discard((entity_type, entity_id))
        elif action == "bulk_import":
            details = json.loads(after_json) or {}
            for table_name, rows in (details.get("row_digests") or {}).items():
                for row_id, digest in rows.items():
                    expected.rows.setdefault(table_name, {})[str(row_id)] = (seq, digest)
            for profile_id, digest in (details.get("allele_digests") or {}).items():
                expected.allele_groups[str(profile_id)] = (seq, digest)
            for table_name, groups in (details.get("group_digests") or {}).items():
                for group, digest in groups.items():
                    expected.grouped.setdefault(table_name, {})[str(group)] = (seq, digest)
    return expected


def _field_changes(session: Session, table: Table, seq: int, row: dict[str, Any]) -> str:
    """The fields of ``row`` (already redacted as logged) that differ from log entry ``seq``."""
    action, logged = session.execute(select(AuditEntry.action, AuditEntry.after_json)  # type: ignore[call-overload]
                                     .where(AuditEntry.seq == seq)).one()
    if action == "bulk_import":
        return "its content"
    before = normal_row(table, json.loads(logged) or {})
    now = normal_row(table, row)
    changed = [f"{name} (log: {before.get(name)!r}, now: {now.get(name)!r})"
               for name in sorted(now) if before.get(name) != now.get(name)]
    return ", ".join(changed) if changed else "its content"


def _rows(session: Session, table: Table) -> Iterator[dict[str, Any]]:
    statement = select(table).order_by(*table.primary_key.columns).execution_options(yield_per=_BATCH)
    for row in session.execute(statement):
        yield dict(row._mapping)


_GROUP_COLUMN = {"frequency_entry": "table_id", "reassociation_pair": "run_id", "reassociation_group": "run_id",
                 "reassociation_grave": "run_id"}


def _check_table(session: Session, table: Table, expected: _Expected, result: DeepResult, limit: int,
                 seal: Seal | None) -> None:
    logged = expected.rows.get(table.name, {})
    seen: set[str] = set()
    groups: dict[str, list[dict[str, Any]]] = {}
    group_column = _GROUP_COLUMN.get(table.name) or ("profile_id" if table.name == _ALLELE_TABLE else None)
    group_expected = (expected.allele_groups if table.name == _ALLELE_TABLE
                      else expected.grouped.get(table.name, {}))

    def report(entity_id: str, problem: str) -> None:
        if len(result.discrepancies) < limit:
            result.discrepancies.append(Discrepancy(table.name, entity_id, problem))

    for row in _rows(session, table):
        result.rows += 1
        entity_id = _entity_id(table, row)
        seen.add(entity_id)
        if group_column and str(row[group_column]) in group_expected and entity_id not in logged:
            groups.setdefault(str(row[group_column]), []).append(row)
            continue
        entry = logged.get(entity_id)
        row = as_logged(table, row, seal, (table.name, entity_id) in expected.legacy)
        if entry is None:
            report(entity_id, "is not in the audit log: it was inserted behind the application's back")
        elif entry[1] is None:
            report(entity_id, f"is present although the audit log records its deletion (seq {entry[0]})")
        elif row_digest(table, row) != entry[1]:
            changes = _field_changes(session, table, entry[0], row)
            report(entity_id, f"was changed behind the application's back: {changes} "
                              f"differ from the audit log (seq {entry[0]})")
    for entity_id, (seq, digest) in logged.items():
        if digest is not None and entity_id not in seen:
            report(entity_id, f"is missing: the audit log knows it (seq {seq}) but it was deleted "
                              "behind the application's back")
    for group, (seq, digest) in group_expected.items():
        if group_digest(table, groups.get(group, [])) != digest:
            report(f"{group_column}={group}", f"the rows differ from those logged by the bulk import (seq {seq}): "
                                              "added, changed or deleted behind the application's back")


def review_status_disagreements(session: Session) -> Iterator[tuple[int, str, str]]:
    """(match id, stored status, the status its review steps give) of every match whose kept
    ``review_status`` disagrees with its append-only review steps (``review_rules.review_status``)."""
    steps: dict[int, list[str]] = {}
    for match_id, step in session.execute(select(MatchReview.match_id, MatchReview.step)  # type: ignore[call-overload]
                                          .order_by(MatchReview.match_id, MatchReview.id)
                                          .execution_options(yield_per=_BATCH)):
        steps.setdefault(match_id, []).append(step)
    for match_id, stored in session.execute(select(Match.id, Match.review_status)  # type: ignore[call-overload]
                                            .order_by(Match.id).execution_options(yield_per=_BATCH)):
        derived = review_status(steps.get(match_id, []))
        if stored != derived:
            yield match_id, stored, derived


def deep_verify(session: Session, *, seal: Seal | None = None, limit: int = 200) -> DeepResult:
    """Compare every row of every table with the audit log; at most ``limit`` findings are kept.
    ``seal``: the audit key, to compare secret columns through their logged digests."""
    expected = _expected(session)
    result = DeepResult()
    for table in metadata.sorted_tables:
        if table.name not in _SKIP_TABLES:
            _check_table(session, table, expected, result, limit, seal)
    for match_id, stored, derived in review_status_disagreements(session):
        if len(result.discrepancies) < limit:
            result.discrepancies.append(Discrepancy("match", str(match_id), (
                f"review_status is {stored!r} but its review steps give {derived!r}")))
    return result
