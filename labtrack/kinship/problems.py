"""Input problems: every bad row or value is collected, then raised once as an `InputError`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


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


class InputError(ValueError):
    """Bad input: carries the full list of problems (`.problems`), never only the first one."""

    def __init__(self, problems: Iterable[InputProblem]) -> None:
        self.problems: list[InputProblem] = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the input:\n{lines}")
