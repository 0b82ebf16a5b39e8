"""Shared WTForms pieces."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from labtrack.models import ROLES


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
