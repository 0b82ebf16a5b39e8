"""The correction page shared by missing persons, donors, sites, remains and pedigree members: a
prefilled form plus a reason; a refused correction shows its problems next to the fields (422)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from labtrack.core.errors import Conflict, DomainError, ValidationFailed
from labtrack.web.messages import text


def problems_onto(form: FlaskForm, error: DomainError) -> list[str]:
    """Put the service's problems next to the form's fields (in the page's language when the
    catalogue knows the message); returns those that name no field of the form, and the message
    when no problem is listed."""
    left: list[str] = []
    for problem in error.problems:
        message = text(problem.message)
        field = getattr(form, problem.field, None) if problem.field else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            left.append(message)
    if not error.problems:
        left.append(text(error.message))
    form.form_errors = [*getattr(form, "form_errors", []), *left]
    return left


def correction_page(*, form: FlaskForm, row: Any, editable: tuple[str, ...], code: str, action: str, back: str,
                    save: Callable[[dict[str, Any], str], object], title: str | None = None,
                    history: list[Any] | None = None, done: str | None = None, submit: str | None = None,
                    warning: str | None = None) -> Any:
    """Show ``form`` (prefilled from ``row``) or, when it validates, ``save(values, reason)`` the
    editable fields and go ``back``. Empty optional text fields are saved as "". ``warning``: what
    the person must read before saving (shown above the form, and again after saving)."""
    if form.validate_on_submit():
        values = {k: v for k, v in form.data.items() if k in editable}
        values = {k: ("" if v is None and isinstance(getattr(row, k, None), str) else v) for k, v in values.items()}
        try:
            save(values, form.reason.data or "")  # type: ignore[attr-defined]
        except (ValidationFailed, Conflict) as error:
            problems_onto(form, error)
            return _page(form, code, action, back, title, history, submit, warning), error.status
        flash(done or _("The details of %(code)s were corrected.", code=code), "success")
        if warning:
            flash(warning, "warning")
        return redirect(back)
    return _page(form, code, action, back, title, history, submit, warning), (422 if form.errors else 200)


def _page(form: FlaskForm, code: str, action: str, back: str, title: str | None, history: list[Any] | None,
          submit: str | None, warning: str | None = None) -> str:
    return render_template("corrections/edit.html", code=code, form=form, action=action, back=back, title=title,
                           history=history, submit=submit, warning=warning)
