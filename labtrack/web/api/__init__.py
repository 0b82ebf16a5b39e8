"""JSON API under /api/v1: one blueprint; area modules add their operations to it."""

from __future__ import annotations

from flask import Blueprint, current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from labtrack.core.errors import DomainError
from labtrack.core.messages import msg

bp = Blueprint("api", __name__, url_prefix="/api/v1")

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@bp.before_request
def csrf_for_browser_sessions() -> None:
    """Machines use bearer tokens (no CSRF). A browser session calling the API must send the
    page's CSRF token in ``X-CSRFToken``."""
    if request.method not in UNSAFE or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    # load the user first: the token loader is what sets g.auth_via_token
    if not current_user.is_authenticated or g.get("auth_via_token"):
        return
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except ValidationError as error:
        raise DomainError(msg("Missing or invalid X-CSRFToken header for a browser session.")) from error


def load_api_modules() -> None:
    """Import the area modules so that their operations register on ``bp``."""
    from labtrack.web.api import audit as _audit  # noqa: F401
    from labtrack.web.api import custody, families, intake, matching, profiles, review, settings, system  # noqa: F401
    from labtrack.web.api import events as _closed_events  # noqa: F401
    from labtrack.web.api import familias as _familias  # noqa: F401
    from labtrack.web.api import reassociation as _reassociation  # noqa: F401
    from labtrack.web.api import users as _users  # noqa: F401
