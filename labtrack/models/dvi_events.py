"""Closed events (a grave, a prison list): their remains and missing persons, the joint DVI
analyses run on them (append-only results), and the identifications proposed from those
results with their four-eyes review (append-only proposals and review steps)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from labtrack.models.base import created_at_field, in_list

EVENT_KINDS: tuple[str, ...] = ("grave", "prison_list", "other")
DVI_REVIEW_STEPS: tuple[str, ...] = ("approve", "send_back")


class DviEvent(SQLModel, table=True):
    """A closed event: the remains of one grave, the detainees of one prison list, ..."""

    __tablename__ = "dvi_event"
    __table_args__ = (CheckConstraint(in_list("kind", EVENT_KINDS), name="kind"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    kind: str = Field(default="grave", max_length=20)
    description: str = Field(default="")
    created_by_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = created_at_field()


class DviEventRemains(SQLModel, table=True):
    """Remains that belong to the event (a victim of the joint analysis)."""

    __tablename__ = "dvi_event_remains"
    __table_args__ = (UniqueConstraint("event_id", "remains_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="dvi_event.id", index=True)
    remains_id: int = Field(foreign_key="remains.id", index=True)
    added_at: datetime = created_at_field()


class DviEventMissing(SQLModel, table=True):
    """A missing person of the event (the family they belong to gives the references)."""

    __tablename__ = "dvi_event_missing"
    __table_args__ = (UniqueConstraint("event_id", "missing_person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="dvi_event.id", index=True)
    missing_person_id: int = Field(foreign_key="missing_person.id", index=True)
    added_at: datetime = created_at_field()


class DviAnalysis(SQLModel, table=True):
    """Append-only: one joint DVI of the event as it stood (`input_sha256` of exactly what was
    analysed), its route (`exact`, `branch-and-bound`, `sequential`) and the stated reason when
    enumeration was too large; `result_json` holds the pairwise LRs, the best joint
    assignments, the posterior pairing probabilities and the conclusions with thresholds."""

    __tablename__ = "dvi_analysis"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="dvi_event.id", index=True)
    job_id: int | None = Field(default=None, foreign_key="job.id")
    frequency_table_id: int | None = Field(default=None, foreign_key="frequency_table.id")
    input_sha256: str = Field(default="", max_length=64)
    engine_version: str = Field(default="", max_length=40)
    method: str = Field(default="", max_length=20)
    message: str = Field(default="")
    n_victims: int = Field(default=0)
    n_missing: int = Field(default=0)
    result_json: str = Field(default="{}")
    computed_at: datetime = created_at_field()


class DviProposal(SQLModel, table=True):
    """Append-only: an analyst's signed proposal to identify remains as a missing person from
    one joint analysis (the first pair of eyes)."""

    __tablename__ = "dvi_proposal"

    id: int | None = Field(default=None, primary_key=True)
    analysis_id: int = Field(foreign_key="dvi_analysis.id", index=True)
    remains_id: int = Field(foreign_key="remains.id", index=True)
    missing_person_id: int = Field(foreign_key="missing_person.id", index=True)
    family_id: int = Field(foreign_key="family.id")
    pairing_probability: float
    log10_lr: float | None = None
    conclusion: str = Field(default="", max_length=40)
    reason: str
    by_user_id: int = Field(foreign_key="user_account.id")
    signature_id: int = Field(foreign_key="signature.id")
    at: datetime = created_at_field()


class DviReview(SQLModel, table=True):
    """Append-only: a second analyst approves a proposal (signed; the identification it made)
    or sends it back."""

    __tablename__ = "dvi_review"
    __table_args__ = (CheckConstraint(in_list("step", DVI_REVIEW_STEPS), name="step"),
                      UniqueConstraint("proposal_id"))

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="dvi_proposal.id", index=True)
    step: str = Field(max_length=12)
    reason: str = Field(default="")
    by_user_id: int = Field(foreign_key="user_account.id")
    signature_id: int | None = Field(default=None, foreign_key="signature.id")
    identification_id: int | None = Field(default=None, foreign_key="identification.id")
    at: datetime = created_at_field()
