"""Closed events: define (coordinators), run the joint DVI (analysts, a worker job), read the
joint assignments, pairing probabilities, pairwise LRs and conclusions, and propose and approve
identifications from them (four eyes)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from labtrack.db import get_session
from labtrack.models.dvi_events import EVENT_KINDS
from labtrack.services import dvi_events, dvi_review
from labtrack.web.access import ADMIN, ANALYST, COORDINATOR, roles_required
from labtrack.web.extensions import limiter
from labtrack.web.review_forms import ApproveForm, SendBackForm

bp = Blueprint("events", __name__, url_prefix="/events")
READERS = (ANALYST, COORDINATOR, ADMIN)
DEFINERS = (COORDINATOR, ADMIN)
REVIEWERS = (ANALYST, ADMIN)
KIND_LABELS = {"grave": _l("a grave"), "prison_list": _l("a prison list"), "other": _l("other")}


class EventForm(FlaskForm):
    code = StringField(_l("Event code (e.g. GRAVE-QTF-1)"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=[(k, KIND_LABELS[k]) for k in EVENT_KINDS])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])


class MembersForm(FlaskForm):
    remains = TextAreaField(_l("Remains accessions (separated by spaces or commas)"),
                            validators=[Optional(), Length(max=20000)])
    site_code = StringField(_l("Or every remains of the site (site code)"), validators=[Optional(), Length(max=20)])
    case_numbers = TextAreaField(_l("Missing persons' case numbers"), validators=[Optional(), Length(max=20000)])


class RemoveForm(FlaskForm):
    remains_id = HiddenField()
    missing_person_id = HiddenField()


class AnalyseForm(FlaskForm):
    """A button: run the joint DVI of the event (a worker job)."""


class ProposeForm(FlaskForm):
    pairing = SelectField(_l("Identification"), choices=[], validators=[DataRequired()])
    reason = TextAreaField(_l("Reasons"), validators=[DataRequired(), Length(max=2000)])
    password = PasswordField(_l("Your password (electronic signature: reviewed)"),
                             validators=[DataRequired(), Length(max=200)])


def _problems(form: Any) -> bool:
    if form.validate_on_submit():
        return False
    for name, errors in form.errors.items():
        label = getattr(form, name).label.text if hasattr(form, name) else name
        for error in errors:
            flash(f"{label}: {error}", "error")
    return True


def _threshold() -> float:
    return float(current_app.config.get("IDENTIFICATION_THRESHOLD", dvi_review.DEFAULT_THRESHOLD))


@bp.app_template_global("closed_event_proposals_waiting")
def proposals_waiting() -> list[dvi_review.ProposalView]:
    """Identifications from closed events waiting for a second analyst (shown on the review
    queue and the events page, to reviewers only)."""
    if not current_user.is_authenticated or current_user.role not in REVIEWERS:
        return []
    return dvi_review.waiting(get_session())


@bp.app_template_global("closed_event_pairings_ready")
def pairings_ready() -> list[dvi_review.ReadyPairing]:
    """Pairings of closed events' newest analyses that reach the threshold and wait for a proposal."""
    if not current_user.is_authenticated or current_user.role not in REVIEWERS:
        return []
    return dvi_review.ready(get_session(), _threshold())


@bp.route("/")
@roles_required(*READERS)
def index() -> Any:
    db = get_session()
    return render_template("events/index.html", events=dvi_events.list_events(db), form=EventForm(),
                           kind_labels=KIND_LABELS)


@bp.route("/", methods=["POST"])
@roles_required(*DEFINERS)
def create() -> Any:
    form = EventForm()
    if _problems(form):
        return redirect(url_for("events.index"))
    event = dvi_events.create_event(get_session(), code=form.code.data or "", name=form.name.data or "",
                                    kind=form.kind.data or "", description=form.description.data or "",
                                    by=current_user)
    flash(_("Event %(code)s created. Add its remains and missing persons.", code=event.code), "success")
    return redirect(url_for("events.detail", event_id=event.id))


@bp.route("/<int:event_id>")
@roles_required(*READERS)
def detail(event_id: int) -> Any:
    db = get_session()
    event = dvi_events.get_event(db, event_id)
    analysis = dvi_events.latest_analysis(db, event_id)
    result = dvi_events.result_of(analysis) if analysis else None
    propose_form = ProposeForm()
    propose_form.pairing.choices = dvi_review.proposable(db, analysis, _threshold()) if analysis else []
    return render_template(
        "events/detail.html", event=event, members=dvi_events.members(db, event_id), analysis=analysis,
        result=result, job=dvi_events.last_job(db, event_id), pending=dvi_events.pending(db, event_id),
        proposals=dvi_review.proposals(db, event_id), members_form=MembersForm(), remove_form=RemoveForm(),
        analyse_form=AnalyseForm(), propose_form=propose_form, approve_form=ApproveForm(),
        send_back_form=SendBackForm(), threshold=_threshold(), kind_labels=KIND_LABELS, me=current_user.id,
        full_table=bool(result) and len(result["missing"]) <= dvi_events.PAGE_FULL_TABLE,
        best=dvi_events.best_candidates(result) if result else [],
        said=dvi_events.said(result) if result else ("", []))


@bp.route("/<int:event_id>/members", methods=["POST"])
@roles_required(*DEFINERS)
def add_members(event_id: int) -> Any:
    form = MembersForm()
    if not _problems(form):
        n_remains, n_missing = dvi_events.add_members(
            get_session(), event_id=event_id, remains=form.remains.data or "", site_code=form.site_code.data or "",
            case_numbers=form.case_numbers.data or "", by=current_user)
        flash(_("Added %(remains)s remains and %(missing)s missing persons.", remains=n_remains,
                missing=n_missing), "success")
    return redirect(url_for("events.detail", event_id=event_id))


@bp.route("/<int:event_id>/members/remove", methods=["POST"])
@roles_required(*DEFINERS)
def remove_member(event_id: int) -> Any:
    form = RemoveForm()
    if not _problems(form):
        remains_id = int(form.remains_id.data) if (form.remains_id.data or "").isdigit() else None
        person_id = int(form.missing_person_id.data) if (form.missing_person_id.data or "").isdigit() else None
        if remains_id is None and person_id is None:
            flash(_("Choose a member to remove."), "error")
        else:
            dvi_events.remove_member(get_session(), event_id=event_id, remains_id=remains_id,
                                     missing_person_id=person_id, by=current_user)
            flash(_("Removed from the event."), "success")
    return redirect(url_for("events.detail", event_id=event_id))


@bp.route("/<int:event_id>/analyse", methods=["POST"])
@roles_required(*REVIEWERS)
def analyse(event_id: int) -> Any:
    form = AnalyseForm()
    if not _problems(form):
        dvi_events.request_analysis(get_session(), event_id=event_id, by=current_user, config=current_app.config,
                                    app=current_app._get_current_object())  # type: ignore[attr-defined]
        flash(_("The joint analysis is queued; this page shows its progress and then its result."), "info")
    return redirect(url_for("events.detail", event_id=event_id) + "#analysis")


@bp.route("/<int:event_id>/cancel", methods=["POST"])
@roles_required(*REVIEWERS)
def cancel(event_id: int) -> Any:
    """Cancel the queued or running joint analysis (a running one stops at its next step)."""
    form = AnalyseForm()
    if not _problems(form):
        dvi_events.cancel_analysis(get_session(), event_id=event_id, by=current_user)
        flash(_("The joint analysis is cancelled."), "info")
    return redirect(url_for("events.detail", event_id=event_id) + "#analysis")


@bp.route("/analyses/<int:analysis_id>/propose", methods=["POST"])
@limiter.limit(lambda: current_app.config["SIGNATURE_RATE_LIMIT"], methods=["POST"])
@roles_required(*REVIEWERS)
def propose(analysis_id: int) -> Any:
    db = get_session()
    analysis = dvi_review.get_analysis(db, analysis_id)
    form = ProposeForm()
    form.pairing.choices = dvi_review.proposable(db, analysis, _threshold())
    value = form.pairing.data or ""
    if not _problems(form):
        remains_id, _sep, person_id = value.partition(":")
        dvi_review.propose(session=db, analysis_id=analysis_id, remains_id=int(remains_id),
                           missing_person_id=int(person_id), by=current_user, reason=form.reason.data or "",
                           password=form.password.data or "", config=current_app.config, threshold=_threshold())
        flash(_("Your proposal is recorded and signed. A second analyst must now approve it."), "success")
    return redirect(url_for("events.detail", event_id=analysis.event_id) + "#proposals")


@bp.route("/proposals/<int:proposal_id>/approve", methods=["POST"])
@limiter.limit(lambda: current_app.config["SIGNATURE_RATE_LIMIT"], methods=["POST"])
@roles_required(*REVIEWERS)
def approve(proposal_id: int) -> Any:
    db = get_session()
    event_id = dvi_review.event_of_proposal(db, proposal_id)
    form = ApproveForm()
    if not _problems(form):
        dvi_review.approve(session=db, proposal_id=proposal_id, by=current_user, password=form.password.data or "",
                           reason=form.reason.data or "", config=current_app.config, threshold=_threshold())
        flash(_("Approved and signed: the remains are identified."), "success")
    return redirect(url_for("events.detail", event_id=event_id) + "#proposals")


@bp.route("/proposals/<int:proposal_id>/send-back", methods=["POST"])
@roles_required(*REVIEWERS)
def send_back(proposal_id: int) -> Any:
    db = get_session()
    event_id = dvi_review.event_of_proposal(db, proposal_id)
    form = SendBackForm()
    if not _problems(form):
        dvi_review.send_back(session=db, proposal_id=proposal_id, by=current_user, reason=form.reason.data or "")
        flash(_("The proposal was sent back; the pairing may be proposed again."), "success")
    return redirect(url_for("events.detail", event_id=event_id) + "#proposals")
