"""Donors: reference samples, families, consent (contacts for coordinators and admins only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from labtrack.db import get_session
from labtrack.services import consent, donors, families
from labtrack.services import lists as list_specs
from labtrack.web import inquiry_admin, lists
from labtrack.web.access import ADMIN, ALL_ROLES, COORDINATOR, can_see_identities, roles_required
from labtrack.web.corrections import correction_page
from labtrack.web.fields import PickedDateField, WholeNumberField, not_before_1900, not_in_future, year_not_in_future
from labtrack.web.form_pages import attempt
from labtrack.web.identity import may_see_donor
from labtrack.web.missing_persons import SEX_CHOICES

bp = Blueprint("donors", __name__, url_prefix="/donors")


class DonorForm(FlaskForm):
    code = StringField(_l("Donor code"), validators=[DataRequired(), Length(max=32)])
    name_ar = StringField(_l("Name (Arabic)"), validators=[Length(max=200)])
    name_latin = StringField(_l("Name (Latin script)"), validators=[Length(max=200)])
    sex = SelectField(_l("Sex"), choices=SEX_CHOICES)
    birth_year = WholeNumberField(_l("Birth year"),
                                  validators=[Optional(), NumberRange(1900, 2100), year_not_in_future])
    phone = StringField(_l("Phone"), validators=[Length(max=50)])
    address = TextAreaField(_l("Address"))


class ConsentForm(FlaskForm):
    identification_only = BooleanField(_l("Use for identification only"), default=True)
    retention_years = WholeNumberField(_l("Retention (years)"), validators=[Optional(), NumberRange(1, 100)])
    contact_for_results = BooleanField(_l("Contact the donor with results"), default=True)
    given_on = PickedDateField(_l("Given on"), validators=[InputRequired(), not_in_future, not_before_1900])
    collected_by = StringField(_l("Collected by"), validators=[DataRequired(), Length(max=200)])


class ReferenceSampleForm(FlaskForm):
    sample_type = SelectField(_l("Sample type"), choices=[("buccal_swab", _l("buccal swab")), ("blood", _l("blood"))])
    collected_on = PickedDateField(_l("Collected on"), validators=[Optional(), not_in_future, not_before_1900])


class WithdrawForm(FlaskForm):
    note = StringField(_l("How the withdrawal was expressed"), validators=[
        DataRequired(_l("Say how the withdrawal was expressed (e.g. signed form, phone call).")), Length(max=500)])


@bp.route("/", methods=["GET", "POST"])
@roles_required(*ALL_ROLES)
def index() -> Any:
    db = get_session()
    form = DonorForm()
    if request.method == "POST":
        if not can_see_identities():
            message = _("Coordinators register donors.")
            return render_template("errors/error.html", status=403, message=message, problems=[]), 403
        if form.validate_on_submit():
            registered = attempt(form, donors.register_donor,
                                 session=db, by=current_user, code=form.code.data or "", sex=form.sex.data or "U",
                                 name_ar=form.name_ar.data or "", name_latin=form.name_latin.data or "",
                                 birth_year=form.birth_year.data, phone=form.phone.data or "",
                                 address=form.address.data or "")
            if registered is not None:
                donor, sample = registered
                flash(_("Donor %(code)s registered; reference sample %(sample)s.", code=donor.code,
                        sample=sample.accession), "success")
                inquiry_admin.issue_code(donor_id=donor.id)
                return redirect(url_for("donors.detail", donor_id=donor.id))
    return lists.show(list_specs.DONORS, "donors/index.html", form=form,
                      status=422 if form.errors or form.form_errors else 200)


class EditDonorForm(DonorForm):
    reason = StringField(_l("Why are the details corrected?"), validators=[DataRequired(), Length(max=500)])


@bp.route("/<int:donor_id>/edit", methods=["GET", "POST"])
@roles_required(COORDINATOR, ADMIN)
def edit(donor_id: int) -> Any:
    db = get_session()
    donor = donors.get_donor(db, donor_id)
    form = EditDonorForm(obj=donor)
    del form.code  # the donor code is on the reference kits: it is not edited
    return correction_page(
        form=form, row=donor, editable=donors.EDITABLE_DONOR_DETAILS, code=donor.code,
        action=url_for("donors.edit", donor_id=donor_id), back=url_for("donors.detail", donor_id=donor_id),
        save=lambda values, reason: donors.update_donor(session=db, donor_id=donor_id, by=current_user,
                                                        reason=reason, **values))


def _donor_page(donor_id: int, *, status: int = 200, **forms: Any) -> Any:
    """The donor's page; ``forms`` are the refused forms to show again (with their errors)."""
    db = get_session()
    donor = donors.get_donor(db, donor_id)
    return render_template("donors/detail.html", donor=donor, identity=may_see_donor(db, donor_id),
                           samples=donors.reference_samples(db, donor_id),
                           families=families.families_of_donor(db, donor_id),
                           records=consent.records(db, donor_id),
                           active=consent.has_consent(db, donor_id),
                           consent_form=forms.get("consent_form") or ConsentForm(),
                           withdraw_form=forms.get("withdraw_form") or WithdrawForm(),
                           sample_form=forms.get("sample_form") or ReferenceSampleForm(),
                           inquiry=inquiry_admin.panel_context(donor_id=donor_id) if can_see_identities() else None
                           ), status


@bp.route("/<int:donor_id>")
@roles_required(*ALL_ROLES)
def detail(donor_id: int) -> Any:
    """A reference donor: identity (for roles that may see it), reference samples, consent, families."""
    return _donor_page(donor_id)


@bp.route("/<int:donor_id>/samples", methods=["POST"])
@roles_required(COORDINATOR, ADMIN)
def add_sample(donor_id: int) -> Any:
    """Register a reference sample of the donor; a refused form comes back on the donor's page."""
    form = ReferenceSampleForm()
    if form.validate_on_submit():
        sample = attempt(form, donors.add_reference_sample, session=get_session(), donor_id=donor_id, by=current_user,
                         sample_type=form.sample_type.data or "buccal_swab",
                         collected_on=form.collected_on.data)
        if sample is not None:
            flash(_("Reference sample %(sample)s registered; print its label.", sample=sample.accession), "success")
            return redirect(url_for("donors.detail", donor_id=donor_id))
    return _donor_page(donor_id, sample_form=form, status=422)


@bp.route("/<int:donor_id>/consent", methods=["POST"])
@roles_required(COORDINATOR, ADMIN)
def grant_consent(donor_id: int) -> Any:
    """Record the donor's consent; a refused form comes back with what was typed."""
    form = ConsentForm()
    if form.validate_on_submit():
        granted = attempt(form, consent.grant, session=get_session(), donor_id=donor_id, by=current_user,
                       identification_only=bool(form.identification_only.data),
                       retention_years=form.retention_years.data,
                       contact_for_results=bool(form.contact_for_results.data),
                       given_on=form.given_on.data, collected_by=form.collected_by.data or "")
        if granted is not None:
            flash(_("Consent recorded."), "success")
            return redirect(url_for("donors.detail", donor_id=donor_id))
    return _donor_page(donor_id, consent_form=form, status=422)


@bp.route("/<int:donor_id>/consent/<int:grant_id>/withdraw", methods=["POST"])
@roles_required(COORDINATOR, ADMIN)
def withdraw_consent(donor_id: int, grant_id: int) -> Any:
    """Withdraw a consent: the donor's profiles leave every future search."""
    form = WithdrawForm()
    if form.validate_on_submit():
        withdrawn = attempt(form, consent.withdraw, session=get_session(), grant_id=grant_id, by=current_user,
                       note=form.note.data or "")
        if withdrawn is not None:
            flash(_("Consent withdrawn: the donor's profiles are excluded from every future search."), "success")
            return redirect(url_for("donors.detail", donor_id=donor_id))
    return _donor_page(donor_id, withdraw_form=form, status=422)
