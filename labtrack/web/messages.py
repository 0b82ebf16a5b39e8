"""Messages from the services, rendered in the request's language (pages, flashes, API answers).

Services raise ``Message`` objects (``labtrack.core.messages``); here they meet the request's
catalogue. Templates need nothing special: every ``{{ value }}`` that is a ``Message`` is rendered
by the Jinja ``finalize`` hook installed by ``init_app``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, flash
from flask_babel import get_locale, get_translations

from labtrack.core.errors import DomainError, InputProblem
from labtrack.core.messages import JOIN_SEPARATOR, Message
from labtrack.web.access import ROLE_LABELS
from labtrack.web.terms import term


def text(value: object) -> str:
    """``value`` in the request's language when it is a ``Message``; other text as it is."""
    if isinstance(value, Message):
        return value.render(get_translations(), _label)
    return "" if value is None else str(value)


def joined_text(items: list[str]) -> str:
    """Messages (or texts) in the request's language, joined by "; " ("؛ " in Arabic)."""
    return text(JOIN_SEPARATOR).join(text(item) for item in items)


def reader_language() -> str:
    """The request's language ("en", "ar"): the language of a document its reader issues."""
    return str(get_locale() or "en").split("_")[0]


def _label(code: str) -> str:
    """The label of a stored code (a role, a state, a kind) in the request's language."""
    role = ROLE_LABELS.get(code)
    return str(role) if role is not None else term(code)


def problem_dict(problem: InputProblem) -> dict[str, Any]:
    """An input problem as the API shows it, its message in the request's language."""
    return {**problem.as_dict(), "message": text(problem.message)}


def problem_line(problem: InputProblem) -> str:
    """One line for a flash: where (file, row, field) and what, in the request's language."""
    return text(problem.describe())


def flash_error(error: DomainError, *, limit: int = 50) -> None:
    """Flash an error and its problems (at most ``limit``), in the request's language."""
    flash(text(error.message), "error")
    for problem in error.problems[:limit]:
        flash(problem_line(problem), "error")


def _finalize(value: Any) -> Any:
    return text(value) if isinstance(value, Message) else value


def init_app(app: Flask) -> None:
    app.jinja_env.finalize = _finalize
    app.add_template_filter(text, "message")
