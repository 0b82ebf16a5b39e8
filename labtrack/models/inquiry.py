"""Families' self-service inquiry: codes, the record of every access, and the changes a family
asks for (which a coordinator confirms before anything is applied)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from labtrack.models.base import created_at_field, in_list, timestamp_field

INQUIRY_CODE_STATUSES: tuple[str, ...] = ("active", "replaced", "revoked")
#: what happened when someone used the family page
INQUIRY_OUTCOMES: tuple[str, ...] = ("accepted", "viewed", "wrong", "malformed", "locked")
#: outcomes that are failed guesses (they count towards the lockouts)
FAILED_OUTCOMES: tuple[str, ...] = ("wrong", "malformed")
CHANGE_STATUSES: tuple[str, ...] = ("pending", "confirmed", "rejected", "superseded")
#: what a family may ask to change, per kind of code
CHANGE_DETAILS: dict[str, tuple[str, ...]] = {
    "missing_person": ("contact_name", "contact_phone", "notify_preference"),
    "donor": ("phone", "address"),
}
_ONE_SUBJECT = "(missing_person_id IS NULL) <> (donor_id IS NULL)"


class InquiryCode(SQLModel, table=True):
    """A family's inquiry code: the reference in clear, the secret only as a hash.

    A code belongs to a missing person's case (the family who reported it) or to a donor. At most
    one code per case or donor is active: issuing a new one replaces the old (``replaced_by_id``),
    revoking ends it; neither is ever deleted.
    """

    __tablename__ = "inquiry_code"
    __table_args__ = (
        CheckConstraint(in_list("status", INQUIRY_CODE_STATUSES), name="status"),
        CheckConstraint(_ONE_SUBJECT, name="one_subject"),
        CheckConstraint("status = 'active' OR ended_at IS NOT NULL", name="ended"),
        Index("uq_inquiry_code_active_person", "missing_person_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        Index("uq_inquiry_code_active_donor", "donor_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=16, unique=True, index=True)
    secret_hash: str = Field(max_length=200)
    missing_person_id: int | None = Field(default=None, foreign_key="missing_person.id", index=True)
    donor_id: int | None = Field(default=None, foreign_key="donor.id", index=True)
    status: str = Field(default="active", max_length=12)
    issued_by_id: int = Field(foreign_key="user_account.id")
    issued_at: datetime = created_at_field()
    ended_at: datetime | None = timestamp_field()
    ended_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    end_reason: str = Field(default="")
    replaced_by_id: int | None = Field(default=None, foreign_key="inquiry_code.id")
    last_used_at: datetime | None = timestamp_field()


class InquiryAccess(SQLModel, table=True):
    """Append-only: one row per use of the family page, whether the code was right or not.

    ``reference`` is what was typed (also for references that do not exist, so that lockouts
    count the same way for every code); ``inquiry_code_id`` is set when it names a stored code;
    ``client`` is a keyed fingerprint of the client address, never the address itself.
    """

    __tablename__ = "inquiry_access"
    __table_args__ = (
        CheckConstraint(in_list("outcome", INQUIRY_OUTCOMES), name="outcome"),
        Index("ix_inquiry_access_reference_at", "reference", "at"),
        Index("ix_inquiry_access_client_at", "client", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = created_at_field()
    reference: str = Field(default="", max_length=16)
    inquiry_code_id: int | None = Field(default=None, foreign_key="inquiry_code.id", index=True)
    outcome: str = Field(max_length=12)
    client: str = Field(default="", max_length=16)


class InquiryChangeRequest(SQLModel, table=True):
    """A change a family asked for on the inquiry page. Nothing is applied until a coordinator
    confirms it (then the change goes through the usual audited service); a newer request for
    the same detail supersedes an older pending one."""

    __tablename__ = "inquiry_change_request"
    __table_args__ = (
        CheckConstraint(in_list("status", CHANGE_STATUSES), name="status"),
        CheckConstraint(_ONE_SUBJECT, name="one_subject"),
        Index("ix_inquiry_change_request_status_at", "status", "submitted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    inquiry_code_id: int = Field(foreign_key="inquiry_code.id", index=True)
    missing_person_id: int | None = Field(default=None, foreign_key="missing_person.id", index=True)
    donor_id: int | None = Field(default=None, foreign_key="donor.id", index=True)
    detail: str = Field(max_length=32)
    new_value: str = Field(default="", max_length=500)
    status: str = Field(default="pending", max_length=12)
    submitted_at: datetime = created_at_field()
    decided_at: datetime | None = timestamp_field()
    decided_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    decision_note: str = Field(default="")
