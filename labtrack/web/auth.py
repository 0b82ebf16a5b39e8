"""Login, logout, language switch; Flask-Login loaders for sessions and API tokens."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from labtrack.core.errors import AuthenticationFailed
from labtrack.db import get_session, standalone_session
from labtrack.models import User
from labtrack.services import accounts
from labtrack.web.access import ALL_ROLES, public, roles_required
from labtrack.web.extensions import limiter, login_manager
from labtrack.web.forms import LoginForm

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    with standalone_session() as db:
        user = accounts.get_user(db, int(user_id))
        if user is not None:
            db.expunge(user)
        return user if user is not None and user.active else None


@login_manager.request_loader
def load_user_from_token(req: Any) -> User | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    with standalone_session() as db:
        user = accounts.user_for_token(db, header[len("Bearer "):].strip())
        if user is not None:
            db.expunge(user)
            g.auth_via_token = True
        return user


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@public
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                session=get_session(), username=form.username.data or "",
                password=form.password.data or "",
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                lockout_minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"],
            )
        except AuthenticationFailed as error:
            flash(error.message, "error")
            return render_template("auth/login.html", form=form), 401
        session.clear()
        login_user(user)
        session.permanent = True
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@roles_required(*ALL_ROLES)
def logout() -> Any:
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language/<code>", methods=["POST", "GET"])
@public
def language(code: str) -> Any:
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next") or request.referrer and urlsplit(request.referrer).path))


@bp.app_context_processor
def inject_user() -> dict[str, Any]:
    return {"current_user": current_user}
