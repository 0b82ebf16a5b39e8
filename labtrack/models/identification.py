"""Identifications, electronic signatures, issued documents and family notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from labtrack.models.base import created_at_field, in_list

SIGNATURE_MEANINGS: tuple[str, ...] = ("reviewed", "approved", "issued")
DOCUMENT_KINDS: tuple[str, ...] = (
    "labels", "custody_form", "transfer_manifest", "match_report", "certificate", "notification",
)
NOTIFICATION_METHODS: tuple[str, ...] = ("in_person", "phone", "letter", "other")


class Signature(SQLModel, table=True):
    """An electronic signature: signer, meaning, time and the hash of what was signed."""

    __tablename__ = "signature"
    __table_args__ = (CheckConstraint(in_list("meaning", SIGNATURE_MEANINGS), name="meaning"),
                      Index("ix_signature_record", "record_type", "record_id"))  # a record's signatures

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id")
    meaning: str = Field(max_length=20)
    record_type: str = Field(max_length=40)
    record_id: int
    content_sha256: str = Field(max_length=64)
    at: datetime = created_at_field()


class Identification(SQLModel, table=True):
    """Append-only: remains identified as a missing person; a retraction is a new row."""

    __tablename__ = "identification"
    __table_args__ = (
        CheckConstraint("NOT retraction OR retracts_id IS NOT NULL", name="retraction_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    match_id: int | None = Field(default=None, foreign_key="match.id", index=True)
    remains_id: int = Field(foreign_key="remains.id", index=True)
    missing_person_id: int = Field(foreign_key="missing_person.id", index=True)
    individual_id: int | None = Field(default=None, foreign_key="individual.id")
    log10_lr: float | None = None
    posterior: float | None = None
    basis: str = Field(default="DNA kinship analysis")
    retraction: bool = Field(default=False)
    retracts_id: int | None = Field(default=None, foreign_key="identification.id", unique=True)
    reason: str = Field(default="")
    approved_by_id: int = Field(foreign_key="user_account.id")
    at: datetime = created_at_field()


class IssuedDocument(SQLModel, table=True):
    """Every PDF that leaves labtrack: number, kind, the record it is about, and its SHA-256."""

    __tablename__ = "issued_document"
    __table_args__ = (CheckConstraint(in_list("kind", DOCUMENT_KINDS), name="kind"),
                      Index("ix_issued_document_at", "at"),
                      Index("ix_issued_document_record", "record_type", "record_id"))  # a record's documents

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=40, unique=True, index=True)
    kind: str = Field(max_length=20)
    record_type: str = Field(max_length=40)
    record_id: int | None = None
    sha256: str = Field(max_length=64)
    language: str = Field(default="en", max_length=5)
    params_json: str = Field(default="{}")
    reissue_of_id: int | None = Field(default=None, foreign_key="issued_document.id")
    issued_by_id: int = Field(foreign_key="user_account.id")
    at: datetime = created_at_field()


class IssuedDocumentContent(SQLModel, table=True):
    """Append-only: the exact bytes of an issued document, served on every later download (so a
    new version of the PDF library or of a layout never changes or locks a document issued
    before). Kept apart from ``IssuedDocument`` so that lists of documents do not load PDFs."""

    __tablename__ = "issued_document_content"

    document_id: int = Field(foreign_key="issued_document.id", primary_key=True)
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class FamilyNotification(SQLModel, table=True):
    """Append-only: the family was told (when, by whom, how)."""

    __tablename__ = "family_notification"
    __table_args__ = (CheckConstraint(in_list("method", NOTIFICATION_METHODS), name="method"),)

    id: int | None = Field(default=None, primary_key=True)
    missing_person_id: int = Field(foreign_key="missing_person.id", index=True)
    identification_id: int | None = Field(default=None, foreign_key="identification.id")
    method: str = Field(max_length=12)
    notified_on: datetime = created_at_field()
    note: str = Field(default="")
    by_user_id: int = Field(foreign_key="user_account.id")


class RetractionProposal(SQLModel, table=True):
    """Append-only: the first analyst's signed proposal to retract an identification; a second
    analyst's signed approval makes the retraction (four eyes, like the identification itself)."""

    __tablename__ = "retraction_proposal"

    id: int | None = Field(default=None, primary_key=True)
    identification_id: int = Field(foreign_key="identification.id", index=True, unique=True)
    reason: str
    by_user_id: int = Field(foreign_key="user_account.id")
    signature_id: int = Field(foreign_key="signature.id")
    at: datetime = created_at_field()
