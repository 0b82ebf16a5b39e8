"""Print labels (PDF or ZPL) for any set of items; every print and reprint is recorded."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from labtrack.db import get_session
from labtrack.documents.labels import LAYOUTS
from labtrack.services import labels
from labtrack.web.access import ADMIN, TECHNICIAN, roles_required
from labtrack.web.form_values import FormValues

bp = Blueprint("labels", __name__, url_prefix="/labels")


@bp.route("/")
@roles_required(TECHNICIAN, ADMIN)
def index() -> Any:
    return render_template("labels/index.html", layouts=LAYOUTS, items=request.args.get("items", ""))


@bp.route("/", methods=["POST"])
@roles_required(TECHNICIAN, ADMIN)
def print_labels() -> Any:
    form = FormValues()
    accessions = [part for part in re.split(r"[\s,;]+", form.text("items")) if part]
    layout = form.text("layout", "sheet")
    content, prints = labels.print_labels(session=get_session(), accessions=accessions, layout=layout,
                                          reason=form.text("reason"), by=current_user._get_current_object())
    if layout == "zpl":
        return Response(content, mimetype="text/plain",
                        headers={"Content-Disposition": 'attachment; filename="labels.zpl"'})
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="labels-{layout}.pdf"'})
