"""Allele-frequency tables: the list, and importing a ``freqs.csv`` from the browser.

The import runs in the web request, on purpose: a frequency table is small (tens of loci × tens of
alleles, some 20 KB for NIST 1036's 29 loci) and is checked and stored in well under a second.
Files above ``MAX_WEB_BYTES`` are refused before they are read (``labtrack freqs import`` takes any
size); nothing is stored when any row is wrong.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from labtrack.core.errors import Conflict, InputProblem, ValidationFailed
from labtrack.db import get_session
from labtrack.services import frequencies
from labtrack.web.access import ADMIN, ANALYST, roles_required
from labtrack.web.corrections import problems_onto

bp = Blueprint("frequencies", __name__, url_prefix="/frequencies")
MAX_WEB_BYTES = 2 * 1024 * 1024


class FrequencyUploadForm(FlaskForm):
    file = FileField(_l("freqs.csv file (marker, allele, frequency[, count, n_alleles])"),
                     validators=[FileRequired()])
    name = StringField(_l("Table name, e.g. Syria 2025 (n=500)"), validators=[DataRequired(), Length(max=100)])
    source = StringField(_l("Source (publication, licence)"), validators=[Length(max=500)])
    make_default = BooleanField(_l("Make it the default table for match runs"))


def _page(form: FrequencyUploadForm, *, status: int = 200, error: str | None = None,
          problems: list[InputProblem] | None = None) -> Any:
    return render_template("frequencies/index.html", form=form, tables=frequencies.list_tables(get_session()),
                           error=error, problems=problems or [], max_kb=MAX_WEB_BYTES // 1024), status


@bp.route("/", methods=["GET", "POST"])
@roles_required(ANALYST, ADMIN)
def index() -> Any:
    """The frequency tables; a ``freqs.csv`` imported (all or nothing) by an analyst or an admin."""
    form = FrequencyUploadForm()
    if not form.validate_on_submit():
        return _page(form, status=422 if form.errors else 200)
    upload = form.file.data
    filename = upload.filename or "freqs.csv"
    raw = upload.stream.read(MAX_WEB_BYTES + 1)
    if len(raw) > MAX_WEB_BYTES:
        form.file.errors = [_("The file is larger than %(kb)s KB: a frequency table is much smaller. Import large "
                              "files with labtrack freqs import.", kb=MAX_WEB_BYTES // 1024)]
        return _page(form, status=413)
    try:
        table = frequencies.import_table(session=get_session(), raw=raw, filename=filename,
                                         name=(form.name.data or "").strip(), source=(form.source.data or "").strip(),
                                         make_default=bool(form.make_default.data), by=current_user)
    except ValidationFailed as error:
        return _page(form, status=422, error=error.message, problems=error.problems)
    except Conflict as error:
        problems_onto(form, Conflict(error.message, [InputProblem(message=error.message, field="name")]))
        return _page(form, status=409)
    flash(_("Frequency table %(name)s imported.", name=table.name) +
          (" " + _("It is now the default for match runs.") if table.is_default else ""), "success")
    return redirect(url_for("frequencies.index"))

