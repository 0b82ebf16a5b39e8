"""Import a Familias .fam file (coordinators): one pedigree of a kinship file as a family, or every
reference family of a DVI project, with a report of what was created and left out; all or nothing,
every problem named on the page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from labtrack.core.errors import ValidationFailed
from labtrack.db import get_session
from labtrack.services import familias_import
from labtrack.web.access import ADMIN, COORDINATOR, roles_required

bp = Blueprint("familias", __name__, url_prefix="/familias")


class FamImportForm(FlaskForm):
    file = FileField(_l("Familias file (.fam)"), validators=[FileRequired()])
    family_code = StringField(_l("Family code"), validators=[DataRequired(), Length(max=40)])
    pedigree = StringField(_l("Pedigree of the file (empty: the first); of a DVI file, one reference family "
                              "(empty: all)"), validators=[Optional(), Length(max=100)])
    missing = StringField(_l("The missing person (their name in the file; not for a DVI file)"),
                          validators=[Optional(), Length(max=100)])
    case_number = StringField(_l("Their case number (registered if new; for a DVI file the start of each "
                                 "missing person's case number)"), validators=[DataRequired(), Length(max=32)])


@bp.route("/import", methods=["GET", "POST"])
@roles_required(COORDINATOR, ADMIN)
def import_fam() -> Any:
    form = FamImportForm()
    if not form.validate_on_submit():
        return render_template("familias/import.html", form=form, problems=[], error=""), \
            422 if form.is_submitted() else 200
    upload = form.file.data
    try:
        report = familias_import.import_file(
            session=get_session(), raw=upload.read(), filename=upload.filename or "file.fam", by=current_user,
            family_code=form.family_code.data or "", pedigree=form.pedigree.data or "",
            missing=form.missing.data or "", case_number=form.case_number.data or "")
    except ValidationFailed as error:
        return render_template("familias/import.html", form=form, problems=error.problems, error=error.message), 422
    if report.dvi:
        return render_template("familias/report.html", report=report)
    done = report.families[0]
    flash(_("Family %(code)s imported from the Familias file: %(donors)s donors with their reference profiles. "
            "Record each donor's consent before their references are searched.", code=done.family.code,
            donors=len(done.donors)), "success")
    return redirect(url_for("families.detail", family_id=done.family.id))
