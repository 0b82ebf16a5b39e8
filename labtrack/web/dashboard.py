"""Operations dashboard (all roles) and CSV / Excel export of its tables."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from markupsafe import Markup

from labtrack.core.errors import NotFound
from labtrack.core.messages import msg
from labtrack.db import get_session
from labtrack.documents import charts
from labtrack.services import dashboard, exports
from labtrack.web.access import ALL_ROLES, roles_required

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
FORMATS = {"csv": ("text/csv; charset=utf-8", "csv"),
           "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")}


@bp.route("/")
@roles_required(*ALL_ROLES)
def index() -> Any:
    data = dashboard.summary(get_session())
    totals = data.totals
    funnel_chart = Markup(charts.bar_chart("Remains, all sites", list(dashboard.STAGES),  # noqa: S704 - escaped  # nosec B704
                                           [totals[s] for s in dashboard.STAGES]))
    mni_chart = Markup(charts.bar_chart("Minimum number of individuals per site",  # noqa: S704 - escaped  # nosec B704
                                        [s.site_code for s in data.sites], [s.mni for s in data.sites]))
    return render_template("dashboard/index.html", data=data, stages=dashboard.STAGES, tables=dashboard.TABLES,
                           funnel_chart=funnel_chart, mni_chart=mni_chart)


@bp.route("/export")
@roles_required(*ALL_ROLES)
def export() -> Any:
    name = request.args.get("table", "funnel")
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        raise NotFound(msg("unknown export format %(format)s; choose csv or xlsx", format=repr(fmt)))
    columns, rows = dashboard.table(dashboard.summary(get_session()), name)
    body = exports.to_csv((columns, rows), bom=True) if fmt == "csv" else exports.to_xlsx((columns, rows), title=name)
    mimetype, extension = FORMATS[fmt]
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="labtrack-{name}.{extension}"'})
