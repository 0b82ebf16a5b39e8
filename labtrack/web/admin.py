"""Administration: users, machine tokens and the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.db import get_engine, get_session
from labtrack.services import accounts, audit, audit_seal
from labtrack.services import lists as list_specs
from labtrack.web import lists
from labtrack.web.access import ADMIN, roles_required
from labtrack.web.forms import RevokeForm, TokenForm, UserForm

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
    """The audit log, paged; the whole chain is verified only when asked for (``?verify=1``)."""
    result = _verify(get_session()) if request.args.get("verify") == "1" else None
    return lists.show(list_specs.AUDIT_LOG, "admin/audit.html", filename="audit-log", result=result)


def _verify(db: Any) -> audit.VerifyResult:
    """The chain, its key signatures and the instance checkpoints (as `labtrack audit verify`)."""
    seal = audit_seal.seal_of(get_engine())
    try:
        anchors = (list(seal.read_checkpoints(Path(seal.checkpoint_file)))
                   if seal is not None and seal.checkpoint_file and Path(seal.checkpoint_file).is_file() else [])
    except audit_seal.CheckpointError as error:
        return audit.VerifyResult(0, audit.ChainBreak(0, None, str(error)))
    return audit.verify_chain(db, seal=seal, checkpoints=anchors)
