"""Input problems: every bad row or value is collected, then raised once as an `InputError`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from labtrack.core.messages import listed, msg


@dataclass(frozen=True)
class InputProblem:
    """One problem in the input: which file, which row (1-based line number, None if not a row),
    which field, and what is wrong."""

    file: str
    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        row = "" if self.row is None else f", row {self.row}"
        field = f", field {self.field}" if self.field else ""
        return f"{self.file}{row}{field}: {self.message}"

    def describe(self) -> str:
        """Where and what as one message (the same English as ``str``; the reader's language in the app)."""
        places = [place for place in (
            self.file, msg("row %(row)s", row=self.row) if self.row is not None else "",
            msg("field %(field)s", field=self.field) if self.field else "") if place]
        return msg("%(where)s: %(message)s", where=listed(places), message=self.message) if places else self.message


class InputError(ValueError):
    """Bad input: carries the full list of problems (`.problems`), never only the first one."""

    def __init__(self, problems: Iterable[InputProblem]) -> None:
        self.problems: list[InputProblem] = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the input:\n{lines}")
