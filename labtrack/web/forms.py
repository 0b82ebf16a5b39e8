"""Shared WTForms pieces."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange

from labtrack.models import ROLES
from labtrack.web.access import ROLE_LABELS


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=[(role, role) for role in ROLES])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200)])


class TokenForm(FlaskForm):
    name = StringField(_l("Token name (e.g. bench station 2)"),
                       validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Acts as"), choices=[(role, role) for role in ROLES], default="technician")
    days = IntegerField(_l("Valid for (days)"), default=365, validators=[NumberRange(min=1, max=3650)])


class RevokeForm(FlaskForm):
    """A button (CSRF token only)."""


def reason_field(label: str | None = None) -> StringField:
    return StringField(label or _l("Reason (kept in the audit log)"), validators=[DataRequired(), Length(max=500)])


class UserStatusForm(FlaskForm):
    """Deactivate or reactivate a user (the page shows the one that applies)."""

    reason = reason_field()


class PasswordResetForm(FlaskForm):
    reason = reason_field()


class RoleForm(FlaskForm):
    role = SelectField(_l("New role"), choices=[(role, ROLE_LABELS[role]) for role in ROLES])
    reason = reason_field()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("New password (at least 10 characters)"),
                                 validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The two new passwords differ."))])
