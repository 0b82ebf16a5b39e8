"""Coordinators: the work list, telling families, their choices, and handing remains over."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.db import get_session
from labtrack.services import family_power, handover, notifications
from labtrack.web.access import ADMIN, COORDINATOR, roles_required
from labtrack.web.review_forms import NOTIFY_LABELS, HandoverForm, NotifiedForm, PreferencesForm

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
COORDINATORS = (COORDINATOR, ADMIN)


def _form_ok(form: Any) -> bool:
    if form.validate_on_submit():
        return True
    for name, errors in form.errors.items():
        for error in errors:
            flash(f"{getattr(form, name).label.text}: {error}", "error")
    if not form.errors:
        flash(_("The form is incomplete."), "error")
    return False


@bp.route("/")
@roles_required(*COORDINATORS)
def index() -> Any:
    db = get_session()
    return render_template("notifications/index.html", work=notifications.work_list(db),
                           notify_labels=NOTIFY_LABELS, weak=family_power.weak_families(db))


@bp.route("/persons/<int:missing_person_id>")
@roles_required(*COORDINATORS)
def person(missing_person_id: int) -> Any:
    db = get_session()
    details = notifications.person_details(db, missing_person_id)
    preferences = PreferencesForm(notify_preference=details.person.notify_preference,
                                  wait_for_more_parts=details.person.wait_for_more_parts)
    return render_template("notifications/person.html", d=details, notified_form=NotifiedForm(),
                           preferences_form=preferences, handover_form=HandoverForm(), notify_labels=NOTIFY_LABELS)


@bp.route("/persons/<int:missing_person_id>/notified", methods=["POST"])
@roles_required(*COORDINATORS)
def notified(missing_person_id: int) -> Any:
    form = NotifiedForm()
    if _form_ok(form):
        ident = int(form.identification_id.data) if (form.identification_id.data or "").isdigit() else None
        notifications.record_notification(session=get_session(), missing_person_id=missing_person_id,
                                          by=current_user, method=form.method.data or "", note=form.note.data or "",
                                          identification_id=ident)
        flash(_("Recorded: the family was told."), "success")
    return redirect(url_for("notifications.person", missing_person_id=missing_person_id))


@bp.route("/persons/<int:missing_person_id>/preferences", methods=["POST"])
@roles_required(*COORDINATORS)
def preferences(missing_person_id: int) -> Any:
    form = PreferencesForm()
    if _form_ok(form):
        notifications.set_preferences(session=get_session(), missing_person_id=missing_person_id, by=current_user,
                                      notify_preference=form.notify_preference.data or "",
                                      wait_for_more_parts=bool(form.wait_for_more_parts.data))
        flash(_("The family's choices are saved."), "success")
    return redirect(url_for("notifications.person", missing_person_id=missing_person_id))


@bp.route("/remains/<int:remains_id>/handover", methods=["POST"])
@roles_required(*COORDINATORS)
def hand_over(remains_id: int) -> Any:
    form = HandoverForm()
    if _form_ok(form):
        event = handover.release_to_family(session=get_session(), remains_id=remains_id,
                                           to_party=form.to_party.data or "", by=current_user,
                                           reason=form.reason.data or "", seal_number=form.seal_number.data or "")
        flash(_("Handover recorded (custody event %(id)s).", id=event.id), "success")
    return redirect(url_for("notifications.index"))
