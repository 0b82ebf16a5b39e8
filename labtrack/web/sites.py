"""Exhumation sites and remains intake."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.db import get_session
from labtrack.models.sites import REMAINS_TYPES, SEXES, SITE_STATUSES
from labtrack.services import custody, intake, record_history, samples, site_corrections
from labtrack.services import lists as list_specs
from labtrack.services.samples import REMAINS_SAMPLE_TYPES
from labtrack.web import lists
from labtrack.web.access import ADMIN, ANALYST, COORDINATOR, TECHNICIAN, roles_required
from labtrack.web.corrections import correction_page
from labtrack.web.form_values import FormValues
from labtrack.web.site_forms import RemainsEditForm, SiteEditForm, SiteStatusForm

bp = Blueprint("sites", __name__, url_prefix="/sites")
READERS = (TECHNICIAN, ANALYST, COORDINATOR, ADMIN)
WRITERS = (TECHNICIAN, ADMIN)


@bp.route("/")
@roles_required(*READERS)
def index() -> Any:
    return lists.show(list_specs.SITES, "sites/index.html", statuses=SITE_STATUSES)


@bp.route("/", methods=["POST"])
@roles_required(*WRITERS)
def create() -> Any:
    form = FormValues()
    data = intake.SiteInput(code=form.text("code"), name_en=form.text("name_en"), name_ar=form.text("name_ar"),
                            governorate=form.text("governorate"), latitude=form.number("latitude"),
                            longitude=form.number("longitude"), legal_case_ref=form.text("legal_case_ref"),
                            status=form.text("status", "active"))
    form.raise_if_any("The site cannot be registered")
    site = intake.create_site(session=get_session(), data=data, by=current_user._get_current_object())
    flash(_("Site %(code)s registered.", code=site.code), "success")
    return redirect(url_for("sites.detail", site_code=site.code))


@bp.route("/<site_code>")
@roles_required(*READERS)
def detail(site_code: str) -> Any:
    db = get_session()
    site = intake.get_site(db, site_code)
    return lists.show(list_specs.remains_of_site(site.id or 0), "sites/detail.html", filename=f"remains-{site.code}",
                      site=site, remains_types=REMAINS_TYPES, sexes=SEXES)


@bp.route("/<site_code>/remains", methods=["POST"])
@roles_required(*WRITERS)
def add_remains(site_code: str) -> Any:
    form = FormValues()
    data = intake.RemainsInput(
        remains_type=form.text("remains_type"), anatomical_elements=form.text("anatomical_elements"),
        trench=form.text("trench"), grid=form.text("grid"), depth_m=form.number("depth_m"),
        recovered_on=form.day("recovered_on"), recovery_team=form.text("recovery_team"),
        est_sex=form.text("est_sex", "U"), est_age_min=form.number("est_age_min", int),  # type: ignore[arg-type]
        est_age_max=form.number("est_age_max", int), est_stature_cm=form.number("est_stature_cm"),  # type: ignore[arg-type]
        personal_effects=form.text("personal_effects"), notes=form.text("notes"))
    form.raise_if_any("The remains cannot be registered")
    remains = intake.register_remains(session=get_session(), site_code=site_code, data=data,
                                      by=current_user._get_current_object())
    flash(_("Remains %(id)s registered: print its label now.", id=remains.accession), "success")
    return redirect(url_for("sites.remains", accession=remains.accession))


@bp.route("/remains/<accession>")
@roles_required(*READERS)
def remains(accession: str) -> Any:
    db = get_session()
    found = intake.get_remains(db, accession)
    state = custody.state_of(db, custody.get_item(db, found.accession))
    return render_template("sites/remains.html", remains=found, site=intake.get_site_by_id(db, found.site_id),
                           samples=samples.samples_of_remains(db, found), state=state,
                           sample_types=REMAINS_SAMPLE_TYPES)


@bp.route("/<site_code>/edit", methods=["GET", "POST"])
@roles_required(*WRITERS)
def edit(site_code: str) -> Any:
    """Correct a site's names, governorate, coordinates or legal case (not its code), with a reason."""
    db = get_session()
    site = intake.get_site(db, site_code)
    return correction_page(
        form=SiteEditForm(obj=site), row=site, editable=site_corrections.SITE_FIELDS, code=site.code,
        action=url_for("sites.edit", site_code=site.code), back=url_for("sites.detail", site_code=site.code),
        history=record_history.changes(db, "site", str(site.id)),
        save=lambda values, reason: site_corrections.correct_site(
            session=db, site_code=site.code, by=current_user._get_current_object(), reason=reason, **values))


@bp.route("/<site_code>/status", methods=["GET", "POST"])
@roles_required(*WRITERS)
def status(site_code: str) -> Any:
    """Close a site (no new remains can be registered there), reopen it, or mark it active."""
    db = get_session()
    site = intake.get_site(db, site_code)
    return correction_page(
        form=SiteStatusForm(obj=site), row=site, editable=("status",), code=site.code,
        title=_("Change the site's status"),
        action=url_for("sites.status", site_code=site.code), back=url_for("sites.detail", site_code=site.code),
        history=record_history.changes(db, "site", str(site.id)),
        save=lambda values, reason: site_corrections.set_site_status(
            session=db, site_code=site.code, status=values["status"], by=current_user._get_current_object(),
            reason=reason))


@bp.route("/remains/<accession>/edit", methods=["GET", "POST"])
@roles_required(*WRITERS)
def edit_remains(accession: str) -> Any:
    """Correct remains' type, anthropology, grave location or recovery details, with a reason."""
    db = get_session()
    found = intake.get_remains(db, accession)
    return correction_page(
        form=RemainsEditForm(obj=found), row=found, editable=site_corrections.REMAINS_FIELDS, code=found.accession,
        action=url_for("sites.edit_remains", accession=found.accession),
        back=url_for("sites.remains", accession=found.accession),
        history=record_history.changes(db, "remains", str(found.id)),
        save=lambda values, reason: site_corrections.correct_remains(
            session=db, accession=found.accession, by=current_user._get_current_object(), reason=reason, **values))
