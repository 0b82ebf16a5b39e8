"""Long work (match runs, and later DVI, power, large imports and reports) as jobs in the
database, run by ``labtrack worker`` processes beside the web server."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from labtrack.core.messages import from_json
from labtrack.models.base import created_at_field, in_list, timestamp_field

JOB_STATUSES: tuple[str, ...] = ("queued", "running", "done", "failed", "cancelled")
JOB_ENDED: tuple[str, ...] = ("done", "failed", "cancelled")


class Job(SQLModel, table=True):
    """One unit of long work. A worker claims it (``queued`` → ``running``), writes its progress
    and a heartbeat, and ends it exactly once (``done``, ``failed`` or ``cancelled`` with a
    reason). A job whose worker died is re-queued (``attempts`` counts the tries) or, after
    ``max_attempts``, failed with the reason."""

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint(in_list("status", JOB_STATUSES), name="status"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
        CheckConstraint("attempts >= 0 AND max_attempts >= 1", name="attempts"),
        Index("ix_job_queue", "status", "id"),
        # one queued job per key: continuous matching coalesces repeated requests
        Index("uq_job_queued_key", "dedupe_key", unique=True,
              sqlite_where=text("status = 'queued' AND dedupe_key IS NOT NULL"),
              postgresql_where=text("status = 'queued' AND dedupe_key IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    payload_json: str = Field(default="{}")
    subject_type: str = Field(default="", max_length=40)
    subject_id: int | None = Field(default=None, index=True)
    dedupe_key: str | None = Field(default=None, max_length=200)
    status: str = Field(default="queued", max_length=10)
    progress: float = Field(default=0.0)
    stage: str = Field(default="", max_length=40)
    attempts: int = Field(default=0)
    max_attempts: int = Field(default=3)
    worker: str = Field(default="", max_length=200)
    heartbeat_at: datetime | None = timestamp_field()
    cancel_requested: bool = Field(default=False)
    cancelled_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    error: str = Field(default="")  # why it failed or was cancelled, for a person to read (English)
    history: str = Field(default="")  # one line per re-queue (which worker stopped, when, how far)
    # the same texts as messages (id and parameters, JSON: ``labtrack.core.messages.to_json``), so
    # that a page says them in its reader's language; "" in rows written before they were kept
    error_json: str = Field(default="", sa_column_kwargs={"server_default": ""})
    stage_json: str = Field(default="", sa_column_kwargs={"server_default": ""})
    history_json: str = Field(default="", sa_column_kwargs={"server_default": ""})  # [{"at", "reason"}]
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = created_at_field()
    started_at: datetime | None = timestamp_field()
    finished_at: datetime | None = timestamp_field()

    @property
    def error_message(self) -> str:
        """Why it ended, as a message (plain English in older rows)."""
        return from_json(self.error_json, self.error)

    @property
    def stage_message(self) -> str:
        """What it is doing, as a message (the stored stage in older rows)."""
        return from_json(self.stage_json, self.stage)

    @property
    def history_lines(self) -> list[tuple[str, str]]:
        """Each re-queue as (when, why): why as a message (older rows: each line as written)."""
        try:
            entries = json.loads(self.history_json) if self.history_json else None
        except ValueError:
            entries = None
        if not isinstance(entries, list):
            return [("", line) for line in self.history.splitlines() if line]
        return [(str(entry.get("at", "")), from_json(json.dumps(entry.get("reason", "")), ""))
                for entry in entries if isinstance(entry, dict)]
