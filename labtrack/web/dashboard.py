"""Operations dashboard (all roles) and CSV / Excel export of its tables: the figures the worker
stored, as of the time it computed them (``services.dashboard_snapshot``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from labtrack.core.errors import Busy, NotFound
from labtrack.core.messages import msg
from labtrack.db import get_session
from labtrack.documents import charts
from labtrack.services import dashboard, dashboard_snapshot, exports
from labtrack.web.access import ALL_ROLES, roles_required

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
FORMATS = {"csv": ("text/csv; charset=utf-8", "csv"),
           "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")}


def _current() -> dashboard_snapshot.Current:
    """The figures the worker stored (a refresh queued when they are missing or old): the page
    and its exports never compute them (services/dashboard_snapshot.py)."""
    return dashboard_snapshot.current(get_session(), by=current_user,
                                      app=current_app._get_current_object(),  # type: ignore[attr-defined]
                                      max_age=float(current_app.config["DASHBOARD_MAX_AGE_SECONDS"]))


@bp.route("/")
@roles_required(*ALL_ROLES)
def index() -> Any:
    now = _current()
    if now.stored is None:
        return render_template("dashboard/index.html", stored=None, pending=now.pending)
    data = now.stored.dashboard
    totals = data.totals
    funnel_chart = Markup(charts.bar_chart("Remains, all sites", list(dashboard.STAGES),  # noqa: S704 - escaped  # nosec B704
                                           [totals[s] for s in dashboard.STAGES]))
    mni_chart = Markup(charts.bar_chart("Minimum number of individuals per site",  # noqa: S704 - escaped  # nosec B704
                                        [s.site_code for s in data.sites], [s.mni for s in data.sites]))
    return render_template("dashboard/index.html", stored=now.stored, pending=now.pending, data=data,
                           stages=dashboard.STAGES, tables=dashboard.TABLES, funnel_chart=funnel_chart,
                           mni_chart=mni_chart)


@bp.post("/refresh")
@roles_required(*ALL_ROLES)
def refresh() -> Any:
    """Queue a computation of the figures now (the worker runs it; one at a time: a refresh queued
    or running already is not queued again)."""
    dashboard_snapshot.request(get_session(), by=current_user,
                               app=current_app._get_current_object())  # type: ignore[attr-defined]
    flash(_("Newer figures are being computed; reload this page in a minute."), "info")
    return redirect(url_for("dashboard.index"))


@bp.route("/export")
@roles_required(*ALL_ROLES)
def export() -> Any:
    name = request.args.get("table", "funnel")
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        raise NotFound(msg("unknown export format %(format)s; choose csv or xlsx", format=repr(fmt)))
    if name not in dashboard.TABLES:
        dashboard.table(dashboard.Dashboard([], {}), name)  # raises NotFound naming the tables
    stored = _current().stored
    if stored is None:
        raise Busy(msg("the dashboard's figures are being computed; try again in a minute"))
    columns, rows = dashboard.table(stored.dashboard, name)
    body = exports.to_csv((columns, rows), bom=True) if fmt == "csv" else exports.to_xlsx((columns, rows), title=name)
    mimetype, extension = FORMATS[fmt]
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="labtrack-{name}.{extension}"'})
