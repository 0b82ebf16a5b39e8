"""The correction page shared by missing persons and donors: a prefilled form plus a reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template
from flask_babel import gettext as _
from flask_wtf import FlaskForm


def correction_page(*, form: FlaskForm, row: Any, editable: tuple[str, ...], code: str, action: str, back: str,
                    save: Callable[[dict[str, Any], str], object]) -> Any:
    """Show ``form`` (prefilled from ``row``) or, when it validates, ``save(values, reason)`` the
    editable fields and go ``back``. Empty optional text fields are saved as ""."""
    if form.validate_on_submit():
        values = {k: v for k, v in form.data.items() if k in editable}
        values = {k: ("" if v is None and isinstance(getattr(row, k), str) else v) for k, v in values.items()}
        save(values, form.reason.data or "")  # type: ignore[attr-defined]
        flash(_("The details of %(code)s were corrected.", code=code), "success")
        return redirect(back)
    return render_template("corrections/edit.html", code=code, form=form, action=action,
                           back=back), (422 if form.errors else 200)
