"""Who may use which route. Every view declares its roles; a test walks them all."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import g, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from labtrack.core.errors import PermissionDenied
from labtrack.models import ROLES

TECHNICIAN, ANALYST, COORDINATOR, ADMIN = ROLES
ALL_ROLES: tuple[str, ...] = ROLES
# Blind processing: names, contacts and circumstances are for these roles only.
SEES_IDENTITIES: tuple[str, ...] = (COORDINATOR, ADMIN)

ROLE_LABELS = {
    TECHNICIAN: _l("technician"), ANALYST: _l("analyst"), COORDINATOR: _l("coordinator"),
    ADMIN: _l("admin"),
}

F = TypeVar("F", bound=Callable[..., Any])


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def _unauthenticated() -> Any:
    if is_api_request():
        response = jsonify(error="unauthenticated",
                           message="Log in or send 'Authorization: Bearer <token>'.", problems=[])
        response.status_code = 401
        return response
    from labtrack.web.extensions import login_manager

    return login_manager.unauthorized()


def forbidden_message(roles: Iterable[str]) -> str:
    """Who may open a page, in the user's language (the 403 page and the API say it)."""
    from flask_babel import gettext

    allowed = ", ".join(str(ROLE_LABELS.get(role, role)) for role in ROLES if role in set(roles))
    return gettext("This page is for: %(roles)s. You are signed in as: %(role)s. Ask an administrator if you "
                   "need it.", roles=allowed, role=str(ROLE_LABELS.get(current_user.role, current_user.role)))


def roles_required(*roles: str) -> Callable[[F], F]:
    """Allow the view to the given roles only (others get 403; anonymous users log in first)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return _unauthenticated()
            if current_user.role not in roles:
                raise PermissionDenied(forbidden_message(roles))
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def public(view: F) -> F:
    """Declare a view open to everyone (login page, language switch, health check)."""
    view.allowed_roles = None  # type: ignore[attr-defined]
    return view


def can_see_identities() -> bool:
    """True when the signed-in user may see names and contacts (blind processing)."""
    return bool(current_user.is_authenticated and current_user.role in SEES_IDENTITIES)


def authenticated_by_token() -> bool:
    return bool(g.get("auth_via_token"))
