"""One error module: HTML pages for people, one JSON shape for the API; roll back before a 500."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, jsonify, make_response, redirect, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from labtrack.core.errors import Busy, DomainError
from labtrack.services.transaction import is_busy
from labtrack.web.access import is_api_request
from labtrack.web.messages import flash_error, problem_dict, text

log = logging.getLogger(__name__)


def api_error(status: int, error: str, message: str, problems: list[dict[str, Any]] | None = None) -> Any:
    response = jsonify(error=error, message=message, problems=problems or [])
    response.status_code = status
    return response


def _rollback() -> None:
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def handle_busy(error: Busy) -> Any:
    """503 with Retry-After, for people and the API alike (a form is not re-posted blindly)."""
    _rollback()
    message = _("The database is busy with another change; nothing was saved. Try again in a few seconds.")
    if is_api_request():
        response = api_error(503, "busy", message)
    else:
        response = make_response(render_template("errors/error.html", status=503, message=message,
                                                 problems=[]), 503)
    response.headers["Retry-After"] = str(Busy.retry_after)
    return response


def handle_domain_error(error: DomainError) -> Any:
    _rollback()
    if isinstance(error, Busy):
        return handle_busy(error)
    if is_api_request():
        problems = [problem_dict(problem) for problem in error.problems]
        return api_error(error.status, type(error).__name__, text(error.message), problems)
    if request.method == "POST" and request.referrer:
        flash_error(error)
        return redirect(request.referrer)
    return render_template("errors/error.html", status=error.status, message=error.message,
                           problems=error.problems), error.status


def handle_http_error(error: HTTPException) -> Any:
    status = error.code or 500
    if is_api_request():
        return api_error(status, error.name.lower().replace(" ", "_"), error.description or error.name)
    return render_template("errors/error.html", status=status, message=error.description or error.name,
                           problems=[]), status


def handle_csrf_error(error: CSRFError) -> Any:
    message = _("The form expired or was sent from elsewhere. Reload the page and try again.")
    if is_api_request():
        return api_error(400, "csrf", message)
    return render_template("errors/error.html", status=400, message=message, problems=[]), 400


def handle_unexpected(error: Exception) -> Any:
    if isinstance(error, OperationalError) and is_busy(error):
        return handle_busy(Busy(str(error)))  # a read that waited its bounded time for a lock
    _rollback()
    log.exception("unexpected error")
    message = _("Something went wrong on our side; nothing was saved. The error was logged.")
    if is_api_request():
        return api_error(500, "internal", message)
    return render_template("errors/error.html", status=500, message=message, problems=[]), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
