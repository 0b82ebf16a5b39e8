"""Re-association of remains by direct matching: the stored runs (per site and grave, with the
minimum number of individuals), their groups, and the button that queues a run in the worker."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from labtrack.core.errors import NotFound
from labtrack.db import get_session
from labtrack.models import ReassociationRun
from labtrack.services import reassociation, reassociation_views
from labtrack.web import lists
from labtrack.web.access import ADMIN, ANALYST, roles_required

bp = Blueprint("reassociation", __name__, url_prefix="/profiles/reassociation")


class RunForm(FlaskForm):
    """A button: queue a re-association run (a worker job)."""


def _run(run_id: int | None) -> ReassociationRun | None:
    db = get_session()
    if run_id is None:
        return reassociation.latest(db)
    run = db.get(ReassociationRun, run_id)
    if run is None:
        raise NotFound(_("No such re-association run."))
    return run


@bp.route("/")
@bp.route("/runs/<int:run_id>")
@roles_required(ANALYST, ADMIN)
def index(run_id: int | None = None) -> Any:
    """A run (the newest by default): each site and grave with its MNI; the earlier runs."""
    run = _run(run_id)
    db = get_session()
    return lists.show(reassociation_views.graves(run.id if run else 0), "reassociation/index.html",
                      filename="reassociation-graves", run=run, runs=reassociation.runs(db),
                      pending=reassociation.pending(db), form=RunForm())


@bp.route("/runs/<int:run_id>/groups")
@roles_required(ANALYST, ADMIN)
def groups(run_id: int) -> Any:
    """The groups of a run (one person each), per site and grave."""
    run = _run(run_id)
    return lists.show(reassociation_views.groups(run_id), "reassociation/groups.html",
                      filename="reassociation-groups", run=run)


@bp.route("/run", methods=["POST"])
@roles_required(ANALYST, ADMIN)
def run() -> Any:
    if RunForm().validate_on_submit():
        reassociation.request(get_session(), by=current_user,
                              app=current_app._get_current_object())  # type: ignore[attr-defined]
        flash(_("The re-association is queued; this page shows its progress and then its result."), "info")
    return redirect(url_for("reassociation.index"))
