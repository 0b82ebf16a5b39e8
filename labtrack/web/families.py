"""Families: pedigrees as drawn family trees, pedigrees.csv import and export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup

from labtrack.db import get_session
from labtrack.documents.pedigree_svg import DrawnMember, draw
from labtrack.errors import ValidationFailed
from labtrack.services import exports, families
from labtrack.web.access import ADMIN, ALL_ROLES, COORDINATOR, roles_required
from labtrack.web.identity import may_see_missing_person

bp = Blueprint("families", __name__, url_prefix="/families")


class PedigreeUploadForm(FlaskForm):
    file = FileField(_l("pedigrees.csv file"), validators=[FileRequired()])


def _svg(family: Any, members: list[families.MemberView]) -> str:
    drawn = [DrawnMember(m.person_code, m.sex, m.father, m.mother, m.typed, m.missing,
                         m.sample_accession or m.relation) for m in members]
    return draw(drawn, title=family.code)


@bp.route("/")
@roles_required(*ALL_ROLES)
def index() -> Any:
    db = get_session()
    rows = [(family, families.members(db, family)) for family in families.list_families(db)]
    return render_template("families/index.html", rows=rows, form=PedigreeUploadForm())


@bp.route("/<int:family_id>")
@roles_required(*ALL_ROLES)
def detail(family_id: int) -> Any:
    db = get_session()
    family = families.get_family(db, family_id)
    members = families.members(db, family)
    missing = [families.get_missing_person(db, m.missing_person_id) for m in members if m.missing_person_id]
    visible = {p.id: may_see_missing_person(db, p.id) for p in missing}
    return render_template("families/detail.html", family=family, members=members,
                           svg=Markup(_svg(family, members)), missing=missing, visible=visible)  # noqa: S704 - built with ElementTree (escaped)


@bp.route("/<int:family_id>/pedigree.svg")
@roles_required(*ALL_ROLES)
def pedigree_svg(family_id: int) -> Any:
    db = get_session()
    family = families.get_family(db, family_id)
    return Response(_svg(family, families.members(db, family)), mimetype="image/svg+xml")


@bp.route("/import", methods=["POST"])
@roles_required(COORDINATOR, ADMIN)
def import_pedigrees() -> Any:
    form = PedigreeUploadForm()
    if not form.validate_on_submit():
        flash(_("Choose a pedigrees.csv file to import."), "error")
        return redirect(url_for("families.index"))
    upload = form.file.data
    try:
        created = families.import_pedigrees(session=get_session(), raw=upload.read(),
                                            filename=upload.filename or "pedigrees.csv", by=current_user)
    except ValidationFailed as error:
        db = get_session()
        rows = [(family, families.members(db, family)) for family in families.list_families(db)]
        return render_template("families/index.html", rows=rows, form=form, problems=error.problems,
                               error=error.message), 422
    flash(_("Imported %(n)d families.", n=len(created)), "success")
    return redirect(url_for("families.index"))


@bp.route("/export")
@roles_required(*ALL_ROLES)
def export() -> Any:
    fmt = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    content, mimetype = exports.export(exports.pedigrees_table(get_session()), fmt=fmt, title="pedigrees")
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename=pedigrees.{fmt}"})
