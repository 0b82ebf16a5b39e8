"""Match runs (kinship searches) and the candidate matches they produce; their reviews."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from labtrack.core.messages import from_json
from labtrack.models.base import created_at_field, in_list, timestamp_field

RUN_STATUSES: tuple[str, ...] = ("queued", "running", "done", "failed")
REVIEW_STEPS: tuple[str, ...] = ("propose_confirm", "propose_reject", "approve", "send_back")
#: review_rules.STATUSES (models do not import the rules; tests/core checks they agree)
REVIEW_STATUSES: tuple[str, ...] = ("open", "proposed_confirm", "proposed_reject", "confirmed", "rejected")
_LISTED = "closed_at IS NULL AND sample_id IS NOT NULL"  # the candidates the review queue lists


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
    error_json: str = Field(default="", sa_column_kwargs={"server_default": ""})  # the error as a message (JSON)
    # what it searched: {"full": true} or {"remains": [accessions], "families": [codes]}, and the
    # SHA-256 of exactly that input; what it did to the candidates, and the problems it skipped
    scope_json: str = Field(default='{"full": true}')
    input_sha256: str = Field(default="", max_length=64)
    outcome_json: str = Field(default="{}")
    created_at: datetime = created_at_field()
    finished_at: datetime | None = timestamp_field()

    @property
    def error_message(self) -> str:
        """Why it failed, as a message (plain English in older rows)."""
        return from_json(self.error_json, self.error)


class Match(SQLModel, table=True):
    """A candidate: a remains sample against a family, above the reporting threshold.

    A pair (remains sample, family) has at most one candidate that is not closed. A newer
    computation updates its numbers (``run_id`` is the run that computed them; every earlier
    set of numbers stays in ``MatchEvidence``); a candidate that no longer holds is closed with
    the reason. ``sample_id`` repeats the profile's sample so that the database can keep the rule.

    ``review_status`` is the status derived from the candidate's review steps
    (``review_rules.review_status``), kept on the row by ``services.review`` so that the review
    queue filters, sorts and counts by it through an index. The database keeps it in step and
    refuses any other value (``labtrack.models.review_status``); ``audit verify --deep`` compares
    it with the steps."""

    __tablename__ = "match"
    __table_args__ = (
        UniqueConstraint("run_id", "profile_id", "family_id"),
        Index("uq_match_open_pair", "sample_id", "family_id", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
        CheckConstraint(in_list("review_status", REVIEW_STATUSES), name="review_status"),
        # the review queue: open candidates strongest first, per status
        Index("ix_match_open_lr", "log10_lr", "id", sqlite_where=text(_LISTED), postgresql_where=text(_LISTED)),
        Index("ix_match_open_status_lr", "review_status", "log10_lr", "id",
              sqlite_where=text(_LISTED), postgresql_where=text(_LISTED)),
        Index("ix_match_open_posterior", "posterior", "id", sqlite_where=text(_LISTED), postgresql_where=text(_LISTED)),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="match_run.id", index=True)
    profile_id: int = Field(foreign_key="profile.id", index=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    sample_id: int | None = Field(default=None, index=True)
    log10_lr: float
    posterior: float
    prior: float
    rank: int = Field(default=1)
    loci_used: int = Field(default=0)
    per_locus_json: str = Field(default="[]")
    #: a family that one or two loci exclude (LR 0): listed for an analyst, never proposable;
    #: log10_lr is then the LR of the other loci and posterior 0
    near_miss: bool = Field(default=False)
    excluded_loci: str = Field(default="", max_length=400)
    created_at: datetime = created_at_field()
    computed_at: datetime | None = timestamp_field()
    previous_id: int | None = Field(default=None)  # the pair's earlier candidate, when one was reopened
    closed_at: datetime | None = timestamp_field()
    closed_reason: str = Field(default="")
    # the closing reason as a message (JSON, ``to_json``): said in the reader's language; "" before 0029
    closed_reason_json: str = Field(default="", sa_column_kwargs={"server_default": ""})
    closed_by_run_id: int | None = Field(default=None)
    review_status: str = Field(default="open", max_length=20, sa_column_kwargs={"server_default": "open"})

    @property
    def closed_reason_message(self) -> str:
        """Why the run closed it, as a message (plain English in older rows)."""
        return from_json(self.closed_reason_json, self.closed_reason)


class MatchEvidence(SQLModel, table=True):
    """Append-only: each distinct computation of a candidate (its numbers when first found and
    every time a later run changed them), so earlier numbers are never lost."""

    __tablename__ = "match_evidence"

    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(foreign_key="match.id", index=True)
    run_id: int = Field(foreign_key="match_run.id", index=True)
    profile_id: int = Field(foreign_key="profile.id")
    change: str = Field(default="new", max_length=20)  # new | updated | after_review
    log10_lr: float
    posterior: float
    prior: float
    rank: int = Field(default=1)
    loci_used: int = Field(default=0)
    per_locus_json: str = Field(default="[]")
    params_json: str = Field(default="{}")
    inputs_sha256: str = Field(default="", max_length=64)
    #: the exact inputs of this computation (``labtrack.services.snapshots``): remains profile
    #: version and alleles, pedigree members, their profiles and consents, frequency table,
    #: parameters and engine version; ``inputs_sha256`` is the SHA-256 of its canonical JSON
    inputs_json: str = Field(default="", sa_column_kwargs={"server_default": ""})
    at: datetime = created_at_field()


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
