"""Missing persons, donors, pedigrees (family trees) and consent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from labtrack.models.base import created_at_field, in_list

MISSING_STATUSES: tuple[str, ...] = ("missing", "provisionally_matched", "identified", "closed")
PERSON_SEXES: tuple[str, ...] = ("M", "F", "U")
NOTIFY_PREFERENCES: tuple[str, ...] = ("each_time", "once_at_end", "not_at_all")
CONSENT_KINDS: tuple[str, ...] = ("grant", "withdrawal")


class MissingPerson(SQLModel, table=True):
    __tablename__ = "missing_person"
    __table_args__ = (
        CheckConstraint(in_list("status", MISSING_STATUSES), name="status"),
        CheckConstraint(in_list("sex", PERSON_SEXES), name="sex"),
        CheckConstraint(in_list("notify_preference", NOTIFY_PREFERENCES), name="notify_preference"),
        CheckConstraint("birth_year IS NULL OR birth_year BETWEEN 1900 AND 2100", name="birth_year"),
        CheckConstraint("height_cm IS NULL OR height_cm BETWEEN 50 AND 250", name="height"),
        # a list sorted by a name reads its keys from the index: (name, id), id being the tie-breaker
        Index("ix_missing_person_name_ar_id", "name_ar", "id"),
        Index("ix_missing_person_name_latin_id", "name_latin", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_number: str = Field(max_length=32, unique=True, index=True)
    name_ar: str = Field(default="", max_length=200)
    name_latin: str = Field(default="", max_length=200)
    sex: str = Field(default="U", max_length=1)
    birth_date: date | None = None
    birth_year: int | None = Field(default=None, index=True)
    disappeared_on: date | None = None
    disappearance_place: str = Field(default="", max_length=200)
    circumstances: str = Field(default="")
    height_cm: float | None = None
    dental_notes: str = Field(default="")
    distinguishing_marks: str = Field(default="")
    status: str = Field(default="missing", max_length=24, index=True)
    contact_name: str = Field(default="", max_length=200)
    contact_phone: str = Field(default="", max_length=50)
    contact_relation: str = Field(default="", max_length=50)
    notify_preference: str = Field(default="each_time", max_length=12)
    wait_for_more_parts: bool = Field(default=False)
    created_at: datetime = created_at_field()


class Donor(SQLModel, table=True):
    """A relative who gives a reference sample. Contact data is for coordinators and admins only."""

    __tablename__ = "donor"
    __table_args__ = (
        CheckConstraint(in_list("sex", PERSON_SEXES), name="sex"),
        Index("ix_donor_name_ar_id", "name_ar", "id"),  # lists sorted by a name (id: the tie-breaker)
        Index("ix_donor_name_latin_id", "name_latin", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name_ar: str = Field(default="", max_length=200)
    name_latin: str = Field(default="", max_length=200)
    sex: str = Field(default="U", max_length=1)
    birth_year: int | None = None
    phone: str = Field(default="", max_length=50)
    address: str = Field(default="")
    created_at: datetime = created_at_field()


class Family(SQLModel, table=True):
    """One pedigree: the missing person(s), typed donors and untyped connecting relatives."""

    __tablename__ = "family"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    notes: str = Field(default="")
    created_at: datetime = created_at_field()


class PedigreeMember(SQLModel, table=True):
    """A person in a family tree; a donor may be a member of several families."""

    __tablename__ = "pedigree_member"
    __table_args__ = (
        UniqueConstraint("family_id", "person_code"),
        UniqueConstraint("family_id", "donor_id"),
        CheckConstraint(in_list("sex", PERSON_SEXES), name="sex"),
        CheckConstraint("donor_id IS NULL OR missing_person_id IS NULL", name="donor_or_missing"),
        CheckConstraint("father_id IS NULL OR father_id <> id", name="own_father"),
        CheckConstraint("mother_id IS NULL OR mother_id <> id", name="own_mother"),
    )

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    person_code: str = Field(max_length=40)
    sex: str = Field(default="U", max_length=1)
    father_id: int | None = Field(default=None, foreign_key="pedigree_member.id")
    mother_id: int | None = Field(default=None, foreign_key="pedigree_member.id")
    donor_id: int | None = Field(default=None, foreign_key="donor.id", index=True)
    missing_person_id: int | None = Field(default=None, foreign_key="missing_person.id", index=True)
    relation_label: str = Field(default="", max_length=50)


class RemovedPedigreeMember(SQLModel, table=True):
    """Append-only: a person taken out of a family tree, as they were, with who removed them and why.

    The live tree (``pedigree_member``) loses the row, so every reader of pedigrees sees the tree as
    it is now; this record (and the audit log's entry with the row before) keeps what was there."""

    __tablename__ = "removed_pedigree_member"

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    member_id: int  # the id the person had in pedigree_member (no foreign key: that row is gone)
    person_code: str = Field(max_length=40)
    sex: str = Field(default="U", max_length=1)
    father_code: str = Field(default="", max_length=40)
    mother_code: str = Field(default="", max_length=40)
    donor_id: int | None = Field(default=None, foreign_key="donor.id")
    missing_person_id: int | None = Field(default=None, foreign_key="missing_person.id")
    relation_label: str = Field(default="", max_length=50)
    reason: str
    removed_by_id: int = Field(foreign_key="user_account.id")
    removed_at: datetime = created_at_field()


class ConsentRecord(SQLModel, table=True):
    """Append-only: a grant of consent, or its withdrawal (which references the grant)."""

    __tablename__ = "consent_record"
    __table_args__ = (
        CheckConstraint(in_list("kind", CONSENT_KINDS), name="kind"),
        CheckConstraint("kind <> 'withdrawal' OR withdraws_id IS NOT NULL", name="withdrawal_ref"),
        CheckConstraint("retention_years IS NULL OR retention_years > 0", name="retention"),
    )

    id: int | None = Field(default=None, primary_key=True)
    donor_id: int = Field(foreign_key="donor.id", index=True)
    kind: str = Field(default="grant", max_length=12)
    identification_only: bool = Field(default=True)
    retention_years: int | None = None
    contact_for_results: bool = Field(default=True)
    given_on: date | None = None
    collected_by: str = Field(default="", max_length=200)
    withdraws_id: int | None = Field(default=None, foreign_key="consent_record.id", unique=True)
    note: str = Field(default="")
    recorded_by_id: int = Field(foreign_key="user_account.id")
    at: datetime = created_at_field()
