"""The name index: search keys of missing persons and donors (a read model derived from their
names, places and years; rebuilt from them at will, so not evidence and not audited)."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class NameIndex(SQLModel, table=True):
    __tablename__ = "name_index"
    __table_args__ = (UniqueConstraint("kind", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # missing_person or donor
    person_id: int
    search_key: str = Field(default=" ")
    birth_year: int | None = Field(default=None, index=True)
