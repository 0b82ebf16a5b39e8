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
from labtrack.web.form_pages import attempt
from labtrack.web.intake_forms import LabelPrintForm
from labtrack.web.messages import reader_language

bp = Blueprint("labels", __name__, url_prefix="/labels")


def _labels_page(form: LabelPrintForm | None = None, status: int = 200) -> Any:
    if form is None:
        form = LabelPrintForm(layouts=LAYOUTS, data={"items": request.args.get("items", "")})
    return render_template("labels/index.html", form=form), status


@bp.route("/")
@roles_required(TECHNICIAN, ADMIN)
def index() -> Any:
    """The label printing form (IDs prefilled from ``?items=``)."""
    return _labels_page()


@bp.route("/", methods=["POST"])
@roles_required(TECHNICIAN, ADMIN)
def print_labels() -> Any:
    """Print labels (PDF or ZPL); a refused form (unknown ID, reprint without reason) keeps the list."""
    form = LabelPrintForm(layouts=LAYOUTS)
    if not form.validate_on_submit():
        return _labels_page(form, status=422)
    accessions = [part for part in re.split(r"[\s,;]+", form.items.data) if part]
    layout = form.layout.data
    printed = attempt(form, labels.print_labels, session=get_session(), accessions=accessions, layout=layout,
                      reason=(form.reason.data or "").strip(), by=current_user._get_current_object(),
                      language=reader_language())
    if printed is None:
        return _labels_page(form, status=422)
    content, prints = printed
    if layout == "zpl":
        return Response(content, mimetype="text/plain",
                        headers={"Content-Disposition": 'attachment; filename="labels.zpl"'})
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="labels-{layout}.pdf"'})
