"""Families: pedigrees as drawn family trees, pedigrees.csv import and export."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from labtrack.core.errors import ValidationFailed
from labtrack.db import get_session
from labtrack.documents.pedigree_svg import DrawnMember, draw
from labtrack.services import (
    exports,
    families,
    family_power,
    identification_basis,
    missing_persons,
    pedigree_corrections,
    record_history,
    uploads,
)
from labtrack.services import lists as list_specs
from labtrack.web import lists
from labtrack.web.access import ADMIN, ALL_ROLES, ANALYST, COORDINATOR, roles_required
from labtrack.web.corrections import correction_page
from labtrack.web.identity import may_see_missing_person
from labtrack.web.messages import flash_error, text

bp = Blueprint("families", __name__, url_prefix="/families")


class FamilyForm(FlaskForm):
    code = StringField(_l("Family code"), validators=[DataRequired(), Length(max=40)])


class MemberForm(FlaskForm):
    person_code = StringField(_l("Person code (e.g. F, M, B1)"), validators=[DataRequired(), Length(max=40)])
    sex = SelectField(_l("Sex"), choices=[("U", _l("unknown")), ("M", _l("male")), ("F", _l("female"))])
    father = StringField(_l("Father (person code)"), validators=[Length(max=40)])
    mother = StringField(_l("Mother (person code)"), validators=[Length(max=40)])
    donor_code = StringField(_l("Donor code (typed relative)"), validators=[Length(max=32)])
    case_number = StringField(_l("Missing person case number"), validators=[Length(max=32)])
    relation = StringField(_l("Relation (e.g. mother, brother)"), validators=[Length(max=50)])


class EditMemberForm(FlaskForm):
    person_code = StringField(_l("Person code (e.g. F, M, B1)"), validators=[DataRequired(), Length(max=40)])
    sex = SelectField(_l("Sex"), choices=[("U", _l("unknown")), ("M", _l("male")), ("F", _l("female"))])
    father = StringField(_l("Father (person code)"), validators=[Length(max=40)])
    mother = StringField(_l("Mother (person code)"), validators=[Length(max=40)])
    donor_code = StringField(_l("Donor code (typed relative)"), validators=[Length(max=32)])
    relation = StringField(_l("Relation (e.g. mother, brother)"), validators=[Length(max=50)])
    reason = StringField(_l("Why is the family tree changed?"), validators=[DataRequired(), Length(max=500)])


class RemoveMemberForm(FlaskForm):
    reason = StringField(_l("Why is this person taken out of the family tree?"),
                         validators=[DataRequired(), Length(max=500)])


class PowerForm(FlaskForm):
    """A button: compute the identification power of the family's references."""


#: Words for the relatives the power computation may suggest (existing persons by their code).
NEW_RELATIVES = {
    "new full sibling": _l("a new full sibling of the missing person"),
    "new child": _l("a child of the missing person"),
    "spouse and new child": _l("the spouse and a child of the missing person"),
    "new parent": _l("a parent of the missing person"),
}


def relative_words(label: str) -> str:
    if label in NEW_RELATIVES:
        return str(NEW_RELATIVES[label])
    return _("person %(code)s of the family tree", code=label)


class PedigreeUploadForm(FlaskForm):
    file = FileField(_l("pedigrees.csv file"), validators=[FileRequired()])


def _svg(family: Any, members: list[families.MemberView]) -> str:
    drawn = [DrawnMember(m.person_code, m.sex, m.father, m.mother, m.typed, m.missing,
                         m.sample_accession or m.relation) for m in members]
    return draw(drawn, title=family.code)


@bp.route("/")
@roles_required(*ALL_ROLES)
def index() -> Any:
    return lists.show(list_specs.FAMILIES, "families/index.html", form=PedigreeUploadForm(),
                      family_form=FamilyForm(), uploads=uploads.recent(get_session(), "pedigrees"))


@bp.route("/new", methods=["POST"])
@roles_required(COORDINATOR, ADMIN)
def create() -> Any:
    form = FamilyForm()
    if not form.validate_on_submit():
        flash(_("A family needs a code."), "error")
        return redirect(url_for("families.index"))
    family = families.create_family(session=get_session(), code=form.code.data or "", by=current_user)
    return redirect(url_for("families.detail", family_id=family.id))


@bp.route("/<int:family_id>/members", methods=["POST"])
@roles_required(COORDINATOR, ADMIN)
def add_member(family_id: int) -> Any:
    form = MemberForm()
    if not form.validate_on_submit():
        flash(_("A person needs a code."), "error")
        return redirect(url_for("families.detail", family_id=family_id))
    try:
        families.add_member(session=get_session(), family_id=family_id, by=current_user,
                            **{k: v or "" for k, v in form.data.items() if k != "csrf_token"})
    except ValidationFailed as error:
        flash_error(error)
    return redirect(url_for("families.detail", family_id=family_id))


def _member(member_id: int) -> tuple[Any, families.MemberView]:
    db = get_session()
    member = pedigree_corrections.get_member(db, member_id)
    family = families.get_family(db, member.family_id)
    return family, next(m for m in families.members(db, family) if m.id == member_id)


def _stake(family: Any) -> str | None:
    """The warning of a tree an approved identification rests on, in the reader's language."""
    warning = identification_basis.warning_for_family(get_session(), family.id or 0)
    return None if warning is None else text(warning)


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@roles_required(COORDINATOR, ADMIN)
def edit_member(member_id: int) -> Any:
    """Correct a person of a family tree (the tree is checked again as a whole), with a reason."""
    family, member = _member(member_id)
    return correction_page(
        form=EditMemberForm(obj=member), row=member, editable=pedigree_corrections.MEMBER_FIELDS,
        code=f"{family.code} · {member.person_code}", action=url_for("families.edit_member", member_id=member_id),
        back=url_for("families.detail", family_id=family.id),
        history=record_history.changes(get_session(), "pedigree_member", str(member_id)), warning=_stake(family),
        save=lambda values, reason: pedigree_corrections.correct_member(
            session=get_session(), member_id=member_id, by=current_user._get_current_object(), reason=reason,
            **values))


@bp.route("/members/<int:member_id>/remove", methods=["GET", "POST"])
@roles_required(COORDINATOR, ADMIN)
def remove_member(member_id: int) -> Any:
    """Take a person out of a family tree (kept as a removed person, with the reason)."""
    family, member = _member(member_id)
    return correction_page(
        form=RemoveMemberForm(), row=member, editable=(), code=f"{family.code} · {member.person_code}",
        title=_("Remove from the family tree"), submit=_("Remove from the family tree"),
        done=_("%(person)s was removed from the family tree.", person=member.person_code),
        action=url_for("families.remove_member", member_id=member_id),
        back=url_for("families.detail", family_id=family.id), warning=_stake(family),
        save=lambda _values, reason: pedigree_corrections.remove_member(
            session=get_session(), member_id=member_id, by=current_user._get_current_object(), reason=reason))


@bp.route("/<int:family_id>")
@roles_required(*ALL_ROLES)
def detail(family_id: int) -> Any:
    db = get_session()
    family = families.get_family(db, family_id)
    members = families.members(db, family)
    missing = [missing_persons.get_missing_person(db, m.missing_person_id) for m in members if m.missing_person_id]
    visible = {p.id: may_see_missing_person(db, p.id) for p in missing}
    svg = Markup(_svg(family, members))  # noqa: S704 - ElementTree escapes every text  # nosec B704
    return render_template("families/detail.html", family=family, members=members,
                           svg=svg, missing=missing, visible=visible,
                           member_form=MemberForm(), power=family_power.latest(db, family_id),
                           power_pending=family_power.pending(db, family_id),
                           power_form=PowerForm(), relative_words=relative_words,
                           removed=pedigree_corrections.removed_members(db, family))


@bp.route("/<int:family_id>/familias.fam")
@roles_required(ANALYST, COORDINATOR, ADMIN)
def export_fam(family_id: int) -> Any:
    """The family as a Familias .fam file (tree, references' genotypes, frequency table)."""
    db = get_session()
    family = families.get_family(db, family_id)
    text = family_power.fam_file(db, family)
    return Response(text.encode("utf-8"), mimetype="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{family.code}.fam"'})


@bp.route("/<int:family_id>/power", methods=["POST"])
@roles_required(ANALYST, COORDINATOR, ADMIN)
def compute_power(family_id: int) -> Any:
    """Queue the identification power computation (a worker job)."""
    form = PowerForm()
    if form.validate_on_submit():
        db = get_session()
        family_power.request(db, family_id=family_id, by=current_user,
                             app=current_app._get_current_object())  # type: ignore[attr-defined]
        flash(_("The identification power is being computed; this page shows it when done."),
              "info")
    return redirect(url_for("families.detail", family_id=family_id) + "#power")


@bp.route("/<int:family_id>/pedigree.svg")
@roles_required(*ALL_ROLES)
def pedigree_svg(family_id: int) -> Any:
    db = get_session()
    family = families.get_family(db, family_id)
    return Response(_svg(family, families.members(db, family)), mimetype="image/svg+xml")


@bp.route("/import", methods=["POST"])
@roles_required(COORDINATOR, ADMIN)
def import_pedigrees() -> Any:
    """The file is kept and imported by the worker, whatever its size; its page shows the progress,
    then the families stored or every problem (file, row, field), nothing stored."""
    form = PedigreeUploadForm()
    if not form.validate_on_submit():
        flash(_("Choose a pedigrees.csv file to import."), "error")
        return redirect(url_for("families.index"))
    upload = form.file.data
    raw, filename = upload.read(), upload.filename or "pedigrees.csv"
    try:
        queued = uploads.submit(get_session(), kind="pedigrees", raw=raw, filename=filename, options={},
                                by=current_user, app=current_app._get_current_object())  # type: ignore[attr-defined]
    except ValidationFailed as error:
        return lists.show(list_specs.FAMILIES, "families/index.html", form=form, problems=error.problems,
                          error=error.message, family_form=FamilyForm(), status=422,
                          uploads=uploads.recent(get_session(), "pedigrees"))
    return redirect(url_for("families.upload", upload_id=queued.id))


@bp.route("/uploads/<int:upload_id>")
@roles_required(COORDINATOR, ADMIN)
def upload(upload_id: int) -> Any:
    """A pedigrees.csv imported by the worker: progress, then what was stored or every problem."""
    view = uploads.get_upload(get_session(), upload_id, kind="pedigrees")
    count = int(view.result.get("n_families", 0))
    summary = (ngettext("Imported %(num)d family.", "Imported %(num)d families.", count)
               if view.status == "imported" else "")
    return render_template("uploads/upload.html", view=view, summary=summary, back=url_for("families.index"))


@bp.route("/export")
@roles_required(*ALL_ROLES)
def export() -> Any:
    fmt = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    from labtrack.imports.pedigrees import COLUMNS

    return lists.stream_table(list(COLUMNS), exports.pedigree_rows, filename="pedigrees", fmt=fmt)
