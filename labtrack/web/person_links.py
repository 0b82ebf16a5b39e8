"""Linking two reports of one missing person (coordinators, admins): the link form and the
withdrawal of a link, on the missing person's page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from labtrack.core.errors import DomainError
from labtrack.db import get_session
from labtrack.services import person_links
from labtrack.web.access import ADMIN, COORDINATOR, roles_required
from labtrack.web.messages import flash_error

bp = Blueprint("person_links", __name__, url_prefix="/missing-persons")


class LinkForm(FlaskForm):
    case_number = StringField(_l("Case number of the other report"), validators=[DataRequired(), Length(max=32)])
    reason = StringField(_l("Why they are one person"), validators=[DataRequired(), Length(max=500)])


class WithdrawLinkForm(FlaskForm):
    reason = StringField(_l("Why the link no longer holds"), validators=[DataRequired(), Length(max=500)])


def _back(person_id: int) -> Any:
    return redirect(url_for("missing_persons.detail", person_id=person_id) + "#links")


@bp.route("/<int:person_id>/links", methods=["POST"])
@roles_required(COORDINATOR, ADMIN)
def link(person_id: int) -> Any:
    """Record that this report and another (by case number) are one person."""
    form = LinkForm()
    if not form.validate_on_submit():
        flash(_("Give the other report's case number and why they are one person."), "error")
        return _back(person_id)
    try:
        person_links.link(session=get_session(), person_id=person_id, other_case_number=form.case_number.data or "",
                          by=current_user, reason=form.reason.data or "")
    except DomainError as error:
        flash_error(error)
        return _back(person_id)
    flash(_("The two reports are linked as one person; both records are kept."), "success")
    return _back(person_id)


@bp.route("/<int:person_id>/links/<int:link_id>/withdraw", methods=["POST"])
@roles_required(COORDINATOR, ADMIN)
def withdraw(person_id: int, link_id: int) -> Any:
    """Withdraw a link (a new record; the link stays on record)."""
    form = WithdrawLinkForm()
    if not form.validate_on_submit():
        flash(_("Say why the link no longer holds."), "error")
        return _back(person_id)
    try:
        person_links.withdraw(session=get_session(), link_id=link_id, by=current_user, reason=form.reason.data or "")
    except DomainError as error:
        flash_error(error)
        return _back(person_id)
    flash(_("The link is withdrawn (it stays on record)."), "success")
    return _back(person_id)
