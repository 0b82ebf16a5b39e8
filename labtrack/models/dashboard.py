"""The operations dashboard's stored figures (computed by the worker: ``services.dashboard_snapshot``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from labtrack.models.base import created_at_field


class DashboardSnapshot(SQLModel, table=True):
    """The dashboard's figures as of ``computed_at``: derived from the evidence tables, recomputed
    at will, so not audited row by row (the job that computed them is); only the newest is kept."""

    __tablename__ = "dashboard_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int | None = Field(default=None, foreign_key="job.id")
    computed_at: datetime = created_at_field()
    seconds: float = Field(default=0.0)  # how long the computation took
    data_json: str = Field(sa_column=Column(Text, nullable=False))
