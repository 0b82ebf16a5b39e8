"""The audit log: append-only (database triggers) and hash-chained."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from labtrack.models.base import created_at_field


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


class AuditVerification(SQLModel, table=True):
    """One verification of the audit chain by a worker job (append-only: every run is kept).

    ``from_seq`` is where it started: 0 for a full verification, else the seq of the verified
    high-water mark it continued from. When ``ok``, it vouches for the chain up to ``to_seq``
    (entry ``to_entry_id`` with hash ``to_hash``): the next incremental verification starts
    there, after checking that this entry still has ``to_hash``. ``mac`` (HMAC of the audit key
    over to_seq and to_hash) stops somebody without the key from forging a mark past a tampered
    range. When not ok, ``break_seq``/``break_entry_id``/``problem`` name the first break."""

    __tablename__ = "audit_verification"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int | None = Field(default=None, foreign_key="job.id")
    full: bool = Field(default=False)
    from_seq: int = Field(default=0)
    ok: bool = Field(default=False)
    entries: int = Field(default=0)  # entries checked in this run
    to_seq: int = Field(default=0)
    to_entry_id: int | None = Field(default=None)
    to_hash: str = Field(default="", max_length=64)
    mac: str | None = Field(default=None, max_length=64)
    break_seq: int | None = Field(default=None)
    break_entry_id: int | None = Field(default=None)
    problem: str = Field(default="")
    verified_at: datetime = created_at_field()
