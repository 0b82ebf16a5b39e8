"""Shared column helpers and naming conventions for all tables."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, MetaData
from sqlmodel import Field, SQLModel

# Deterministic constraint names: Alembic migrations stay identical on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    """Timezone-aware current time in UTC (server time is the time of record)."""
    return datetime.now(UTC)


def created_at_field() -> datetime:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


def timestamp_field(nullable: bool = True) -> datetime | None:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def in_list(column: str, values: tuple[str, ...] | list[str]) -> str:
    """SQL CHECK text: ``column IN ('a', 'b')``."""
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"{column} IN ({quoted})"
