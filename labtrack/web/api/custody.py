"""API: custody events (single or batch, idempotent on event_key), scan validation, item state."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import request
from flask_login import current_user
from pydantic import BaseModel, Field

from labtrack.db import get_session
from labtrack.services import custody_state, custody_station, custody_transfers
from labtrack.web.access import ADMIN, ANALYST, TECHNICIAN
from labtrack.web.api import bp
from labtrack.web.api.openapi import operation, parse_body, respond
from labtrack.web.messages import text

STAFF = (TECHNICIAN, ANALYST, ADMIN)


class CustodyEventIn(BaseModel):
    item: str = Field(description="accession ID of the item", max_length=40)
    action: str = Field(max_length=20)
    event_key: str | None = Field(default=None, max_length=100,
                                  description="client-chosen unique key: a retry returns the first event")
    to_badge: str = Field(default="", max_length=32)
    to_location: str = Field(default="", max_length=40)
    from_location: str = Field(default="", max_length=40)
    to_party: str = Field(default="", max_length=200)
    seal_number: str = Field(default="", max_length=50)
    seal_intact: bool | None = None
    shipment_ref: str = Field(default="", max_length=50)
    reason: str = Field(default="", max_length=2000)
    expected_previous_event_id: int | None = None
    corrects_event_id: int | None = None
    method: str = Field(default="api", max_length=10)


class CustodyEventsIn(BaseModel):
    """A batch (``events``); a single event may also be posted as one CustodyEventIn object."""

    events: list[CustodyEventIn] = Field(min_length=1, max_length=500)
    batch_ref: str = Field(default="", max_length=50)


class CustodyEventOut(BaseModel):
    id: int
    event_key: str | None
    item_id: int
    previous_event_id: int | None
    action: str
    from_user_id: int | None
    to_user_id: int | None
    from_location_id: int | None
    to_location_id: int | None
    to_party: str
    seal_number: str
    seal_intact: bool | None
    batch_ref: str
    corrects_event_id: int | None
    recorded_by_id: int
    method: str
    at: datetime


class CustodyBatchOut(BaseModel):
    batch_ref: str
    replayed: bool
    events: list[CustodyEventOut]


class ScanIn(BaseModel):
    code: str = Field(max_length=200)
    action: str = Field(default="", max_length=20)
    batch: list[str] = Field(default_factory=list, max_length=1000)
    to_location: str = Field(default="", max_length=40)
    from_location: str = Field(default="", max_length=40)
    to_badge: str = Field(default="", max_length=32)


class ScanOut(BaseModel):
    ok: bool
    kind: str
    message: str
    accession: str
    expected_previous_event_id: int | None
    where: str


class ItemStateOut(BaseModel):
    accession: str
    kind: str
    where: str
    events: list[CustodyEventOut]


def _request(event: CustodyEventIn) -> custody_transfers.EventRequest:
    return custody_transfers.EventRequest(
        item_accession=event.item, action=event.action, event_key=event.event_key, to_badge=event.to_badge,
        to_location=event.to_location, from_location=event.from_location, to_party=event.to_party,
        seal_number=event.seal_number, seal_intact=event.seal_intact, shipment_ref=event.shipment_ref,
        reason=event.reason, expected_previous_event_id=event.expected_previous_event_id,
        corrects_event_id=event.corrects_event_id, method=event.method)


@operation(bp, "/custody-events", method="POST", summary="Record custody events (all or none; idempotent)",
           tag="custody", roles=(TECHNICIAN, ADMIN), body=CustodyEventsIn, response=CustodyBatchOut, status=201)
def record_custody_events() -> Any:
    payload = request.get_json(silent=True)
    if isinstance(payload, dict) and "events" not in payload and "item" in payload:
        single = parse_body(CustodyEventIn)
        body = CustodyEventsIn(events=[single])
    else:
        body = parse_body(CustodyEventsIn)
    result = custody_transfers.record_batch(session=get_session(), requests=[_request(e) for e in body.events],
                                            by=current_user._get_current_object(), batch_ref=body.batch_ref)
    out = {"batch_ref": result.batch_ref, "replayed": result.all_replayed, "events": result.events}
    return respond(CustodyBatchOut, out, status=200 if result.all_replayed else 201)


@operation(bp, "/scans/validate", method="POST", summary="Check one scan for the scanning station",
           tag="custody", roles=(TECHNICIAN, ADMIN), body=ScanIn, response=ScanOut)
def validate_scan() -> Any:
    body = parse_body(ScanIn)
    answer = custody_station.validate_scan(session=get_session(), raw=body.code, action=body.action,
                                           batch=body.batch, to_location=body.to_location,
                                           from_location=body.from_location, to_badge=body.to_badge)
    return respond(ScanOut, replace(answer, message=text(answer.message), where=text(answer.where)))


@operation(bp, "/custody-items/<item_accession>", summary="Where an item is and its custody events",
           tag="custody", roles=STAFF, response=ItemStateOut)
def custody_item(item_accession: str) -> Any:
    db = get_session()
    item = custody_state.get_item(db, item_accession)
    state = custody_state.state_of(db, item)
    return respond(ItemStateOut, {"accession": item.accession, "kind": item.kind, "where": text(state.describe()),
                                  "events": custody_state.events_of(db, item)})
