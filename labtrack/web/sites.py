"""Exhumation sites and remains intake."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.db import get_session
from labtrack.models.sites import REMAINS_TYPES, SEXES, SITE_STATUSES
from labtrack.services import custody_state, intake, record_history, samples, site_corrections
from labtrack.services import lists as list_specs
from labtrack.web import lists
from labtrack.web.access import ADMIN, ANALYST, COORDINATOR, TECHNICIAN, roles_required
from labtrack.web.corrections import correction_page
from labtrack.web.form_pages import attempt
from labtrack.web.intake_forms import RemainsForm, SampleForm, SiteForm
from labtrack.web.site_forms import RemainsEditForm, SiteEditForm, SiteStatusForm
from labtrack.web.terms import term

bp = Blueprint("sites", __name__, url_prefix="/sites")
READERS = (TECHNICIAN, ANALYST, COORDINATOR, ADMIN)
WRITERS = (TECHNICIAN, ADMIN)


def _sites_page(form: SiteForm | None = None, status: int = 200) -> Any:
    return lists.show(list_specs.SITES, "sites/index.html", status=status, statuses=SITE_STATUSES,
                      form=form or SiteForm())


@bp.route("/")
@roles_required(*READERS)
def index() -> Any:
    """The exhumation sites, paged; technicians and admins also see the form to register one."""
    return _sites_page()


@bp.route("/", methods=["POST"])
@roles_required(*WRITERS)
def create() -> Any:
    """Register a site; a refused form comes back with what was typed and the errors beside the fields."""
    form = SiteForm()
    if form.validate_on_submit():
        data = intake.SiteInput(code=form.code.data.strip().upper(), name_en=form.name_en.data.strip(),
                                name_ar=(form.name_ar.data or "").strip(),
                                governorate=(form.governorate.data or "").strip(),
                                latitude=form.latitude.data, longitude=form.longitude.data,
                                legal_case_ref=(form.legal_case_ref.data or "").strip(), status=form.status.data)
        site = attempt(form, intake.create_site, session=get_session(), data=data,
                       by=current_user._get_current_object())
        if site is not None:
            flash(_("Site %(code)s registered.", code=site.code), "success")
            return redirect(url_for("sites.detail", site_code=site.code))
    return _sites_page(form, status=422)


def _site_page(site_code: str, form: RemainsForm | None = None, status: int = 200) -> Any:
    site = intake.get_site(get_session(), site_code)
    return lists.show(list_specs.remains_of_site(site.id or 0), "sites/detail.html", filename=f"remains-{site.code}",
                      status=status, site=site, remains_types=REMAINS_TYPES, sexes=SEXES,
                      form=form or RemainsForm())


@bp.route("/<site_code>")
@roles_required(*READERS)
def detail(site_code: str) -> Any:
    """One site and its remains, paged; technicians and admins also see the form to register remains."""
    return _site_page(site_code)


def _text(value: str | None) -> str:
    return (value or "").strip()


@bp.route("/<site_code>/remains", methods=["POST"])
@roles_required(*WRITERS)
def add_remains(site_code: str) -> Any:
    """Register remains at the site (next ID); a refused form keeps what was typed."""
    form = RemainsForm()
    if form.validate_on_submit():
        data = intake.RemainsInput(
            remains_type=form.remains_type.data, anatomical_elements=_text(form.anatomical_elements.data),
            trench=_text(form.trench.data), grid=_text(form.grid.data), depth_m=form.depth_m.data,
            recovered_on=form.recovered_on.data, recovery_team=_text(form.recovery_team.data),
            est_sex=form.est_sex.data, est_age_min=form.est_age_min.data, est_age_max=form.est_age_max.data,
            est_stature_cm=form.est_stature_cm.data, personal_effects=_text(form.personal_effects.data),
            notes=_text(form.notes.data))
        remains = attempt(form, intake.register_remains, session=get_session(), site_code=site_code, data=data,
                          by=current_user._get_current_object())
        if remains is not None:
            flash(_("Remains %(id)s registered: print its label now.", id=remains.accession), "success")
            return redirect(url_for("sites.remains", accession=remains.accession))
    return _site_page(site_code, form, status=422)


def remains_page(accession: str, form: SampleForm | None = None, status: int = 200) -> Any:
    """The page of one remains, with the form to take a sample (``form`` when it was refused)."""
    db = get_session()
    found = intake.get_remains(db, accession)
    state = custody_state.state_of(db, custody_state.get_item(db, found.accession))
    return render_template("sites/remains.html", remains=found, site=intake.get_site_by_id(db, found.site_id),
                           samples=samples.samples_of_remains(db, found), state=state,
                           form=form or SampleForm()), status


@bp.route("/remains/<accession>")
@roles_required(*READERS)
def remains(accession: str) -> Any:
    """One remains: custody state, samples taken, and (for technicians) the form to take a sample."""
    return remains_page(accession)


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
        title=_("Change the site's status"), submit=_("Change the status"),
        done=_("Site %(code)s is now: %(status)s.", code=site.code, status=term(request.form.get("status", ""))),
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
