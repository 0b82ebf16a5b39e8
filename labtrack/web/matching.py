"""Match runs: start a blind search, follow its progress, see its candidates."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import FloatField, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from labtrack.db import get_session
from labtrack.models import FrequencyTable, Match
from labtrack.services import match_runs
from labtrack.web.access import ADMIN, ANALYST, roles_required

bp = Blueprint("matching", __name__, url_prefix="/matching")


class RunForm(FlaskForm):
    frequency_table_id = SelectField(_l("Allele-frequency table"), coerce=int, validate_choice=False)
    theta = FloatField(_l("Theta (Fst)"), default=0.0, validators=[Optional(), NumberRange(0, 0.49)])
    top_k = IntegerField(_l("Candidates kept per remains (top k)"), default=5,
                         validators=[Optional(), NumberRange(1, 100)])
    report_log10_lr = FloatField(_l("Report candidates with log10 LR at least"), default=3.0,
                                 validators=[Optional(), NumberRange(0, 100)])


def _form() -> RunForm:
    form = RunForm()
    tables = get_session().exec(select(FrequencyTable).order_by(FrequencyTable.name)).all()
    form.frequency_table_id.choices = [(t.id, t.name + (" ★" if t.is_default else "")) for t in tables]
    return form


@bp.route("/", methods=["GET", "POST"])
@roles_required(ANALYST, ADMIN)
def index() -> Any:
    form = _form()
    if form.validate_on_submit():
        params = match_runs.RunParameters(theta=form.theta.data or 0.0, top_k=form.top_k.data or 5,
                                          report_log10_lr=form.report_log10_lr.data if form.report_log10_lr.data
                                          is not None else 3.0,
                                          dask=current_app.config.get("DASK_SCHEDULER", ""))
        run = match_runs.start_run(session=get_session(), by=current_user, params=params,
                                   frequency_table_id=form.frequency_table_id.data or None,
                                   app=current_app._get_current_object(),  # type: ignore[attr-defined]
                                   background=not current_app.config.get("TESTING"))
        flash(_("Match run %(id)s started.", id=run.id), "success")
        return redirect(url_for("matching.run", run_id=run.id))
    status = 422 if form.errors else 200
    return render_template("matching/index.html", form=form, runs=match_runs.list_runs(get_session())), status


@bp.route("/runs/<int:run_id>")
@roles_required(ANALYST, ADMIN)
def run(run_id: int) -> Any:
    db = get_session()
    match_run = match_runs.get_run(db, run_id)
    matches = db.exec(select(Match).where(Match.run_id == run_id).order_by(Match.log10_lr.desc())).all()  # type: ignore[attr-defined]
    return render_template("matching/run.html", run=match_run, matches=matches)
