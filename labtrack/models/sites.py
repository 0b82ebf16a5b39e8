"""Exhumation sites and the remains recovered there."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from labtrack.models.base import created_at_field, in_list

SITE_STATUSES: tuple[str, ...] = ("reported", "active", "closed")
REMAINS_TYPES: tuple[str, ...] = ("complete_body", "partial", "isolated_part", "commingled")
SEXES: tuple[str, ...] = ("M", "F", "U")


class Site(SQLModel, table=True):
    __tablename__ = "site"
    __table_args__ = (
        CheckConstraint(in_list("status", SITE_STATUSES), name="status"),
        CheckConstraint("length(code) = 3", name="code_length"),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude"),
        CheckConstraint("next_remains_number >= 1", name="next_remains_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=3, unique=True, index=True)
    name_en: str = Field(max_length=200)
    name_ar: str = Field(default="", max_length=200)
    governorate: str = Field(default="", max_length=100)
    latitude: float | None = None
    longitude: float | None = None
    legal_case_ref: str = Field(default="", max_length=100)
    status: str = Field(default="active", max_length=20)
    next_remains_number: int = Field(default=1)
    created_at: datetime = created_at_field()


class Remains(SQLModel, table=True):
    """A body, body part or commingled set recovered at a site; its accession is its barcode."""

    __tablename__ = "remains"
    __table_args__ = (
        UniqueConstraint("site_id", "number"),
        CheckConstraint(in_list("remains_type", REMAINS_TYPES), name="remains_type"),
        CheckConstraint(in_list("est_sex", SEXES), name="est_sex"),
        CheckConstraint(
            "est_age_min IS NULL OR est_age_max IS NULL OR est_age_min <= est_age_max", name="age"
        ),
        CheckConstraint("est_stature_cm IS NULL OR est_stature_cm BETWEEN 50 AND 250", name="stature"),
        CheckConstraint("depth_m IS NULL OR depth_m >= 0", name="depth"),
        CheckConstraint("next_sample_number >= 1", name="next_sample_number"),
        # the dashboard counts remains and individuals per site on this index alone (migration 0031)
        Index("ix_remains_site_individual", "site_id", "individual_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    accession: str = Field(max_length=32, unique=True, index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    number: int
    remains_type: str = Field(max_length=20)
    anatomical_elements: str = Field(default="")
    trench: str = Field(default="", max_length=50)
    grid: str = Field(default="", max_length=50)
    depth_m: float | None = None
    recovered_on: date | None = None
    recovery_team: str = Field(default="", max_length=200)
    est_sex: str = Field(default="U", max_length=1)
    est_age_min: int | None = None
    est_age_max: int | None = None
    est_stature_cm: float | None = None
    personal_effects: str = Field(default="")
    notes: str = Field(default="")
    next_sample_number: int = Field(default=1)
    individual_id: int | None = Field(default=None, foreign_key="individual.id", index=True)
    created_at: datetime = created_at_field()


class Individual(SQLModel, table=True):
    """One dead person as re-associated: several remains (body parts) identified as one individual."""

    __tablename__ = "individual"

    id: int | None = Field(default=None, primary_key=True)
    missing_person_id: int | None = Field(default=None, foreign_key="missing_person.id", unique=True)
    created_at: datetime = created_at_field()
