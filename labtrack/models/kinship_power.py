"""Identification power of a family's references, as computed by a worker job (append-only:
every computation is kept; the newest is shown)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from labtrack.models.base import created_at_field


class FamilyPower(SQLModel, table=True):
    """EP/IP of one family with the references it had at `computed_at`
    (`labtrack.kinship.power`); `result_json` holds the per-marker EP, the IP at every LR
    threshold and the ranked gains from typing one more relative."""

    __tablename__ = "family_power"

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    job_id: int | None = Field(default=None, foreign_key="job.id")
    frequency_table_id: int | None = Field(default=None, foreign_key="frequency_table.id")
    references: str = Field(default="")  # sample accessions used, comma separated
    n_markers: int = Field(default=0)
    ep_total: float = Field(default=0.0)
    ip_1e4: float = Field(default=0.0)
    mean_log10_lr: float = Field(default=0.0)
    nsim: int = Field(default=0)
    result_json: str = Field(default="{}")
    computed_at: datetime = created_at_field()
