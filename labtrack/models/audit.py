"""The audit log: append-only (database triggers) and hash-chained."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class AuditEntry(SQLModel, table=True):
    """One create/change/delete of a record. ``entry_hash`` = SHA-256(prev_hash + canonical JSON).

    Times and JSON are stored as text exactly as hashed, so verification does not depend on how a
    database returns timestamps.
    """

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    at: str = Field(max_length=40)
    actor_id: int | None = Field(default=None)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=20)
    entity_type: str = Field(max_length=40, index=True)
    entity_id: str = Field(max_length=40, index=True)
    reason: str = Field(default="")
    before_json: str = Field(default="null")
    after_json: str = Field(default="null")
    prev_hash: str = Field(max_length=64, unique=True)
    entry_hash: str = Field(max_length=64, unique=True)
    # HMAC-SHA-256 of entry_hash with the audit key kept outside the database (None: written
    # before the chain was keyed, or by a tool without the key)
    mac: str | None = Field(default=None, max_length=64)
