"""Counters that hand out the numbers of accession IDs numbered across the lab (not per site)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel


class AccessionCounter(SQLModel, table=True):
    """The next number of a series: ``reference`` (reference kits), ``document-2026`` (documents
    issued in 2026). Read with a row lock and advanced in the writer's transaction."""

    __tablename__ = "accession_counter"
    __table_args__ = (CheckConstraint("next_number >= 0", name="next_number"),)

    name: str = Field(primary_key=True, max_length=40)
    next_number: int
