"""DNA profiles (per-locus alleles), imports, staff elimination profiles, frequency tables."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from labtrack.core.messages import from_data
from labtrack.models.base import created_at_field, in_list

PROFILE_ORIGINS: tuple[str, ...] = ("remains", "reference", "personal_effect", "staff")


class ProfileImport(SQLModel, table=True):
    """One imported file, kept with its SHA-256 so that importing it twice is detected."""

    __tablename__ = "profile_import"

    id: int | None = Field(default=None, primary_key=True)
    filename: str = Field(max_length=255)
    file_sha256: str = Field(max_length=64, unique=True)
    file_format: str = Field(max_length=20)
    kit: str = Field(default="", max_length=60)
    n_profiles: int = Field(default=0)
    imported_by_id: int = Field(foreign_key="user_account.id")
    at: datetime = created_at_field()


class StaffMember(SQLModel, table=True):
    """Lab staff and field team members whose profiles form the elimination database."""

    __tablename__ = "staff_member"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    role_description: str = Field(default="", max_length=100)
    created_at: datetime = created_at_field()


class Profile(SQLModel, table=True):
    """An STR profile of one sample (or of a staff member). Re-typing creates a new version."""

    __tablename__ = "profile"
    __table_args__ = (
        UniqueConstraint("sample_id", "version"),
        CheckConstraint(in_list("origin", PROFILE_ORIGINS), name="origin"),
        CheckConstraint(
            "(sample_id IS NOT NULL AND staff_member_id IS NULL)"
            " OR (sample_id IS NULL AND staff_member_id IS NOT NULL)",
            name="owner",
        ),
        CheckConstraint("version >= 1", name="version"),
        CheckConstraint("n_autosomal_loci >= 0", name="n_loci"),
        # the few profiles with a quality remark, for the list's filter by kind (services/lists.py)
        Index("ix_profile_qc_remarked", "id", sqlite_where=text("qc_notes != ''"),
              postgresql_where=text("qc_notes != ''")),
        # whether a sample has a current profile, on the index alone (the dashboard's "profiled"
        # stage probes it once per sample: migration 0032)
        Index("ix_profile_sample_current", "sample_id", "superseded"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sample_id: int | None = Field(default=None, foreign_key="sample.id", index=True)
    staff_member_id: int | None = Field(default=None, foreign_key="staff_member.id", index=True)
    origin: str = Field(max_length=16)
    version: int = Field(default=1)
    kit: str = Field(default="", max_length=60)
    is_mixture: bool = Field(default=False)
    n_autosomal_loci: int = Field(default=0)
    searchable: bool = Field(default=False)
    qc_notes: str = Field(default="")  # English, "; " between the remarks (searched in the lists)
    # the same remarks as messages (a JSON list, ``labtrack.core.messages.to_data``); "" before 0028
    qc_notes_json: str = Field(default="", sa_column_kwargs={"server_default": ""})
    import_id: int | None = Field(default=None, foreign_key="profile_import.id", index=True)
    source_row: int | None = None
    superseded: bool = Field(default=False)
    #: this sample's own drop-out probability (a badly degraded sample); None: the run's
    dropout: float | None = Field(default=None)
    created_at: datetime = created_at_field()

    @property
    def qc_remarks(self) -> list[str]:
        """The quality remarks, each a message (older rows: their English text as one remark)."""
        return qc_remarks(self.qc_notes, self.qc_notes_json)


def qc_remarks(english: str, data: str) -> list[str]:
    """A profile's quality remarks from its two columns: the messages kept as ``data`` (JSON), or
    the ``english`` text as one remark (profiles imported before the messages were kept)."""
    try:
        kept = json.loads(data) if data else None
    except ValueError:
        kept = None
    if not isinstance(kept, list):
        return [english] if english else []
    return [note if isinstance(note := from_data(item), str) else str(item) for item in kept]


class ProfileAllele(SQLModel, table=True):
    """The alleles of one profile at one locus, kept as strings (``9.3``, ``X``, ``OL``)."""

    __tablename__ = "profile_allele"
    __table_args__ = (UniqueConstraint("profile_id", "locus"),)

    id: int | None = Field(default=None, primary_key=True)
    profile_id: int = Field(foreign_key="profile.id", index=True)
    locus: str = Field(max_length=20)
    allele1: str = Field(max_length=12)
    allele2: str = Field(max_length=12)
    extra_alleles: str = Field(default="", max_length=200)  # comma list beyond two (mixtures)


class ProfileGenotype(SQLModel, table=True):
    """A profile's genotype as a digest (``labtrack.core.genotype_digest``), written with its
    alleles: distinct genotypes are counted on it without reading the allele rows (the dashboard's
    unique profiles). Derived from the alleles (which the audit covers), so not audited itself;
    a profile without alleles has none."""

    __tablename__ = "profile_genotype"

    profile_id: int = Field(foreign_key="profile.id", primary_key=True)
    digest: str = Field(max_length=32)


class FrequencyTable(SQLModel, table=True):
    __tablename__ = "frequency_table"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    source: str = Field(default="")
    file_sha256: str = Field(default="", max_length=64)
    is_default: bool = Field(default=False)
    created_at: datetime = created_at_field()


class FrequencyEntry(SQLModel, table=True):
    __tablename__ = "frequency_entry"
    __table_args__ = (
        UniqueConstraint("table_id", "marker", "allele"),
        CheckConstraint("frequency > 0 AND frequency <= 1", name="frequency"),
        CheckConstraint("n_alleles IS NULL OR n_alleles > 0", name="n_alleles"),
    )

    id: int | None = Field(default=None, primary_key=True)
    table_id: int = Field(foreign_key="frequency_table.id", index=True)
    marker: str = Field(max_length=20)
    allele: str = Field(max_length=12)
    frequency: float
    count: int | None = None
    n_alleles: int | None = None
