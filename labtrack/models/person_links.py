"""Two reports of one missing person, linked: both records kept; the link and its withdrawal are
append-only rows (a withdrawal is a new row that references the link)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from labtrack.models.base import created_at_field, in_list

LINK_KINDS: tuple[str, ...] = ("same_person", "withdrawn")


class MissingPersonLink(SQLModel, table=True):
    """``same_person``: the reports ``first_id`` < ``second_id`` are one person. ``withdrawn``:
    the link ``withdraws_id`` no longer holds (the pair repeated for reading)."""

    __tablename__ = "missing_person_link"
    __table_args__ = (
        CheckConstraint(in_list("kind", LINK_KINDS), name="kind"),
        CheckConstraint("first_id < second_id", name="ordered_pair"),
        CheckConstraint("(kind = 'withdrawn') = (withdraws_id IS NOT NULL)", name="withdrawal_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=12)
    first_id: int = Field(foreign_key="missing_person.id", index=True)
    second_id: int = Field(foreign_key="missing_person.id", index=True)
    withdraws_id: int | None = Field(default=None, foreign_key="missing_person_link.id", unique=True)
    reason: str
    by_user_id: int = Field(foreign_key="user_account.id")
    at: datetime = created_at_field()
