"""Import a Familias .fam file (coordinators): one pedigree of a kinship file as a family, or every
reference family of a DVI project. The file is kept and imported by the worker; its page shows the
progress, then what was created and left out, or every problem (all or nothing)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from labtrack.core.errors import ValidationFailed
from labtrack.db import get_session
from labtrack.services import familias_import, uploads
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


def _page(form: FamImportForm, status: int = 200, problems: list[Any] | None = None, error: object = "") -> Any:
    return render_template("familias/import.html", form=form, problems=problems or [], error=error,
                           uploads=uploads.recent(get_session(), familias_import.UPLOAD_KIND)), status


@bp.route("/import", methods=["GET", "POST"])
@roles_required(COORDINATOR, ADMIN)
def import_fam() -> Any:
    """The form; a file sent is kept and imported by the worker (its page shows the progress)."""
    form = FamImportForm()
    if not form.validate_on_submit():
        return _page(form, 422 if form.is_submitted() else 200)
    upload = form.file.data
    try:
        queued = familias_import.submit(
            get_session(), raw=upload.read(), filename=upload.filename or "file.fam", by=current_user,
            family_code=form.family_code.data or "", pedigree=form.pedigree.data or "",
            missing=form.missing.data or "", case_number=form.case_number.data or "",
            app=current_app._get_current_object())  # type: ignore[attr-defined]
    except ValidationFailed as error:
        return _page(form, 422, error.problems, error.message)
    return redirect(url_for("familias.upload", upload_id=queued.id))


@bp.route("/uploads/<int:upload_id>")
@roles_required(COORDINATOR, ADMIN)
def upload(upload_id: int) -> Any:
    """A .fam file imported by the worker: progress while it runs, then the families created and
    what was left out, or every problem (the page reloads itself until the import has ended)."""
    view = uploads.get_upload(get_session(), upload_id, kind=familias_import.UPLOAD_KIND)
    summary = ""
    if view.status == "imported" and not view.result.get("dvi"):
        summary = _("Family %(code)s imported from the Familias file: %(donors)s donors with their reference "
                    "profiles. Record each donor's consent before their references are searched.",
                    code=view.result.get("family_code", ""), donors=len(view.result.get("donors", [])))
    return render_template("familias/upload.html", view=view, summary=summary,
                           back=url_for("familias.import_fam"))
