"""Storage locations: the hierarchy and what each location holds now."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.db import get_session
from labtrack.services import custody_state, storage
from labtrack.web.access import ADMIN, TECHNICIAN, roles_required
from labtrack.web.form_pages import attempt
from labtrack.web.intake_forms import StorageLocationForm

bp = Blueprint("storage", __name__, url_prefix="/storage")


def _storage_page(form: StorageLocationForm | None = None, status: int = 200) -> Any:
    locations = storage.list_locations(get_session())
    parents = [(loc.accession, f"{loc.accession} {loc.name}") for loc in locations if loc.level != "position"]
    if form is None:
        form = StorageLocationForm(parents=parents)
    return render_template("storage/index.html", locations=locations, form=form), status


@bp.route("/")
@roles_required(TECHNICIAN, ADMIN)
def index() -> Any:
    """The storage locations (rooms, freezers, shelves, boxes, positions) and the form to add one."""
    return _storage_page()


@bp.route("/", methods=["POST"])
@roles_required(TECHNICIAN, ADMIN)
def create() -> Any:
    """Add a storage location; a refused form keeps what was typed."""
    locations = storage.list_locations(get_session())
    form = StorageLocationForm(parents=[(loc.accession, f"{loc.accession} {loc.name}") for loc in locations
                                        if loc.level != "position"])
    if form.validate_on_submit():
        location = attempt(form, storage.create_location, session=get_session(), name=form.name.data.strip(),
                           level=form.level.data, number=int(form.number.data),
                           parent_accession=form.parent.data or None,
                           by=current_user._get_current_object())
        if location is not None:
            flash(_("Location %(id)s created.", id=location.accession), "success")
            return redirect(url_for("storage.detail", location_accession=location.accession))
    return _storage_page(form, status=422)


@bp.route("/<location_accession>")
@roles_required(TECHNICIAN, ADMIN)
def detail(location_accession: str) -> Any:
    db = get_session()
    location = storage.get_location(db, location_accession)
    return render_template("storage/detail.html", location=location, path=storage.path_of(db, location),
                           items=custody_state.items_at(db, location))
