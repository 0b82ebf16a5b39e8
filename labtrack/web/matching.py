"""Match runs: queue a blind search, follow its progress, cancel it, see its candidates."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import FloatField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, NumberRange, Optional

from labtrack.core.errors import ValidationFailed
from labtrack.db import get_session
from labtrack.models import JOB_ENDED, FrequencyTable, Match, MatchEvidence
from labtrack.models.matching import RUN_STATUSES
from labtrack.services import jobs, lab_settings, match_runs, mutation_rate_tables
from labtrack.services import lists as list_specs
from labtrack.services.match_parameters import MUTATION_MODELS, MatchParameters
from labtrack.web import lists
from labtrack.web.access import ADMIN, ANALYST, roles_required

bp = Blueprint("matching", __name__, url_prefix="/matching")


def _table_choices() -> list[tuple[str, str]]:
    return [(mutation_rate_tables.NO_TABLE, _("none: one rate for every marker")),
            *[(name, name) for name in mutation_rate_tables.table_names()]]


class RunForm(FlaskForm):
    frequency_table_id = SelectField(_l("Allele-frequency table"), coerce=int, validate_choice=False)
    mutation_model = SelectField(
        _l("Mutation model"), choices=[(m, m) for m in MUTATION_MODELS], validate_choice=False,
        description=_l("STR loci mutate in about 1–3 of 1,000 meioses: without a model, a true parent "
                       "who differs at one locus is excluded."))
    mutation_rate = FloatField(_l("Mutation rate per meiosis"), validators=[Optional(), NumberRange(0, 0.999)])
    mutation_rate_table = SelectField(
        _l("Per-marker mutation rates"), validate_choice=False,
        description=_l("A published table shipped with labtrack (source in fixtures/mutation_rates): its "
                       "maternal and paternal rates replace the rates above at its markers; the other markers "
                       "keep the mutation rate."))
    dropout = FloatField(
        _l("Drop-out probability of the remains"), validators=[Optional(), NumberRange(0, 0.999)],
        description=_l("Degraded bone often shows one allele of a heterozygote: with a drop-out "
                       "probability, a single allele seen is not read as a homozygote."))
    dropin = FloatField(_l("Drop-in probability of the remains"), validators=[Optional(), NumberRange(0, 0.999)])
    theta = FloatField(_l("Theta (Fst)"), default=0.0, validators=[Optional(), NumberRange(0, 0.49)])
    top_k = IntegerField(_l("Candidates kept per remains (top k)"), default=5,
                         validators=[Optional(), NumberRange(1, 100)])
    report_log10_lr = FloatField(_l("Report candidates with log10 LR at least"), default=3.0,
                                 validators=[Optional(), NumberRange(0, 100)])
    prior = FloatField(
        _l("Prior probability of identity"), validators=[Optional(), NumberRange(1e-12, 0.999999)],
        description=_l("The chance, before the DNA is considered, that a remains is a given family's missing "
                       "person. Leave empty for 1 / number of families searched: the remains is one of the "
                       "families' missing, each family alike."))


def _form() -> RunForm:
    defaults = lab_settings.current(get_session(), current_app.config).parameters()
    form = RunForm(data={"mutation_model": defaults.mutation_model, "mutation_rate": defaults.mutation_rate,
                         "mutation_rate_table": defaults.mutation_rate_table,
                         "dropout": defaults.dropout, "dropin": defaults.dropin})
    form.mutation_rate_table.choices = _table_choices()
    tables = get_session().exec(select(FrequencyTable).order_by(FrequencyTable.name)).all()
    form.frequency_table_id.choices = [(t.id, t.name + (" ★" if t.is_default else "")) for t in tables]
    return form


@bp.route("/", methods=["GET", "POST"])
@roles_required(ANALYST, ADMIN)
def index() -> Any:
    form = _form()
    if form.validate_on_submit():
        params = lab_settings.run_parameters(
            get_session(), current_app.config, theta=form.theta.data or 0.0, top_k=form.top_k.data or 5,
            report_log10_lr=form.report_log10_lr.data if form.report_log10_lr.data is not None else 3.0,
            prior=form.prior.data, mutation_model=form.mutation_model.data or None,
            mutation_rate=form.mutation_rate.data, mutation_rate_table=form.mutation_rate_table.data or None,
            dropout=form.dropout.data, dropin=form.dropin.data)
        run = match_runs.start_run(session=get_session(), by=current_user, params=params,
                                   frequency_table_id=form.frequency_table_id.data or None,
                                   app=current_app._get_current_object())  # type: ignore[attr-defined]
        flash(_("Match run %(id)s queued; a worker runs it.", id=run.id), "success")
        return redirect(url_for("matching.run", run_id=run.id))
    status = 422 if form.errors else 200
    return lists.show(list_specs.MATCH_RUNS, "matching/index.html", form=form, statuses=RUN_STATUSES,
                      status=status, lab_defaults=lab_settings.current(get_session(), current_app.config))


@bp.route("/runs/<int:run_id>")
@roles_required(ANALYST, ADMIN)
def run(run_id: int) -> Any:
    db = get_session()
    match_run = match_runs.get_run(db, run_id)
    computed = db.exec(select(MatchEvidence).where(MatchEvidence.run_id == run_id)
                       .order_by(MatchEvidence.log10_lr.desc())).all()  # type: ignore[attr-defined]
    closed = db.exec(select(Match).where(Match.closed_by_run_id == run_id).order_by(Match.id)).all()  # type: ignore[arg-type]
    return render_template("matching/run.html", run=match_run, computed=computed, closed=closed,
                           outcome=match_runs.outcome(match_run), job=jobs.job_for(db, "match_run", run_id),
                           problems=match_runs.problems(match_run),
                           params=MatchParameters.from_json(match_run.params_json),
                           scope=match_runs.scope(match_run))


@bp.route("/runs/<int:run_id>/cancel", methods=["POST"])
@roles_required(ANALYST, ADMIN)
def cancel(run_id: int) -> Any:
    db = get_session()
    job = jobs.job_for(db, "match_run", match_runs.get_run(db, run_id).id or 0)
    if job is None or job.status in JOB_ENDED:
        flash(_("This run has ended; there is nothing to cancel."), "error")
    else:
        jobs.request_cancel(db, job.id or 0, by=current_user)
        flash(_("Cancel requested: the run stops at its next step."), "success")
    return redirect(url_for("matching.run", run_id=run_id))


class SettingsForm(FlaskForm):
    """The lab's default kinship models (see `services.lab_settings`)."""

    mutation_model = SelectField(_l("Mutation model"), choices=[(m, m) for m in MUTATION_MODELS],
                                 validate_choice=False)
    mutation_rate = FloatField(_l("Mutation rate per meiosis"), validators=[NumberRange(0, 0.999)])
    mutation_rate_female = FloatField(_l("Rate of female transmissions (empty: the rate above)"),
                                      validators=[Optional(), NumberRange(0, 0.999)])
    mutation_rate_male = FloatField(_l("Rate of male transmissions (empty: the rate above)"),
                                    validators=[Optional(), NumberRange(0, 0.999)])
    mutation_rate2 = FloatField(_l("Stepwise: rate of non-integer steps"), validators=[NumberRange(0, 0.999)])
    mutation_range = FloatField(_l("Stepwise: range (ratio of each further step)"),
                                validators=[NumberRange(0.000001, 0.999)])
    mutation_rate_table = SelectField(
        _l("Per-marker mutation rates"), validate_choice=False,
        description=_l("A published table shipped with labtrack (source in fixtures/mutation_rates): its "
                       "maternal and paternal rates replace the rates above at its markers; the other markers "
                       "keep the mutation rate."))
    dropout = FloatField(_l("Drop-out probability of the remains"), validators=[NumberRange(0, 0.999)])
    dropin = FloatField(_l("Drop-in probability of the remains"), validators=[NumberRange(0, 0.999)])
    near_k = IntegerField(_l("Near misses kept per remains"), validators=[NumberRange(0, 20)])
    reason = StringField(_l("Reason for the change"), validators=[DataRequired()])


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(ANALYST, ADMIN)
def settings() -> Any:
    """The lab's default kinship models: everyone who runs searches sees them; administrators
    change them (a new setting with a reason; the history stays)."""
    db = get_session()
    defaults = lab_settings.current(db, current_app.config)
    form = SettingsForm(data=defaults.values)
    form.mutation_rate_table.choices = _table_choices()
    may_change = current_user.role == ADMIN
    if request.method == "POST":
        if not may_change:
            abort(403)
        if form.validate_on_submit():
            values = {name: getattr(form, name).data for name in lab_settings.SETTING_FIELDS}
            try:
                lab_settings.change(db, current_app.config, values=values, by=current_user,
                                    reason=form.reason.data or "")
            except ValidationFailed as error:
                for problem in error.problems:
                    field = getattr(form, problem.field or "", None)
                    (field.errors if field is not None else form.form_errors).append(problem.message)  # type: ignore[union-attr]
            else:
                flash(_("The lab's default kinship models were changed; new match runs use them."), "success")
                return redirect(url_for("matching.settings"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("matching/settings.html", form=form, defaults=defaults, may_change=may_change,
                           described=lab_settings.describe(defaults.values),
                           history=lab_settings.history(db)), status
