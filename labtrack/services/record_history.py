"""What changed in one record, field by field, as the audit log keeps it (who, when, why)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import Session, col, select

from labtrack.models import AuditEntry
from labtrack.services import audit

#: columns that change with every write and say nothing to a reader
_NOISE = frozenset({"session_epoch", "failed_logins", "locked_until", "next_remains_number",
                    "next_sample_number"})
#: entries that only count logins and logouts (a user's record gets one at every logout)
_ROUTINE = ("logout: sessions ended", "failed login", "successful login resets failures", "wrong password")


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: object
    after: object


@dataclass(frozen=True)
class RecordChange:
    at: str
    actor: str
    action: str
    reason: str
    fields: list[FieldChange]


def changes(session: Session, entity_type: str, entity_id: str, *, limit: int = 200) -> list[RecordChange]:
    """The record's creation and its changes, newest first (at most ``limit``); secrets appear as
    "changed" only."""
    found: list[RecordChange] = []
    entries = session.exec(select(AuditEntry).where(
        AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id,
        col(AuditEntry.reason).not_in(_ROUTINE)).order_by(col(AuditEntry.seq).desc()).limit(limit))
    for entry in entries:
        before, after = json.loads(entry.before_json) or {}, json.loads(entry.after_json) or {}
        fields = []
        for name in sorted(set(before) | set(after)):
            if name in _NOISE or entry.action == "create":
                continue
            old, new = before.get(name), after.get(name)
            if old == new:
                continue
            if name in audit.SECRET_COLUMNS:
                old, new = "***", "***"
            fields.append(FieldChange(name, old, new))
        if fields or entry.action != "update":
            found.append(RecordChange(at=entry.at[:19].replace("T", " "), actor=entry.actor, action=entry.action,
                                      reason=entry.reason, fields=fields))
    return found
