"""Samples: taking them from remains, their lifecycle, re-sampling."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.core import lifecycle
from labtrack.db import get_session
from labtrack.services import custody, samples
from labtrack.services import lists as list_specs
from labtrack.web import lists
from labtrack.web.access import ADMIN, ANALYST, TECHNICIAN, roles_required
from labtrack.web.form_values import FormValues

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
    form = FormValues()
    collected_on = form.day("collected_on")
    form.raise_if_any("The sample cannot be recorded")
    sample = samples.take_sample(session=get_session(), remains_accession=remains_accession,
                                 sample_type=form.text("sample_type"), collected_on=collected_on,
                                 notes=form.text("notes"), by=current_user._get_current_object())
    flash(_("Sample %(id)s recorded: print its label now.", id=sample.accession), "success")
    return redirect(url_for("samples.detail", sample_accession=sample.accession))


@bp.route("/<sample_accession>")
@roles_required(*READERS)
def detail(sample_accession: str) -> Any:
    db = get_session()
    sample = samples.get_sample(db, sample_accession)
    state = custody.state_of(db, custody.get_item(db, sample.accession))
    return render_template("samples/detail.html", sample=sample, history=samples.history(db, sample),
                           allowed=lifecycle.allowed_transitions(sample.state), custody_state=state)


@bp.route("/<sample_accession>/state", methods=["POST"])
@roles_required(*WRITERS)
def transition(sample_accession: str) -> Any:
    form = FormValues()
    sample = samples.transition(session=get_session(), accession=sample_accession, to_state=form.text("to_state"),
                                reason=form.text("reason"), by=current_user._get_current_object())
    flash(_("%(id)s is now %(state)s.", id=sample.accession, state=sample.state), "success")
    return redirect(url_for("samples.detail", sample_accession=sample.accession))


@bp.route("/<sample_accession>/resample", methods=["POST"])
@roles_required(TECHNICIAN, ADMIN)
def resample(sample_accession: str) -> Any:
    form = FormValues()
    sample = samples.resample(session=get_session(), accession=sample_accession,
                              sample_type=form.text("sample_type") or None, notes=form.text("notes"),
                              by=current_user._get_current_object())
    flash(_("New sample %(id)s taken to replace %(old)s.", id=sample.accession, old=sample_accession), "success")
    return redirect(url_for("samples.detail", sample_accession=sample.accession))
