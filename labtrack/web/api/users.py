"""API: user administration (admins): list, deactivate, reactivate, reset a password, change a role.

The same services and rules as the Users pages: a reason each (kept in the audit log), at least one
active administrator kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_login import current_user
from pydantic import BaseModel, Field

from labtrack.db import get_session
from labtrack.services import accounts
from labtrack.web.access import ADMIN
from labtrack.web.api import bp
from labtrack.web.api.openapi import operation, parse_body, respond


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    role: str
    active: bool
    must_change_password: bool
    created_at: datetime


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class RoleIn(BaseModel):
    role: str
    reason: str = Field(min_length=1, max_length=500)


class PasswordResetOut(BaseModel):
    user: UserOut
    temporary_password: str = Field(description="Shown once: the user must choose a new password at the next "
                                                "login.")


@operation(bp, "/users", summary="User accounts", tag="users", roles=(ADMIN,), response=UserOut, many=True)
def list_users() -> Any:
    return respond(UserOut, accounts.list_users(get_session()))


@operation(bp, "/users/<int:user_id>/deactivate", method="POST", summary="Deactivate a user (no login; sessions "
           "end, tokens revoked; with a reason)", tag="users", roles=(ADMIN,), body=ReasonIn,
           response=UserOut)  # fmt: skip
def deactivate_user(user_id: int) -> Any:
    body = parse_body(ReasonIn)
    return respond(UserOut, accounts.deactivate(session=get_session(), user_id=user_id,
                                                by=current_user._get_current_object(), reason=body.reason))


@operation(bp, "/users/<int:user_id>/reactivate", method="POST", summary="Reactivate a user (with a reason)",
           tag="users", roles=(ADMIN,), body=ReasonIn, response=UserOut)
def reactivate_user(user_id: int) -> Any:
    body = parse_body(ReasonIn)
    return respond(UserOut, accounts.reactivate(session=get_session(), user_id=user_id,
                                                by=current_user._get_current_object(), reason=body.reason))


@operation(bp, "/users/<int:user_id>/role", method="POST", summary="Change a user's role (with a reason; the last "
           "active admin keeps the role)", tag="users", roles=(ADMIN,), body=RoleIn, response=UserOut)  # fmt: skip
def change_user_role(user_id: int) -> Any:
    body = parse_body(RoleIn)
    return respond(UserOut, accounts.change_role(session=get_session(), user_id=user_id, role=body.role,
                                                 by=current_user._get_current_object(), reason=body.reason))


@operation(bp, "/users/<int:user_id>/password-reset", method="POST", summary="Reset a user's password: a temporary "
           "password, to change at the next login (with a reason)", tag="users", roles=(ADMIN,), body=ReasonIn,
           response=PasswordResetOut)  # fmt: skip
def reset_user_password(user_id: int) -> Any:
    body = parse_body(ReasonIn)
    db = get_session()
    temporary = accounts.reset_password(session=db, user_id=user_id, by=current_user._get_current_object(),
                                        reason=body.reason)
    return respond(PasswordResetOut, {"user": accounts.get_user(db, user_id), "temporary_password": temporary})
