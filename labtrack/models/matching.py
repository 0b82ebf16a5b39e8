"""Match runs (kinship searches) and the candidate matches they produce; their reviews."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from labtrack.models.base import created_at_field, in_list, timestamp_field

RUN_STATUSES: tuple[str, ...] = ("queued", "running", "done", "failed")
REVIEW_STEPS: tuple[str, ...] = ("propose_confirm", "propose_reject", "approve", "send_back")


class MatchRun(SQLModel, table=True):
    __tablename__ = "match_run"
    __table_args__ = (
        CheckConstraint(in_list("status", RUN_STATUSES), name="status"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
    )

    id: int | None = Field(default=None, primary_key=True)
    started_by_id: int = Field(foreign_key="user_account.id")
    status: str = Field(default="queued", max_length=10)
    progress: float = Field(default=0.0)
    frequency_table_id: int = Field(foreign_key="frequency_table.id")
    params_json: str = Field(default="{}")
    engine_version: str = Field(default="", max_length=40)
    n_remains: int = Field(default=0)
    n_families: int = Field(default=0)
    n_matches: int = Field(default=0)
    error: str = Field(default="")
    created_at: datetime = created_at_field()
    finished_at: datetime | None = timestamp_field()


class Match(SQLModel, table=True):
    """A candidate: a remains profile against a family, above the reporting threshold."""

    __tablename__ = "match"
    __table_args__ = (UniqueConstraint("run_id", "profile_id", "family_id"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="match_run.id", index=True)
    profile_id: int = Field(foreign_key="profile.id", index=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    log10_lr: float
    posterior: float
    prior: float
    rank: int = Field(default=1)
    loci_used: int = Field(default=0)
    per_locus_json: str = Field(default="[]")
    created_at: datetime = created_at_field()


class MatchReview(SQLModel, table=True):
    """Append-only review steps of a match (four eyes): proposals, approvals, send-backs."""

    __tablename__ = "match_review"
    __table_args__ = (CheckConstraint(in_list("step", REVIEW_STEPS), name="step"),)

    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(foreign_key="match.id", index=True)
    step: str = Field(max_length=20)
    reason: str = Field(default="")
    by_user_id: int = Field(foreign_key="user_account.id")
    signature_id: int | None = Field(default=None, foreign_key="signature.id")
    at: datetime = created_at_field()
