"""Remains-to-remains re-association as computed by a worker job (append-only: every run is kept
with the pairs it found, its groups per grave and the minimum number of individuals per grave;
the pages show the newest run)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from labtrack.models.base import created_at_field


class ReassociationRun(SQLModel, table=True):
    """One run of the direct matching of every current remains profile against every other."""

    __tablename__ = "reassociation_run"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int | None = Field(default=None, foreign_key="job.id")
    min_overlap: int
    max_mismatches: int
    min_log10_lr: float  # a pair joins a group only with at least this identity LR
    profiles: int = Field(default=0)  # current remains profiles compared
    pairs: int = Field(default=0)
    groups: int = Field(default=0)  # groups of two or more remains (one person each)
    computed_at: datetime = created_at_field()


class ReassociationPair(SQLModel, table=True):
    """Two current remains profiles that match directly (identical, or one locus differing)."""

    __tablename__ = "reassociation_pair"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="reassociation_run.id", index=True)
    group_number: int | None = Field(default=None)  # the group the pair joined (None: LR too low)
    first_sample: str = Field(max_length=40)
    second_sample: str = Field(max_length=40)
    first_profile_id: int
    second_profile_id: int
    first_remains_id: int | None = Field(default=None)
    second_remains_id: int | None = Field(default=None)
    same_remains: bool
    overlap: int
    mismatched: str = Field(default="")  # loci, comma separated
    dropout: str = Field(default="")
    log10_lr: float


class ReassociationGroup(SQLModel, table=True):
    """The part of one group (remains of one person) found in one grave: a group spread over two
    graves has two rows."""

    __tablename__ = "reassociation_group"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="reassociation_run.id", index=True)
    group_number: int
    site_id: int = Field(foreign_key="site.id")
    site_code: str = Field(max_length=3)
    grave: str = Field(default="", max_length=50)  # the remains' trench ("" when not recorded)
    remains: str = Field(default="")  # accessions in this grave, comma separated
    n_remains: int
    group_size: int  # remains of the group in every grave
    graves: int  # graves the group is found in
    min_log10_lr: float  # the weakest link that joined the group


class ReassociationGrave(SQLModel, table=True):
    """A grave (or, with ``whole_site``, a whole site) at the run: its remains, how many are in
    groups, and the minimum number of individuals (MNI): each group present counts once, every
    other remains once."""

    __tablename__ = "reassociation_grave"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="reassociation_run.id", index=True)
    site_id: int = Field(foreign_key="site.id")
    site_code: str = Field(max_length=3)
    grave: str = Field(default="", max_length=50)
    whole_site: bool = Field(default=False)
    remains: int
    profiled: int  # remains with a current profile
    grouped: int  # remains in a group of two or more
    groups: int
    mni: int
