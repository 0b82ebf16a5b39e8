"""Custody items and their append-only custody events; label prints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from labtrack.models.base import created_at_field, in_list

ITEM_KINDS: tuple[str, ...] = ("remains", "sample", "location")
CUSTODY_ACTIONS: tuple[str, ...] = (
    "register",  # label attached; first custodian (field team)
    "receive",  # received at the lab (or by a person)
    "store",  # moved into a storage location
    "handover",  # handed to a person
    "ship",  # sent out under seal
    "return",  # returned (from analysis, from a shipment)
    "release",  # handed over to the family (last event)
    "correction",  # corrects an earlier event (references it)
)
CAPTURE_METHODS: tuple[str, ...] = ("scanned", "typed", "api", "system")


class CustodyItem(SQLModel, table=True):
    """Anything with a barcode whose custody is tracked: remains, a sample, a storage box."""

    __tablename__ = "custody_item"
    __table_args__ = (
        CheckConstraint(in_list("kind", ITEM_KINDS), name="kind"),
        CheckConstraint(
            "(kind = 'remains' AND remains_id IS NOT NULL AND sample_id IS NULL AND location_id IS NULL)"
            " OR (kind = 'sample' AND sample_id IS NOT NULL AND remains_id IS NULL AND location_id IS NULL)"
            " OR (kind = 'location' AND location_id IS NOT NULL AND remains_id IS NULL AND sample_id IS NULL)",
            name="one_target",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    accession: str = Field(max_length=40, unique=True, index=True)
    kind: str = Field(max_length=10)
    remains_id: int | None = Field(default=None, foreign_key="remains.id", unique=True)
    sample_id: int | None = Field(default=None, foreign_key="sample.id", unique=True)
    location_id: int | None = Field(default=None, foreign_key="storage_location.id", unique=True)
    created_at: datetime = created_at_field()


class CustodyEvent(SQLModel, table=True):
    """One hand-over. Append-only: never updated or deleted (database triggers refuse it).

    ``previous_event_id`` is the item's latest event when this one was recorded; it is unique,
    so two stations that hand over the same item at once cannot both succeed (one gets a
    conflict), and an item can never be in two places.
    """

    __tablename__ = "custody_event"
    __table_args__ = (
        CheckConstraint(in_list("action", CUSTODY_ACTIONS), name="action"),
        CheckConstraint(in_list("method", CAPTURE_METHODS), name="method"),
        CheckConstraint(
            "action <> 'correction' OR corrects_event_id IS NOT NULL", name="correction_reference"
        ),
        CheckConstraint("action <> 'ship' OR seal_number <> ''", name="ship_seal"),
        Index(
            "uq_custody_event_first_per_item",
            "item_id",
            unique=True,
            sqlite_where=text("previous_event_id IS NULL"),
            postgresql_where=text("previous_event_id IS NULL"),
        ),
        # the few release events (remains returned to their families), for the dashboard's
        # "returned" stage without reading every custody event (migration 0032)
        Index("ix_custody_event_release", "item_id", sqlite_where=text("action = 'release'"),
              postgresql_where=text("action = 'release'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_key: str | None = Field(default=None, max_length=100, unique=True)
    item_id: int = Field(foreign_key="custody_item.id", index=True)
    previous_event_id: int | None = Field(default=None, foreign_key="custody_event.id", unique=True)
    action: str = Field(max_length=20)
    from_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    to_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    from_location_id: int | None = Field(default=None, foreign_key="storage_location.id")
    to_location_id: int | None = Field(default=None, foreign_key="storage_location.id")
    to_party: str = Field(default="", max_length=200)  # outside party: courier, partner lab, family
    reason: str = Field(default="")
    seal_number: str = Field(default="", max_length=50)
    seal_intact: bool | None = None
    shipment_ref: str = Field(default="", max_length=50)
    batch_ref: str = Field(default="", max_length=50, index=True)
    corrects_event_id: int | None = Field(default=None, foreign_key="custody_event.id")
    recorded_by_id: int = Field(foreign_key="user_account.id")
    method: str = Field(default="typed", max_length=10)
    at: datetime = created_at_field()


class LabelPrint(SQLModel, table=True):
    """Every label print and reprint (who, when, why)."""

    __tablename__ = "label_print"
    __table_args__ = (
        CheckConstraint("NOT reprint OR reason <> ''", name="reprint_reason"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="custody_item.id", index=True)
    layout: str = Field(max_length=20)
    reprint: bool = Field(default=False)
    reason: str = Field(default="")
    printed_by_id: int = Field(foreign_key="user_account.id")
    document_id: int | None = Field(default=None, foreign_key="issued_document.id")
    at: datetime = created_at_field()
