"""Login, logout, language switch; Flask-Login loaders for sessions and API tokens."""

from __future__ import annotations

import time
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

from labtrack.core.errors import AuthenticationFailed, ValidationFailed
from labtrack.db import get_session, standalone_session
from labtrack.models import User
from labtrack.services import accounts
from labtrack.web.access import ALL_ROLES, public, roles_required
from labtrack.web.corrections import problems_onto
from labtrack.web.extensions import limiter, login_manager
from labtrack.web.forms import ChangePasswordForm, LoginForm
from labtrack.web.messages import text as message_text

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The session's user: ``id:epoch`` must match the user's current epoch (raised at logout)."""
    with standalone_session() as db:
        user = accounts.user_for_session(db, user_id)
        if user is not None:
            db.expunge(user)
        return user


IDLE_KEY = "seen"


def end_idle_session() -> None:
    """Log out a session unused for ``IDLE_MINUTES`` (checked on every request; the time is in the
    signed cookie, so an old copied cookie is idle too)."""
    if "_user_id" not in session:
        return
    now = int(time.time())
    seen = session.get(IDLE_KEY)
    if not isinstance(seen, int) or now - seen > current_app.config["IDLE_MINUTES"] * 60:
        logout_user()
        session.clear()
        flash(_("You were logged out after a while without activity."), "info")
        return
    session[IDLE_KEY] = now


@login_manager.request_loader
def load_user_from_token(req: Any) -> User | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    with standalone_session() as db:
        user = accounts.user_for_token(db, header[len("Bearer "):].strip())  # a detached copy
        if user is not None:
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
            flash(message_text(error.message), "error")
            return render_template("auth/login.html", form=form), 401
        session.clear()
        login_user(user)
        session.permanent = True
        session[IDLE_KEY] = int(time.time())
        if user.must_change_password:
            return redirect(url_for("auth.change_password", next=_safe_next(request.args.get("next"))))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


#: what a user who must choose a new password may still open
_BEFORE_NEW_PASSWORD = frozenset({"auth.change_password", "auth.logout", "auth.language", "static"})


def require_new_password() -> Any:
    """After a password reset every page leads to the change-password page until it is done
    (a machine token is not a login: the API is not redirected)."""
    if (request.endpoint in _BEFORE_NEW_PASSWORD or request.endpoint is None or g.get("auth_via_token")
            or request.path.startswith("/api/") or not current_user.is_authenticated
            or not getattr(current_user, "must_change_password", False)):
        return None
    return redirect(url_for("auth.change_password", next=request.full_path if request.method == "GET" else None))


@bp.route("/password", methods=["GET", "POST"])
@roles_required(*ALL_ROLES)
def change_password() -> Any:
    """Choose a new password (required after a reset by an administrator); other sessions end."""
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.change_own_password(session=get_session(), user=current_user,
                                                current=form.current_password.data or "",
                                                new=form.new_password.data or "")
        except ValidationFailed as error:
            problems_onto(form, error)
            status = 422
        else:
            get_session().expunge(user)
            login_user(user)  # the session epoch moved on: this session carries the new one
            session[IDLE_KEY] = int(time.time())
            flash(_("Your password was changed."), "success")
            return redirect(_safe_next(request.args.get("next")))
    elif form.errors:
        status = 422
    return render_template("auth/password.html", form=form,
                           required=getattr(current_user, "must_change_password", False)), status


@bp.route("/logout", methods=["POST"])
@roles_required(*ALL_ROLES)
def logout() -> Any:
    if not g.get("auth_via_token"):
        accounts.end_sessions(get_session(), current_user)  # copies of the cookie stop working too
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
