"""Samples: taking them from remains, their lifecycle, re-sampling."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.core import lifecycle
from labtrack.db import get_session
from labtrack.services import custody_state, samples
from labtrack.services import lists as list_specs
from labtrack.web import lists
from labtrack.web.access import ADMIN, ANALYST, TECHNICIAN, roles_required
from labtrack.web.form_pages import attempt
from labtrack.web.intake_forms import ResampleForm, SampleForm, SampleTransitionForm
from labtrack.web.sites import remains_page
from labtrack.web.terms import term

bp = Blueprint("samples", __name__, url_prefix="/samples")
READERS = (TECHNICIAN, ANALYST, ADMIN)
WRITERS = (TECHNICIAN, ANALYST, ADMIN)


@bp.route("/")
@roles_required(*READERS)
def index() -> Any:
    return lists.show(list_specs.SAMPLES, "samples/index.html", states=lifecycle.SAMPLE_STATES,
                      sample_types=samples.REMAINS_SAMPLE_TYPES)


@bp.route("/from/<remains_accession>", methods=["POST"])
@roles_required(TECHNICIAN, ADMIN)
def take(remains_accession: str) -> Any:
    """Record a sample taken from remains; a refused form comes back on the remains page."""
    form = SampleForm()
    if form.validate_on_submit():
        sample = attempt(form, samples.take_sample, session=get_session(), remains_accession=remains_accession,
                         sample_type=form.sample_type.data, collected_on=form.collected_on.data,
                         notes=(form.notes.data or "").strip(),
                         by=current_user._get_current_object())
        if sample is not None:
            flash(_("Sample %(id)s recorded: print its label now.", id=sample.accession), "success")
            return redirect(url_for("samples.detail", sample_accession=sample.accession))
    return remains_page(remains_accession, form, status=422)


def _sample_page(sample_accession: str, form: SampleTransitionForm | None = None, status: int = 200) -> Any:
    db = get_session()
    sample = samples.get_sample(db, sample_accession)
    state = custody_state.state_of(db, custody_state.get_item(db, sample.accession))
    return render_template("samples/detail.html", sample=sample, history=samples.history(db, sample),
                           allowed=lifecycle.allowed_transitions(sample.state), custody_state=state,
                           form=form or SampleTransitionForm(from_state=sample.state),
                           resample_form=ResampleForm()), status


@bp.route("/<sample_accession>")
@roles_required(*READERS)
def detail(sample_accession: str) -> Any:
    """One sample: its lifecycle, custody, and the forms for its next step."""
    return _sample_page(sample_accession)


@bp.route("/<sample_accession>/state", methods=["POST"])
@roles_required(*WRITERS)
def transition(sample_accession: str) -> Any:
    """Move a sample to its next lifecycle state; a refused step comes back with the reason kept."""
    sample = samples.get_sample(get_session(), sample_accession)
    form = SampleTransitionForm(from_state=sample.state)
    if form.validate_on_submit():
        sample = attempt(form, samples.transition, session=get_session(), accession=sample_accession,
                         to_state=form.to_state.data, reason=(form.reason.data or "").strip(),
                         by=current_user._get_current_object())
        if sample is not None:
            flash(_("%(id)s is now %(state)s.", id=sample.accession, state=term(sample.state)), "success")
            return redirect(url_for("samples.detail", sample_accession=sample.accession))
    return _sample_page(sample_accession, form, status=422)


@bp.route("/<sample_accession>/resample", methods=["POST"])
@roles_required(TECHNICIAN, ADMIN)
def resample(sample_accession: str) -> Any:
    """Take a new sample of the same remains to replace a failed one."""
    form = ResampleForm()
    if not form.validate_on_submit():
        return _sample_page(sample_accession, status=422)
    sample = samples.resample(session=get_session(), accession=sample_accession,
                              sample_type=form.sample_type.data or None, notes=(form.notes.data or "").strip(),
                              by=current_user._get_current_object())
    flash(_("New sample %(id)s taken to replace %(old)s.", id=sample.accession, old=sample_accession), "success")
    return redirect(url_for("samples.detail", sample_accession=sample.accession))
