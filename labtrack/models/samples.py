"""Samples (bone, tooth, reference swabs), their lifecycle history and storage locations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from labtrack.core.lifecycle import SAMPLE_STATES
from labtrack.models.base import created_at_field, in_list

SAMPLE_TYPES: tuple[str, ...] = (
    "femur", "tibia", "petrous", "tooth", "other_bone", "tissue",  # from remains
    "buccal_swab", "blood", "personal_effect",  # references
)
LOCATION_LEVELS: tuple[str, ...] = ("room", "freezer", "shelf", "box", "position")


class Sample(SQLModel, table=True):
    """A sample taken from remains, or a reference sample given by a donor."""

    __tablename__ = "sample"
    __table_args__ = (
        CheckConstraint(in_list("sample_type", SAMPLE_TYPES), name="sample_type"),
        CheckConstraint(in_list("state", SAMPLE_STATES), name="state"),
        CheckConstraint(
            "(remains_id IS NOT NULL AND donor_id IS NULL AND missing_person_id IS NULL)"
            " OR (remains_id IS NULL AND donor_id IS NOT NULL AND missing_person_id IS NULL)"
            " OR (remains_id IS NULL AND donor_id IS NULL AND missing_person_id IS NOT NULL)",
            name="one_origin",
        ),
        CheckConstraint("state <> 'failed' OR failure_reason <> ''", name="failure_reason"),
        UniqueConstraint("remains_id", "number"),
        # the dashboard counts the remains samples not yet profiled on this index alone (migration 0031)
        Index("ix_sample_state_remains", "state", "remains_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    accession: str = Field(max_length=32, unique=True, index=True)
    remains_id: int | None = Field(default=None, foreign_key="remains.id", index=True)
    donor_id: int | None = Field(default=None, foreign_key="donor.id", index=True)
    # a personal reference of the missing person (toothbrush, archived biopsy): direct matching
    missing_person_id: int | None = Field(default=None, foreign_key="missing_person.id", index=True)
    number: int = Field(default=1)
    sample_type: str = Field(max_length=20)
    state: str = Field(default="collected", max_length=20, index=True)
    failure_reason: str = Field(default="")
    resampled_from_id: int | None = Field(default=None, foreign_key="sample.id")
    collected_on: date | None = None
    notes: str = Field(default="")
    created_at: datetime = created_at_field()


class SampleStateChange(SQLModel, table=True):
    """Append-only history of lifecycle transitions."""

    __tablename__ = "sample_state_change"

    id: int | None = Field(default=None, primary_key=True)
    sample_id: int = Field(foreign_key="sample.id", index=True)
    from_state: str = Field(max_length=20)
    to_state: str = Field(max_length=20)
    reason: str = Field(default="")
    by_user_id: int = Field(foreign_key="user_account.id")
    at: datetime = created_at_field()


class StorageLocation(SQLModel, table=True):
    """Room → freezer → shelf → box → position, each with a barcoded accession."""

    __tablename__ = "storage_location"
    __table_args__ = (CheckConstraint(in_list("level", LOCATION_LEVELS), name="level"),)

    id: int | None = Field(default=None, primary_key=True)
    accession: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=100)
    level: str = Field(max_length=10)
    parent_id: int | None = Field(default=None, foreign_key="storage_location.id", index=True)
    created_at: datetime = created_at_field()
