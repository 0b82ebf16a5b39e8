"""The web shell: extensions, blueprints (one per area), navigation, language."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from labtrack import db
from labtrack.web import bidi, edge, errors, messages, terms, units
from labtrack.web.access import ADMIN, ALL_ROLES, ANALYST, COORDINATOR, ROLE_LABELS, TECHNICIAN
from labtrack.web.extensions import babel, csrf, limiter, login_manager

# (endpoint, label, roles): shown when the endpoint exists and the user has the role.
NAVIGATION: list[tuple[str, Any, tuple[str, ...]]] = [
    ("main.home", _l("Home"), ALL_ROLES),
    ("sites.index", _l("Sites & remains"), (TECHNICIAN, ANALYST, COORDINATOR, ADMIN)),
    ("samples.index", _l("Samples"), (TECHNICIAN, ANALYST, ADMIN)),
    ("custody.station", _l("Scanning station"), (TECHNICIAN, ADMIN)),
    ("custody.events", _l("Custody events"), (TECHNICIAN, ANALYST, ADMIN)),
    ("storage.index", _l("Storage"), (TECHNICIAN, ADMIN)),
    ("families.index", _l("Families"), (COORDINATOR, ANALYST, ADMIN)),
    ("profiles.index", _l("Profiles"), (ANALYST, ADMIN)),
    ("matching.index", _l("Matching"), (ANALYST, ADMIN)),
    ("review.queue", _l("Review"), (ANALYST, ADMIN)),
    ("events.index", _l("Closed events"), (ANALYST, COORDINATOR, ADMIN)),
    ("documents.index", _l("Documents"), (ANALYST, COORDINATOR, ADMIN)),
    ("notifications.index", _l("Notifications"), (COORDINATOR, ADMIN)),
    ("inquiry_codes.pending", _l("Family requests"), (COORDINATOR, ADMIN)),
    ("dashboard.index", _l("Dashboard"), ALL_ROLES),
    ("admin.users", _l("Users"), (ADMIN,)),
    ("admin.audit_log", _l("Audit log"), (ADMIN,)),
]


def _blueprints() -> list[Any]:
    from labtrack.web import (
        admin,
        auth,
        custody,
        donors,
        families,
        find,
        inquiry,
        inquiry_admin,
        labels,
        main,
        matching,
        missing_persons,
        person_links,
        profiles,
        reassociation,
        samples,
        sites,
        storage,
    )
    from labtrack.web import dashboard as dashboard_web
    from labtrack.web import documents as documents_web
    from labtrack.web import events as events_web
    from labtrack.web import familias_import as familias_web
    from labtrack.web import frequencies as frequencies_web
    from labtrack.web import notifications as notifications_web
    from labtrack.web import review as review_web
    from labtrack.web import verify as verify_web
    from labtrack.web.api import bp as api_bp
    from labtrack.web.api import load_api_modules

    load_api_modules()
    return [auth.bp, main.bp, find.bp, admin.bp, sites.bp, samples.bp, storage.bp, custody.bp, labels.bp, families.bp,
            missing_persons.bp, person_links.bp, donors.bp, profiles.bp, matching.bp, review_web.bp, events_web.bp,
            familias_web.bp, frequencies_web.bp, documents_web.bp, notifications_web.bp, dashboard_web.bp, inquiry.bp,
            inquiry_admin.bp, verify_web.bp, reassociation.bp, api_bp]


def select_locale() -> str:
    choice = session.get("lang")
    languages = current_app.config["LANGUAGES"]
    if choice in languages:
        return str(choice)
    if request.blueprint == "inquiry" and "ar" in languages:
        return "ar"  # the families' page speaks Arabic first (English is one link away)
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def navigation() -> list[tuple[str, Any]]:
    if not current_user.is_authenticated:
        return []
    return [
        (url_for(endpoint), label)
        for endpoint, label, roles in NAVIGATION
        if endpoint in current_app.view_functions and current_user.role in roles
    ]


def may_open(endpoint: str) -> bool:
    """Whether the signed-in user's role may open ``endpoint``: templates show a link only then."""
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return False
    roles = getattr(view, "allowed_roles", None)
    return roles is None or (current_user.is_authenticated and current_user.role in roles)


def _template_globals() -> dict[str, Any]:
    locale = str(get_locale() or "en")
    return {"navigation": navigation, "may_open": may_open, "locale": locale,
            "text_direction": "rtl" if locale == "ar" else "ltr",
            "lab_name": current_app.config["LAB_NAME"], "role_labels": ROLE_LABELS}


def _schema_guard() -> Any:
    if request.endpoint in (None, "static"):
        return None
    if not current_app.extensions.get("labtrack.schema_ok"):
        if not db.schema_is_current(db.get_engine()):
            return render_template("errors/not_migrated.html"), 503
        current_app.extensions["labtrack.schema_ok"] = True
    return None


def init_app(app: Flask) -> None:
    edge.install_converters(app)
    messages.init_app(app)
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = "strong"
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    blueprints = _blueprints()
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    from labtrack.web.api import bp as api_bp

    csrf.exempt(api_bp)
    app.context_processor(_template_globals)
    terms.init_app(app)
    bidi.init_app(app)
    units.init_app(app)
    app.before_request(_schema_guard)
    from labtrack.web.auth import end_idle_session, require_new_password

    app.before_request(end_idle_session)
    app.before_request(require_new_password)
    errors.init_app(app)
    edge.init_app(app)
