"""Home page with counts per area, and a health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template

from labtrack.db import get_engine, get_session, ping
from labtrack.services import overview
from labtrack.web.access import ALL_ROLES, public, roles_required

bp = Blueprint("main", __name__)


@bp.route("/")
@roles_required(*ALL_ROLES)
def home() -> Any:
    return render_template("main/home.html", counts=overview.area_counts(get_session()))


@bp.route("/healthz")
@public
def health() -> Any:
    """A ping of the database (``SELECT 1``): cheap at any size, for load balancers."""
    ping(get_engine())
    return jsonify(status="ok")
