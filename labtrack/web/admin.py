"""Administration: users, machine tokens and the audit log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.core.errors import Conflict, NotFound, ValidationFailed
from labtrack.db import get_session
from labtrack.services import accounts, audit_verification, record_history
from labtrack.services import lists as list_specs
from labtrack.web import lists
from labtrack.web.access import ADMIN, roles_required
from labtrack.web.corrections import problems_onto
from labtrack.web.forms import (
    PasswordResetForm,
    RevokeForm,
    RoleForm,
    TokenForm,
    UserForm,
    UserStatusForm,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", methods=["GET", "POST"])
@roles_required(ADMIN)
def users() -> Any:
    form = UserForm()
    db = get_session()
    if form.validate_on_submit():
        user = accounts.create_user(
            session=db, username=form.username.data or "", full_name=form.full_name.data or "",
            role=form.role.data or "", password=form.password.data or "", by=current_user,
        )
        flash(_("User %(name)s created.", name=user.username), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/users.html", form=form, users=accounts.list_users(db),
                           token_form=TokenForm(), tokens=accounts.list_tokens(db),
                           token_expired=accounts.token_expired,
                           revoke_form=RevokeForm()), (422 if form.errors else 200)


def _user_page(user_id: int, *, status: int = 200, **forms: Any) -> Any:
    db = get_session()
    user = accounts.get_user(db, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    role_form = forms.get("role_form") or RoleForm(formdata=None, role=user.role)
    return render_template(
        "admin/user.html", user=user, status_form=forms.get("status_form") or UserStatusForm(formdata=None),
        password_form=forms.get("password_form") or PasswordResetForm(formdata=None), role_form=role_form,
        history=record_history.changes(db, "user_account", str(user_id))), status


@bp.route("/users/<int:user_id>")
@roles_required(ADMIN)
def user(user_id: int) -> Any:
    """One user: deactivate or reactivate, reset the password, change the role; their history."""
    return _user_page(user_id)


@bp.route("/users/<int:user_id>/status", methods=["POST"])
@roles_required(ADMIN)
def user_status(user_id: int) -> Any:
    form = UserStatusForm()
    if not form.validate_on_submit():
        return _user_page(user_id, status=422, status_form=form)
    target = accounts.get_user(get_session(), user_id)
    change = accounts.reactivate if target is not None and not target.active else accounts.deactivate
    try:
        changed = change(session=get_session(), user_id=user_id, by=current_user, reason=form.reason.data or "")
    except (ValidationFailed, Conflict) as error:
        problems_onto(form, error)
        return _user_page(user_id, status=error.status, status_form=form)
    flash(_("%(name)s can log in again.", name=changed.username) if changed.active else
          _("%(name)s is deactivated: their sessions ended and their tokens were revoked.", name=changed.username),
          "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required(ADMIN)
def reset_password(user_id: int) -> Any:
    form = PasswordResetForm()
    if not form.validate_on_submit():
        return _user_page(user_id, status=422, password_form=form)
    try:
        temporary = accounts.reset_password(session=get_session(), user_id=user_id, by=current_user,
                                            reason=form.reason.data or "")
    except (ValidationFailed, Conflict) as error:
        problems_onto(form, error)
        return _user_page(user_id, status=error.status, password_form=form)
    flash(_("Temporary password (give it to the user; it is shown once, and they must choose a new one at "
            "their next login): %(password)s", password=temporary), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@roles_required(ADMIN)
def change_role(user_id: int) -> Any:
    form = RoleForm()
    if not form.validate_on_submit():
        return _user_page(user_id, status=422, role_form=form)
    try:
        changed = accounts.change_role(session=get_session(), user_id=user_id, role=form.role.data or "",
                                       by=current_user, reason=form.reason.data or "")
    except (ValidationFailed, Conflict) as error:
        problems_onto(form, error)
        return _user_page(user_id, status=error.status, role_form=form)
    flash(_("%(name)s is now: %(role)s.", name=changed.username, role=role_label(changed.role)), "success")
    return redirect(url_for("admin.user", user_id=user_id))


def role_label(role: str) -> str:
    from labtrack.web.access import ROLE_LABELS

    return str(ROLE_LABELS.get(role, role))


@bp.route("/tokens", methods=["POST"])
@roles_required(ADMIN)
def create_token() -> Any:
    form = TokenForm()
    if not form.validate_on_submit():
        flash(_("A token needs a name, a role and a validity of 1 to 3650 days."), "error")
        return redirect(url_for("admin.users"))
    token = accounts.issue_token(session=get_session(), user=current_user, name=form.name.data or "",
                                 by=current_user, role=form.role.data, days=form.days.data)
    flash(_("New token (copy it now, it is shown once): %(token)s", token=token), "success")
    return redirect(url_for("admin.users"))


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required(ADMIN)
def revoke_token(token_id: int) -> Any:
    if RevokeForm().validate_on_submit():
        token = accounts.revoke_token(session=get_session(), token_id=token_id, by=current_user)
        flash(_("Token %(name)s revoked.", name=token.name), "success")
    return redirect(url_for("admin.users"))


@bp.route("/audit")
@roles_required(ADMIN)
def audit_log() -> Any:
    """The audit log, paged, with the stored result of the latest chain verification and the
    progress of one under way (verification runs in the worker, never in this request)."""
    db = get_session()
    return lists.show(list_specs.AUDIT_LOG, "admin/audit.html", filename="audit-log",
                      verification=audit_verification.latest(db), mark=audit_verification.latest_mark(db),
                      pending=audit_verification.pending(db), verify_form=RevokeForm())


@bp.route("/audit/verify", methods=["POST"])
@roles_required(ADMIN)
def verify_audit() -> Any:
    """Queue a verification of the chain: from the verified mark, or (``full``) from the first entry."""
    if RevokeForm().validate_on_submit():
        full = request.form.get("full") == "1"
        audit_verification.request(get_session(), full=full, by=current_user,
                                   app=current_app._get_current_object())  # type: ignore[attr-defined]
        flash(_("The verification is queued; this page shows its progress and then its result."), "info")
    return redirect(url_for("admin.audit_log"))
