"""The families' inquiry page: public, no account, Arabic first; no JavaScript, nothing from
elsewhere. A family types the code from its receipt and sees the milestones of its own case."""

from __future__ import annotations

import logging
import time
from datetime import date
from typing import Any

from babel.dates import format_date
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from labtrack.core import inquiry_codes as core
from labtrack.core.errors import DomainError
from labtrack.db import get_session
from labtrack.models import InquiryCode
from labtrack.services import inquiry_access, inquiry_requests, inquiry_status
from labtrack.web.access import public
from labtrack.web.extensions import limiter
from labtrack.web.inquiry_forms import DETAIL_LABELS, NOTIFY_CHOICES, CodeForm, contact_form
from labtrack.web.inquiry_support import client_address, hasher, policy

bp = Blueprint("inquiry", __name__, url_prefix="/inquiry")
log = logging.getLogger(__name__)
SESSION_KEY = "inquiry"

WRONG = _l("We could not open a page with this code. Please check the code on your receipt and try again. "
           "If it still does not work, contact your family coordinator.")
MALFORMED = {
    core.EMPTY: _l("Please type the inquiry code from your receipt."),
    core.TOO_LONG: _l("This is too long to be an inquiry code. Please type only the code from your receipt."),
    core.CHARACTERS: _l("The code has letters or signs that are not on the receipt. Please compare it with the "
                        "receipt, character by character."),
    core.LENGTH: _l("The code should have 20 letters and digits. Please check that none is missing or extra."),
    core.CHECK: _l("There is a typing mistake in the code. Please compare it with the receipt, character by "
                   "character."),
}


@bp.after_request
def _private(response: Response) -> Response:
    """Shared phones: nothing kept in caches or history; no address leaks to other sites."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _locked_message() -> str:
    return _("There were too many attempts. To protect your family's information, the page is closed for a "
             "while. Please try again in %(minutes)s minutes.", minutes=current_app.config["INQUIRY_LOCKOUT_MINUTES"])


@bp.errorhandler(429)
def _too_many(_error: Exception) -> Any:
    return render_template("inquiry/enter.html", form=CodeForm(formdata=None), message=_locked_message()), 429


@bp.errorhandler(CSRFError)
def _expired(_error: Exception) -> Any:
    message = _("The page was open too long. Please type the code again.")
    return render_template("inquiry/enter.html", form=CodeForm(formdata=None), message=message), 400


@bp.errorhandler(Exception)
def _trouble(error: Exception) -> Any:
    """Anything else, calmly and in the family's language (never the staff error page)."""
    db = g.get("db_session")
    if db is not None:
        db.rollback()
    if isinstance(error, HTTPException):
        status = error.code or 500
    elif isinstance(error, DomainError):
        status = error.status
    else:
        log.exception("unexpected error on the family inquiry page")
        status = 500
    message = _("Something went wrong and nothing was changed. Please try again later, or contact your family "
                "coordinator.")
    return render_template("inquiry/enter.html", form=CodeForm(formdata=None), message=message), status


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["INQUIRY_RATE_LIMIT"], methods=["POST"])
@public
def enter() -> Any:
    """The code form (public). A wrong code of any kind gets the same calm answer."""
    form = CodeForm()
    if request.method == "GET":
        return render_template("inquiry/enter.html", form=form, message=None)
    access = inquiry_access.check_code(session=get_session(), typed=form.code.data or "", client=client_address(),
                                       hasher=hasher(), policy=policy())
    if access.accepted:
        minutes = int(current_app.config["INQUIRY_SESSION_MINUTES"])
        session[SESSION_KEY] = {"code": access.code_id, "until": int(time.time()) + minutes * 60}
        return redirect(url_for("inquiry.case"))
    if access.outcome == "locked":
        message, status = _locked_message(), 429
    elif access.outcome == "malformed":
        message, status = str(MALFORMED.get(access.problem or "", MALFORMED[core.CHECK])), 200
    else:
        message, status = str(WRONG), 200
    return render_template("inquiry/enter.html", form=CodeForm(formdata=None), message=message), status


def _open_code() -> InquiryCode | None:
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or int(data.get("until", 0)) < time.time():
        session.pop(SESSION_KEY, None)
        return None
    code = inquiry_access.open_code(get_session(), data.get("code"))
    if code is None:
        session.pop(SESSION_KEY, None)
    return code


def _closed() -> Any:
    flash(_("Your page was closed. Please type your code again."), "info")
    return redirect(url_for("inquiry.enter"))


@bp.app_template_filter("inquiry_date")
def inquiry_date(value: date) -> str:
    """A date in words; Arabic with the month names used in Syria (كانون الأول)."""
    arabic = str(get_locale() or "en") == "ar"
    return format_date(value, "long", locale="ar_SY" if arabic else "en")


def _case_page(code: InquiryCode, form: Any, status: int = 200) -> Any:
    view = inquiry_status.family_view(get_session(), code)
    return render_template("inquiry/case.html", view=view, form=form, detail_labels=DETAIL_LABELS,
                           notify_labels=dict(NOTIFY_CHOICES),
                           lab_contact=current_app.config.get("LAB_CONTACT", "")), status


@bp.route("/case")
@public
def case() -> Any:
    """The family's page (public, opened with a code): milestones of their own case only."""
    code = _open_code()
    if code is None:
        return _closed()
    inquiry_access.record_view(session=get_session(), code=code, client=client_address(), hasher=hasher())
    return _case_page(code, contact_form(inquiry_requests.kind_of(code)))


@bp.route("/case/changes", methods=["POST"])
@limiter.limit("10 per hour", methods=["POST"])
@public
def changes() -> Any:
    """The family asks to change contact details or how they are told; a coordinator confirms."""
    code = _open_code()
    if code is None:
        return _closed()
    form = contact_form(inquiry_requests.kind_of(code))
    if not form.validate_on_submit():
        return _case_page(code, form, 422)
    values = {name: str(field.data or "") for name, field in form._fields.items() if name != "csrf_token"}
    created = inquiry_requests.submit(session=get_session(), code=code, changes=values)
    if created:
        flash(_("Thank you. Your coordinator will check the change and confirm it."), "success")
    else:
        flash(_("Nothing was sent: all the fields were left empty."), "info")
    return redirect(url_for("inquiry.case"))


@bp.route("/end", methods=["POST"])
@public
def end() -> Any:
    """Close the family's page on this device (public)."""
    session.pop(SESSION_KEY, None)
    flash(_("Your page is closed on this device."), "info")
    return redirect(url_for("inquiry.enter"))
