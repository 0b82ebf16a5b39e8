"""Storage locations: the hierarchy and what each location holds now."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.db import get_session
from labtrack.models.samples import LOCATION_LEVELS
from labtrack.services import custody, storage
from labtrack.web.access import ADMIN, TECHNICIAN, roles_required
from labtrack.web.form_values import FormValues

bp = Blueprint("storage", __name__, url_prefix="/storage")


@bp.route("/")
@roles_required(TECHNICIAN, ADMIN)
def index() -> Any:
    return render_template("storage/index.html", locations=storage.list_locations(get_session()),
                           levels=LOCATION_LEVELS)


@bp.route("/", methods=["POST"])
@roles_required(TECHNICIAN, ADMIN)
def create() -> Any:
    form = FormValues()
    number = form.number("number", int)
    if number is None:
        form.problems.add("a number is required", field="number")
    form.raise_if_any("The storage location cannot be created")
    location = storage.create_location(session=get_session(), name=form.text("name"), level=form.text("level"),
                                       number=int(number or 0), parent_accession=form.text("parent") or None,
                                       by=current_user._get_current_object())
    flash(_("Location %(id)s created.", id=location.accession), "success")
    return redirect(url_for("storage.detail", location_accession=location.accession))


@bp.route("/<location_accession>")
@roles_required(TECHNICIAN, ADMIN)
def detail(location_accession: str) -> Any:
    db = get_session()
    location = storage.get_location(db, location_accession)
    return render_template("storage/detail.html", location=location, path=storage.path_of(db, location),
                           items=custody.items_at(db, location))
