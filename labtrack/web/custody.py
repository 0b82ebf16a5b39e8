"""Scanning station, custody history of an item, corrections, custody forms and manifests."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.core.custody_rules import STATION_ACTIONS, said_reason
from labtrack.core.scanning import LAYOUT_TO_LATIN, MULTI_KEY, REPEAT_WINDOW_S
from labtrack.db import get_session
from labtrack.models.custody import CAPTURE_METHODS, CUSTODY_ACTIONS, ITEM_KINDS
from labtrack.services import accounts, custody_corrections, custody_documents, custody_state, labels
from labtrack.services import lists as list_specs
from labtrack.web import lists
from labtrack.web.access import ADMIN, ANALYST, TECHNICIAN, roles_required
from labtrack.web.form_pages import attempt
from labtrack.web.intake_forms import CustodyCorrectionForm
from labtrack.web.messages import reader_language
from labtrack.web.terms import term

bp = Blueprint("custody", __name__, url_prefix="/custody")
STAFF = (TECHNICIAN, ANALYST, ADMIN)


@bp.route("/station")
@roles_required(TECHNICIAN, ADMIN)
def station() -> Any:
    return render_template("custody/station.html", actions=STATION_ACTIONS,
                           layout_map={**LAYOUT_TO_LATIN, **MULTI_KEY}, repeat_window=REPEAT_WINDOW_S)


@bp.route("/events")
@roles_required(*STAFF)
def events() -> Any:
    """Every custody event, newest first: paged, sorted, filtered (item, action, person, batch), exported."""
    return lists.show(list_specs.CUSTODY_EVENTS, "custody/events.html", filename="custody-events",
                      actions=CUSTODY_ACTIONS, kinds=ITEM_KINDS, methods=CAPTURE_METHODS)


def _item_page(item_accession: str, form: CustodyCorrectionForm | None = None, status: int = 200) -> Any:
    db = get_session()
    found = custody_state.get_item(db, item_accession)
    events = custody_state.events_of(db, found)
    corrected = {event.corrects_event_id for event in events if event.corrects_event_id}
    lines = [custody_documents.event_line(db, event) for event in events]
    if form is None:
        form = CustodyCorrectionForm(events=_event_choices(lines))
    return render_template("custody/item.html", item=found, state=custody_state.state_of(db, found),
                           lines=lines, corrected=corrected, label=labels.label_data(db, found),
                           prints=labels.prints_of(db, found), form=form), status


def _event_choices(lines: list[Any]) -> list[tuple[int, str]]:
    return [(line.event_id, f"#{line.event_id} {term(line.action)} {line.at}") for line in reversed(lines)]


@bp.route("/items/<item_accession>")
@roles_required(*STAFF)
def item(item_accession: str) -> Any:
    """The custody history of one item (append-only), its labels, and the form to correct an event."""
    return _item_page(item_accession)


@bp.route("/items/<item_accession>/corrections", methods=["POST"])
@roles_required(TECHNICIAN, ADMIN)
def correct(item_accession: str) -> Any:
    """Record a correction: a new event that references the wrong one (the wrong one stays)."""
    db = get_session()
    found = custody_state.get_item(db, item_accession)
    lines = [custody_documents.event_line(db, event) for event in custody_state.events_of(db, found)]
    form = CustodyCorrectionForm(events=_event_choices(lines))
    if form.validate_on_submit():
        badge = (form.to_badge.data or "").strip().upper()
        to_user = accounts.find_by_badge(db, badge) if badge else None
        if badge and to_user is None:
            form.to_badge.errors = [*form.to_badge.errors, _("No person has this badge.")]
        else:
            correction = attempt(form, custody_corrections.correct_event, session=db,
                                 event_id=int(form.event_id.data), by=current_user._get_current_object(),
                                 reason=form.reason.data.strip(), to_user=to_user,
                                 to_location=(form.to_location.data or "").strip(),
                                 to_party=(form.to_party.data or "").strip())
            if correction is not None:
                flash(_("Correction recorded; the corrected event stays in the history."), "success")
                return redirect(url_for("custody.item", item_accession=item_accession))
    return _item_page(item_accession, form, status=422)


@bp.app_template_filter("custody_reason")
def custody_reason(reason: str) -> str:
    """A custody event's reason: the system's own in the page's language, people's words as written."""
    return said_reason(reason or "")


def _pdf(data: bytes, name: str) -> Response:
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}.pdf"'})


@bp.route("/items/<item_accession>/form.pdf", methods=["GET", "POST"])
@roles_required(*STAFF)
def custody_form(item_accession: str) -> Any:
    """GET: a preview (marked, no number, nothing recorded); POST: issue the numbered form."""
    if request.method == "GET":
        return _pdf(custody_documents.preview_custody_form(
            session=get_session(), accession=item_accession, lab_name=current_app.config["LAB_NAME"],
            language=reader_language()), f"preview-{item_accession}")
    document, pdf = custody_documents.issue_custody_form(
        session=get_session(), accession=item_accession, by=current_user._get_current_object(),
        lab_name=current_app.config["LAB_NAME"], language=reader_language())
    return _pdf(pdf, document.number)


@bp.route("/batches/<batch_ref>/manifest.pdf", methods=["GET", "POST"])
@roles_required(*STAFF)
def manifest(batch_ref: str) -> Any:
    """GET: a preview; POST: issue the numbered transfer manifest (once per batch)."""
    if request.method == "GET":
        return _pdf(custody_documents.preview_manifest(
            session=get_session(), batch_ref=batch_ref, lab_name=current_app.config["LAB_NAME"],
            language=reader_language()), f"preview-{batch_ref}")
    document, pdf = custody_documents.issue_manifest(
        session=get_session(), batch_ref=batch_ref, by=current_user._get_current_object(),
        lab_name=current_app.config["LAB_NAME"], language=reader_language())
    return _pdf(pdf, document.number)
