"""Missing persons: list, detail (identity for coordinators and admins only), registration, export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from labtrack.db import get_session
from labtrack.services import duplicates, families, missing_persons, person_links
from labtrack.services import lists as list_specs
from labtrack.web import inquiry_admin, lists
from labtrack.web.access import ADMIN, ALL_ROLES, COORDINATOR, can_see_identities, roles_required
from labtrack.web.corrections import correction_page
from labtrack.web.fields import (
    DecimalNumberField,
    PickedDateField,
    WholeNumberField,
    not_before_1900,
    not_in_future,
    year_not_in_future,
)
from labtrack.web.form_pages import attempt
from labtrack.web.identity import may_see_missing_person

bp = Blueprint("missing_persons", __name__, url_prefix="/missing-persons")
SEX_CHOICES = [("U", _l("unknown")), ("M", _l("male")), ("F", _l("female"))]


class MissingPersonForm(FlaskForm):
    case_number = StringField(_l("Case number"), validators=[DataRequired(), Length(max=32)])
    name_ar = StringField(_l("Name (Arabic)"), validators=[Length(max=200)])
    name_latin = StringField(_l("Name (Latin script)"), validators=[Length(max=200)])
    sex = SelectField(_l("Sex"), choices=SEX_CHOICES)
    birth_date = PickedDateField(_l("Birth date"), validators=[Optional(), not_in_future, not_before_1900])
    birth_year = WholeNumberField(_l("Birth year (when the date is not known)"),
                                  validators=[Optional(), NumberRange(1900, 2100), year_not_in_future])
    disappeared_on = PickedDateField(_l("Disappeared on"), validators=[Optional(), not_in_future, not_before_1900])
    disappearance_place = StringField(_l("Place of disappearance"), validators=[Length(max=200)])
    circumstances = TextAreaField(_l("Circumstances"))
    height_cm = DecimalNumberField(_l("Height (cm)"), validators=[Optional(), NumberRange(50, 250)])
    dental_notes = TextAreaField(_l("Dental notes"))
    distinguishing_marks = TextAreaField(_l("Distinguishing marks"))
    contact_name = StringField(_l("Family contact"), validators=[Length(max=200)])
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=50)])
    contact_relation = StringField(_l("Contact's relation"), validators=[Length(max=50)])


class RegisterMissingPersonForm(MissingPersonForm):
    different_person = BooleanField(_l("I have checked the likely duplicates: this is a different person"))


def _duplicates(form: RegisterMissingPersonForm) -> list[duplicates.LikelyDuplicate]:
    return duplicates.likely_duplicates(
        get_session(), name_ar=form.name_ar.data or "", name_latin=form.name_latin.data or "",
        birth_year=form.birth_year.data or (form.birth_date.data.year if form.birth_date.data else None),
        disappearance_place=form.disappearance_place.data or "", disappeared_on=form.disappeared_on.data,
        contact_phone=form.contact_phone.data or "")


@bp.route("/", methods=["GET", "POST"])
@roles_required(*ALL_ROLES)
def index() -> Any:
    db = get_session()
    form = RegisterMissingPersonForm()
    likely: list[duplicates.LikelyDuplicate] = []
    if request.method == "POST":
        if not can_see_identities():
            message = _("Coordinators register missing persons.")
            return render_template("errors/error.html", status=403, message=message, problems=[]), 403
        if form.validate_on_submit() and not form.different_person.data:
            likely = _duplicates(form)
        if form.validate_on_submit() and not likely:
            values = {k: v for k, v in form.data.items()
                      if k not in ("csrf_token", "case_number", "sex", "different_person")}
            person = attempt(form, missing_persons.register_missing_person, session=db, by=current_user,
                             case_number=form.case_number.data or "",
                             sex=form.sex.data or "U",
                             **{k: v for k, v in values.items() if v not in (None, "")})
            if person is not None:
                flash(_("Missing person %(case)s registered.", case=person.case_number), "success")
                inquiry_admin.issue_code(missing_person_id=person.id)
                return redirect(url_for("missing_persons.detail", person_id=person.id))
    return lists.show(list_specs.MISSING_PERSONS, "missing_persons/index.html", filename="missing-persons",
                      form=form, identities=can_see_identities(), likely=likely,
                      status=422 if form.errors or form.form_errors else 409 if likely else 200)


class EditMissingPersonForm(MissingPersonForm):
    reason = StringField(_l("Why are the details corrected?"), validators=[DataRequired(), Length(max=500)])


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@roles_required(COORDINATOR, ADMIN)
def edit(person_id: int) -> Any:
    db = get_session()
    person = missing_persons.get_missing_person(db, person_id)
    form = EditMissingPersonForm(obj=person)
    del form.case_number  # the case number identifies the file: it is not edited
    return correction_page(
        form=form, row=person, editable=missing_persons.EDITABLE_DETAILS, code=person.case_number,
        action=url_for("missing_persons.edit", person_id=person_id),
        back=url_for("missing_persons.detail", person_id=person_id),
        save=lambda values, reason: missing_persons.update_missing_person(session=db, person_id=person_id,
                                                                          by=current_user, reason=reason, **values))


@bp.route("/<int:person_id>")
@roles_required(*ALL_ROLES)
def detail(person_id: int) -> Any:
    db = get_session()
    person = missing_persons.get_missing_person(db, person_id)
    inquiry = inquiry_admin.panel_context(missing_person_id=person_id) if can_see_identities() else None
    return render_template("missing_persons/detail.html", person=person,
                           identity=may_see_missing_person(db, person.id), status_form=CaseStatusForm(),
                           families=families.families_of_missing_person(db, person_id), inquiry=inquiry,
                           links=person_links.links_of(db, person_id) if can_see_identities() else None)


class CaseStatusForm(FlaskForm):
    status = SelectField(_l("New case status"),
                         choices=[("closed", _l("closed")), ("missing", _l("reopened (missing)"))])
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=500)])


@bp.route("/<int:person_id>/status", methods=["POST"])
@roles_required(COORDINATOR, ADMIN)
def change_status(person_id: int) -> Any:
    form = CaseStatusForm()
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            flash(f"{getattr(form, name).label.text}: {'; '.join(errors)}", "error")
        return redirect(url_for("missing_persons.detail", person_id=person_id))
    person = missing_persons.set_case_status(session=get_session(), person_id=person_id, status=form.status.data or "",
                                             by=current_user, reason=form.reason.data or "")
    flash(_("Case %(case)s is now %(status)s.", case=person.case_number, status=person.status), "success")
    return redirect(url_for("missing_persons.detail", person_id=person_id))


@bp.route("/export")
@roles_required(*ALL_ROLES)
def export() -> Any:
    """The list's rows as CSV or Excel (``format``), with the list's filters and sort."""
    return lists.export(list_specs.MISSING_PERSONS, filename="missing-persons",
                        fmt=request.args.get("format", "csv"))
