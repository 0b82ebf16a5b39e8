"""DNA profiles: list, import by the worker (all or nothing, with the problem table), detail, QC, exports."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, FloatField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from labtrack.core.errors import ValidationFailed
from labtrack.core.kits import KITS
from labtrack.core.qc_remarks import QC_REMARK_KINDS
from labtrack.db import get_session
from labtrack.imports.cmf import export_cmf
from labtrack.models.profiles import PROFILE_ORIGINS, qc_remarks
from labtrack.services import exports, profiles, reassociation, reassociation_views, uploads
from labtrack.services import lists as list_specs
from labtrack.web import lists
from labtrack.web.access import ADMIN, ANALYST, roles_required
from labtrack.web.messages import joined_text
from labtrack.web.terms import term

bp = Blueprint("profiles", __name__, url_prefix="/profiles")


@bp.app_template_filter("qc_remarks")
def qc_remarks_text(row: Any) -> str:
    """A profile's (or a list row's) quality remarks in the reader's language, joined by "; " ("؛ ")."""
    return joined_text(qc_remarks(row.qc_notes, row.qc_notes_json or ""))


class ProfileUploadForm(FlaskForm):
    file = FileField(_l("Profile file (long CSV, GeneMapper export or CODIS CMF)"), validators=[FileRequired()])
    file_format = SelectField(_l("Format"), choices=[("auto", _l("detect")), ("long", "long CSV"),
                                                     ("genemapper", "GeneMapper"), ("cmf", "CODIS CMF")])
    kit = SelectField(_l("Kit"), choices=[("", _l("detect from the loci"))] + [(k, k) for k in KITS])
    staff = BooleanField(_l("Staff elimination profiles (names are staff codes)"))
    single_allele = SelectField(
        _l("A single peak (one allele written once) is"),
        choices=[("", _l("by sample kind: remains one allele seen, references homozygote")),
                 ("one-seen", _l("one allele seen (a possible drop-out)")), ("homozygote", _l("a homozygote"))],
        validate_choice=False)  # absent: by sample kind; anything else is refused by the import
    check_only = BooleanField(_l("Only check the file (store nothing)"))


_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
_MARKS = re.compile("[\u0640\u064b-\u0652]")  # tatweel and the short-vowel marks: "تلوث" finds "تلوّث"


def _plain(text: str) -> str:
    return _MARKS.sub("", text).casefold()


def remark_kinds_said(q: str) -> dict[str, tuple[str, ...]]:
    """The kinds of QC remark that the search text ``q`` finds in the reader's language: in the
    kind's name or in the wording of its remark (the list then finds their profiles too)."""
    wanted = _plain(q)
    found = tuple(kind for kind, message_id in QC_REMARK_KINDS.items()
                  if wanted in _plain(term(kind)) or wanted in _plain(_PLACEHOLDER.sub(" ", _(message_id))))
    return {"qc_remark": found} if found else {}


def _index(form: ProfileUploadForm, status: int = 200, **extra: Any) -> Any:
    return lists.show(list_specs.PROFILES, "profiles/index.html", form=form, status=status, also=remark_kinds_said,
                      imports=profiles.list_imports(get_session()), origins=PROFILE_ORIGINS,
                      qc_remark_kinds=tuple(QC_REMARK_KINDS),
                      uploads=uploads.recent(get_session(), "profiles"), **extra)


@bp.route("/")
@roles_required(ANALYST, ADMIN)
def index() -> Any:
    return _index(ProfileUploadForm())


@bp.route("/import", methods=["POST"])
@roles_required(ANALYST, ADMIN)
def import_file() -> Any:
    """The file is kept and imported (or only checked) by the worker, whatever its size; its page
    shows the progress, then what was stored or every problem (file, row, field), nothing stored."""
    form = ProfileUploadForm()
    if not form.validate_on_submit():
        flash(_("Choose a file to import."), "error")
        return redirect(url_for("profiles.index"))
    upload = form.file.data
    options = {"file_format": form.file_format.data or "auto", "kit": form.kit.data or "",
               "origin": "staff" if form.staff.data else "", "single_allele": form.single_allele.data or "",
               "check_only": bool(form.check_only.data)}
    try:
        queued = uploads.submit(get_session(), kind="profiles", raw=upload.read(),
                                filename=upload.filename or "upload", options=options, by=current_user,
                                app=current_app._get_current_object())  # type: ignore[attr-defined]
    except ValidationFailed as error:
        return _index(form, status=422, error=error.message, problems=error.problems)
    return redirect(url_for("profiles.upload", upload_id=queued.id))


def _imported_message(count: int, filename: str, kit: str) -> str:
    return ngettext("Imported %(num)d profile from %(file)s (kit %(kit)s).",
                    "Imported %(num)d profiles from %(file)s (kit %(kit)s).", count, file=filename, kit=kit)


@bp.route("/uploads/<int:upload_id>")
@roles_required(ANALYST, ADMIN)
def upload(upload_id: int) -> Any:
    """A profile file imported by the worker: progress while it runs, then what was stored or
    every problem (the page reloads itself until the import has ended)."""
    view = uploads.get_upload(get_session(), upload_id, kind="profiles")
    summary = (_imported_message(int(view.result.get("n_profiles", 0)), view.upload.filename,
                                 str(view.result.get("kit", ""))) if view.status == "imported" else "")
    return render_template("profiles/upload.html", view=view, summary=summary, back=url_for("profiles.index"))


class DropoutForm(FlaskForm):
    dropout = FloatField(_l("This sample's drop-out probability (empty: the run's)"),
                         validators=[Optional(), NumberRange(0, 0.999)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


@bp.route("/<int:profile_id>")
@roles_required(ANALYST, ADMIN)
def detail(profile_id: int) -> Any:
    row, alleles = profiles.get_profile(get_session(), profile_id)
    return render_template("profiles/detail.html", row=row, alleles=alleles,
                           dropout_form=DropoutForm(data={"dropout": row.profile.dropout}),
                           estimate=profiles.dropout_estimate(get_session(), row.profile, alleles))


@bp.route("/<int:profile_id>/dropout", methods=["POST"])
@roles_required(ANALYST, ADMIN)
def set_dropout(profile_id: int) -> Any:
    form = DropoutForm()
    if not form.validate_on_submit():
        row, alleles = profiles.get_profile(get_session(), profile_id)
        return render_template("profiles/detail.html", row=row, alleles=alleles, dropout_form=form,
                               estimate=profiles.dropout_estimate(get_session(), row.profile, alleles)), 422
    profiles.set_dropout(get_session(), profile_id=profile_id, dropout=form.dropout.data, by=current_user,
                         reason=form.reason.data or "")
    flash(_("The sample's drop-out probability is recorded; later match runs use it."), "success")
    return redirect(url_for("profiles.detail", profile_id=profile_id))


@bp.route("/quality")
@roles_required(ANALYST, ADMIN)
def quality_report() -> Any:
    db = get_session()
    flagged = [r for r in profiles.list_profiles(db, limit=5000) if "STAFF MATCH" in r.profile.qc_notes]
    # the pairs of the newest re-association run, as stored by the worker (nothing computed here)
    return lists.show(reassociation_views.pairs(), "profiles/quality.html", filename="profile-pairs",
                      flagged=flagged, run=reassociation.latest(db))


@bp.route("/export")
@roles_required(ANALYST, ADMIN)
def export() -> Any:
    fmt = request.args.get("format", "csv")
    db = get_session()
    if fmt == "cmf":
        content = export_cmf(profiles.reference_profiles(db), category="Missing Person Reference")
        return Response(content, mimetype="application/xml",
                        headers={"Content-Disposition": "attachment; filename=references-cmf.xml"})
    return lists.stream_table(exports.PROFILE_HEADER, exports.profile_rows, filename="profiles",
                              fmt="xlsx" if fmt == "xlsx" else "csv")
