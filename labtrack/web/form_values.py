"""Read typed values from a submitted HTML form, collecting every problem (field named)."""

from __future__ import annotations

from datetime import date

from flask import request

from labtrack.core.errors import ProblemList


class FormValues:
    """``request.form`` with typed getters; call ``raise_if_any`` once after reading."""

    def __init__(self) -> None:
        self.problems = ProblemList()

    def text(self, name: str, default: str = "") -> str:
        return (request.form.get(name) or default).strip()

    def number(self, name: str, kind: type = float) -> float | int | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            return kind(raw)  # type: ignore[no-any-return]
        except ValueError:
            self.problems.add(f"{raw!r} is not a {'whole ' if kind is int else ''}number", field=name)
            return None

    def day(self, name: str) -> date | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.problems.add(f"{raw!r} is not a date (YYYY-MM-DD)", field=name)
            return None

    def raise_if_any(self, message: str = "The form has problems") -> None:
        self.problems.raise_if_any(message)
