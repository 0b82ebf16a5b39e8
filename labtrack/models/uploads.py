"""Files uploaded for a long import: kept in the database (so that a worker on any host reads them)
and imported by a worker job; the outcome (what was stored, or every problem) is kept with them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, LargeBinary
from sqlmodel import Field, SQLModel

from labtrack.models.base import created_at_field, in_list

UPLOAD_KINDS: tuple[str, ...] = ("profiles", "pedigrees", "familias")


class Upload(SQLModel, table=True):
    """One uploaded file waiting for, or imported by, a worker job (``Job.subject_type`` "upload").
    ``result_json`` is written in the transaction that ends the job: ``{"outcome": "imported", ...}``
    with what was stored, or ``{"outcome": "refused", "message", "problems", "n_problems"}`` (the
    database unchanged)."""

    __tablename__ = "upload"
    __table_args__ = (CheckConstraint(in_list("kind", UPLOAD_KINDS), name="kind"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    filename: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    size_bytes: int = Field(default=0)
    options_json: str = Field(default="{}")
    result_json: str = Field(default="")
    created_by_id: int = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = created_at_field()


class UploadContent(SQLModel, table=True):
    """The bytes of an upload, apart from ``Upload`` so that lists do not load files (written once,
    through the driver: the audit entry of the upload holds their SHA-256, not the bytes)."""

    __tablename__ = "upload_content"

    upload_id: int = Field(foreign_key="upload.id", primary_key=True)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
