"""Issue custody documents: a chain-of-custody form (one item) and a transfer manifest (a batch)."""

from __future__ import annotations

from sqlmodel import Session

from labtrack.core.errors import NotFound
from labtrack.documents import custody_forms
from labtrack.models import CustodyEvent, CustodyItem, IssuedDocument, StorageLocation, User
from labtrack.services import custody, issued_documents
from labtrack.services.labels import label_data

ACTION_LABELS = {"register": "registered", "receive": "received", "store": "stored", "handover": "handed over",
                 "ship": "sent out", "return": "returned", "release": "released", "correction": "CORRECTION"}


def _place(session: Session, user_id: int | None, location_id: int | None, party: str) -> str:
    parts = []
    if location_id:
        location = session.get(StorageLocation, location_id)
        if location:
            parts.append(f"{location.accession} {location.name}")
    if user_id:
        user = session.get(User, user_id)
        if user:
            parts.append(f"{user.full_name} ({user.username})")
    if party:
        parts.append(party)
    return "; ".join(parts) or "-"


def event_line(session: Session, event: CustodyEvent) -> custody_forms.EventLine:
    recorder = session.get(User, event.recorded_by_id)
    note = event.reason
    if event.corrects_event_id:
        note = f"corrects event #{event.corrects_event_id}: {note}"
    seal = event.seal_number
    if seal and event.seal_intact is not None:
        seal += " (intact)" if event.seal_intact else " (BROKEN)"
    return custody_forms.EventLine(
        event_id=event.id or 0, at=f"{event.at:%Y-%m-%d %H:%M:%S}",
        action=ACTION_LABELS.get(event.action, event.action),
        source=_place(session, event.from_user_id, event.from_location_id, ""),
        destination=_place(session, event.to_user_id, event.to_location_id, event.to_party),
        seal=seal, recorded_by=recorder.username if recorder else "?", note=note)


def issue_custody_form(*, session: Session, accession: str, by: User, lab_name: str) -> tuple[IssuedDocument, bytes]:
    item = custody.get_item(session, accession)
    events = custody.events_of(session, item)
    data = label_data(session, item)
    state = custody.state_of(session, item)
    lines = [event_line(session, event) for event in events]

    def render(number: str) -> bytes:
        return custody_forms.render_custody_form(
            number=number, lab_name=lab_name, accession=item.accession, item_type=data.item_type,
            origin=data.site, current_place=state.describe(), events=lines)

    return issued_documents.issue(session, kind="custody_form", record_type="custody_item", record_id=item.id,
                                  by=by, render=render, params={"item": item.accession,
                                                               "events": [e.id for e in events]})


def issue_manifest(*, session: Session, batch_ref: str, by: User, lab_name: str) -> tuple[IssuedDocument, bytes]:
    events = custody.events_of_batch(session, batch_ref.strip())
    if not events:
        raise NotFound(f"no custody events in batch {batch_ref!r}")
    lines = []
    for event in events:
        item = session.get(CustodyItem, event.item_id)
        assert item is not None
        data = label_data(session, item)
        lines.append(custody_forms.ManifestLine(
            accession=item.accession, item_type=data.item_type,
            source=_place(session, event.from_user_id, event.from_location_id, ""),
            destination=_place(session, event.to_user_id, event.to_location_id, event.to_party),
            seal=event.seal_number))
    recorder = session.get(User, events[0].recorded_by_id)

    def render(number: str) -> bytes:
        return custody_forms.render_manifest(
            number=number, lab_name=lab_name, batch_ref=batch_ref, action=ACTION_LABELS.get(events[0].action, ""),
            recorded_at=f"{events[0].at:%Y-%m-%d %H:%M} UTC", recorded_by=recorder.full_name if recorder else "?",
            lines=lines)

    return issued_documents.issue(session, kind="transfer_manifest", record_type="custody_batch", record_id=None,
                                  by=by, render=render, params={"batch_ref": batch_ref,
                                                                "events": [e.id for e in events]})
