"""A refused form comes back with what was typed and each problem beside its field.

Views validate their Flask-WTF form first (types, limits, dates); the service may still refuse
(a duplicate code, a closed site, a rule of the lifecycle). ``refuse`` rolls the request's
session back and places the service's problems on the form, so that the page is shown again,
with status 422, instead of an error page or a redirect that empties the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_babel import gettext
from flask_wtf import FlaskForm

from labtrack.core.errors import Busy, Conflict, DomainError, ValidationFailed
from labtrack.db import get_session
from labtrack.web import messages

# Errors a person at the form can correct; others (not found, forbidden, busy) go to the error pages.
CORRECTABLE = (ValidationFailed, Conflict)
T = TypeVar("T")


def correctable(error: DomainError) -> bool:
    """Whether ``error`` is one the person can fix in the form (not a missing item or a busy database)."""
    return isinstance(error, CORRECTABLE) and not isinstance(error, Busy)


def attempt(form: FlaskForm, action: Callable[..., T], /, **arguments: Any) -> T | None:
    """``action(**arguments)`` (a service call), or None when the service refused with an error
    the person can correct: the refusal is then on ``form`` (see ``refuse``) for the page to be
    shown again. Other errors (not found, forbidden, busy) go on to the error pages."""
    try:
        return action(**arguments)
    except DomainError as error:
        if not correctable(error):
            raise
        refuse(form, error)
        return None


def refuse(form: FlaskForm, error: DomainError) -> None:
    """Roll back and show ``error`` on ``form``: each problem beside its field, the rest at the top."""
    get_session().rollback()
    placed = False
    for problem in error.problems:
        target = getattr(form, problem.field, None) if problem.field else None
        if target is not None and hasattr(target, "errors") and problem.field in form._fields:
            said = messages.text(problem.message)
            if problem.row is not None:
                said = gettext("Line %(row)s: %(problem)s", row=problem.row, problem=said)
            target.errors = [*target.errors, said]
            placed = True
        else:
            form.form_errors.append(messages.problem_line(problem))
    if not error.problems or not placed:
        form.form_errors.append(messages.text(error.message))
