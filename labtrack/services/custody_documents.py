"""Issue custody documents: a chain-of-custody form (one item) and a transfer manifest (a batch),
in the issuing person's language (``language``; kept with the document's parameters)."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from labtrack.core.custody_rules import said_reason
from labtrack.core.errors import NotFound
from labtrack.core.messages import msg
from labtrack.documents import custody_forms
from labtrack.models import CustodyEvent, CustodyItem, IssuedDocument, StorageLocation, User
from labtrack.services import custody_state, issued_documents
from labtrack.services.labels import label_data

ACTION_LABELS = {"register": msg("registered"), "receive": msg("received"), "store": msg("stored"),
                 "handover": msg("handed over"), "ship": msg("sent out"), "return": msg("returned"),
                 "release": msg("released"), "correction": msg("CORRECTION")}


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
    note: str = said_reason(event.reason)
    if event.corrects_event_id:
        note = msg("corrects event #%(event)s: %(note)s", event=event.corrects_event_id, note=note)
    seal: str = event.seal_number
    if seal and event.seal_intact is not None:
        seal = msg("%(seal)s (intact)", seal=seal) if event.seal_intact else msg("%(seal)s (BROKEN)", seal=seal)
    return custody_forms.EventLine(
        event_id=event.id or 0, at=f"{event.at:%Y-%m-%d %H:%M:%S}",
        action=ACTION_LABELS.get(event.action, event.action),
        source=_place(session, event.from_user_id, event.from_location_id, ""),
        destination=_place(session, event.to_user_id, event.to_location_id, event.to_party),
        seal=seal, recorded_by=recorder.username if recorder else "?", note=note)


#: What a preview prints where an issued document prints its number.
PREVIEW = msg("PREVIEW - NOT ISSUED")


def _custody_form(session: Session, accession: str, lab_name: str,
                  language: str) -> tuple[CustodyItem, Any, dict[str, Any]]:
    item = custody_state.get_item(session, accession)
    events = custody_state.events_of(session, item)
    data = label_data(session, item)
    state = custody_state.state_of(session, item)
    lines = [event_line(session, event) for event in events]

    def render(number: str) -> bytes:
        return custody_forms.render_custody_form(
            number=number, lab_name=lab_name, accession=item.accession, item_type=data.item_type,
            origin=data.site, current_place=state.describe(), events=lines, language=language)

    params = {"item": item.accession, "events": [e.id for e in events]} | issued_documents.language_params(language)
    return item, render, params


def preview_custody_form(*, session: Session, accession: str, lab_name: str, language: str = "en") -> bytes:
    """The form as it would be issued now, marked as a preview: no number, nothing recorded."""
    _, render, _ = _custody_form(session, accession, lab_name, language)
    return render(PREVIEW)


def issue_custody_form(*, session: Session, accession: str, by: User, lab_name: str,
                       language: str = "en") -> tuple[IssuedDocument, bytes]:
    """Issue the chain-of-custody form of an item in ``language``. The same form (same item, same
    events, same language) issued before is served again under its number: a number is a new
    document, not a new download."""
    item, render, params = _custody_form(session, accession, lab_name, language)
    earlier = _same_document(session, "custody_form", "custody_item", item.id, params)
    if earlier is not None:
        return earlier
    return issued_documents.issue(session, kind="custody_form", record_type="custody_item", record_id=item.id,
                                  by=by, render=render, params=params, language=language)


def _manifest(session: Session, batch_ref: str, lab_name: str, language: str) -> tuple[Any, dict[str, Any]]:
    events = custody_state.events_of_batch(session, batch_ref.strip())
    if not events:
        raise NotFound(msg("no custody events in batch %(batch)s", batch=repr(batch_ref)))
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
            lines=lines, language=language)

    params = {"batch_ref": batch_ref, "events": [e.id for e in events]} | issued_documents.language_params(language)
    return render, params


def preview_manifest(*, session: Session, batch_ref: str, lab_name: str, language: str = "en") -> bytes:
    """The transfer manifest as it would be issued, marked as a preview: nothing recorded."""
    render, _ = _manifest(session, batch_ref, lab_name, language)
    return render(PREVIEW)


def issue_manifest(*, session: Session, batch_ref: str, by: User, lab_name: str,
                   language: str = "en") -> tuple[IssuedDocument, bytes]:
    """Issue the transfer manifest of a batch in ``language`` (once per language: issuing it again
    serves the same document)."""
    render, params = _manifest(session, batch_ref, lab_name, language)
    earlier = _same_document(session, "transfer_manifest", "custody_batch", None, params)
    if earlier is not None:
        return earlier
    return issued_documents.issue(session, kind="transfer_manifest", record_type="custody_batch", record_id=None,
                                  by=by, render=render, params=params, language=language)


def _same_document(session: Session, kind: str, record_type: str, record_id: int | None,
                   params: dict[str, Any]) -> tuple[IssuedDocument, bytes] | None:
    """The newest issued document of this kind about the same record with the same content
    (params, audit head aside), with its stored bytes; None if there is none."""
    query = select(IssuedDocument).where(IssuedDocument.kind == kind, IssuedDocument.record_type == record_type)
    if record_id is not None:
        query = query.where(IssuedDocument.record_id == record_id)
    else:
        query = query.where(IssuedDocument.params_json.contains(json.dumps(params["batch_ref"])))  # type: ignore[union-attr]
    for document in session.exec(query.order_by(IssuedDocument.id.desc()).limit(20)):  # type: ignore[union-attr]
        stored = json.loads(document.params_json or "{}")
        if stored.get("language", "en") == params.get("language", "en") and all(
                stored.get(key) == value for key, value in params.items()):
            pdf = issued_documents.stored_pdf(session, document)
            if pdf is not None:
                return document, pdf
    return None
