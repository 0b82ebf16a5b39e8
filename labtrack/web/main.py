"""Home page with counts per area, and a health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, url_for
from flask_login import current_user

from labtrack.db import get_engine, get_session, ping
from labtrack.services import overview
from labtrack.web.access import ALL_ROLES, public, roles_required

bp = Blueprint("main", __name__)


@bp.route("/")
@roles_required(*ALL_ROLES)
def home() -> Any:
    return render_template("main/home.html", counts=overview.area_counts(get_session()), links=_count_links())


#: The list each home-page count opens (a count with no list the user's role may open is plain).
COUNT_LISTS = {"sites": "sites.index", "remains": "sites.index", "samples": "samples.index",
               "custody_events": "custody.events", "profiles": "profiles.index",
               "missing_persons": "missing_persons.index", "families": "families.index",
               "matches": "review.queue", "identifications": "review.queue"}


def _count_links() -> dict[str, str]:
    links = {}
    for area, endpoint in COUNT_LISTS.items():
        view = current_app.view_functions.get(endpoint)
        roles = getattr(view, "allowed_roles", None)
        if view is not None and (roles is None or current_user.role in roles):
            links[area] = url_for(endpoint)
    return links


@bp.route("/healthz")
@public
def health() -> Any:
    """A ping of the database (``SELECT 1``): cheap at any size, for load balancers."""
    ping(get_engine())
    return jsonify(status="ok")
