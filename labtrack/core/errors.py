"""Domain errors. Services raise these; the web and CLI edges turn them into messages and 4xx answers.

A message is a ``labtrack.core.messages.Message`` (``msg(...)``: rendered in the reader's language at
the web edge, English in the CLI), or, for text not converted yet, a plain English ``str``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from labtrack.core.messages import listed, msg, nmsg


@dataclass(frozen=True, kw_only=True)
class InputProblem:
    """One problem with user input, the one type the services, the readers and the kinship engine
    share: where it is (``file``, ``row``: 1-based line number, ``field``; None where it does not
    apply, an empty text read as None) and what is wrong (``message``: a ``Message`` or plain
    English text). Keyword arguments only, so that the order of the fields cannot be mistaken."""

    message: str
    field: str | None = None
    row: int | None = None
    file: str | None = None

    def __post_init__(self) -> None:
        # one convention: a place that does not apply is None (callers that pass "" mean the same)
        for name in ("field", "file"):
            if getattr(self, name) == "":
                object.__setattr__(self, name, None)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def _places(self) -> list[str]:
        return [place for place in (
            self.file or "", msg("row %(row)s", row=self.row) if self.row is not None else "",
            msg("field %(field)s", field=self.field) if self.field else "") if place]

    def __str__(self) -> str:
        """``file, row N, field F: message`` (the parts that apply), English."""
        where = ", ".join(str(place) for place in self._places())
        return f"{where}: {self.message}" if where else str(self.message)

    def describe(self) -> str:
        """Where and what as one message (the same English as ``str``; the reader's language at
        the web edge)."""
        places = self._places()
        return msg("%(where)s: %(message)s", where=listed(places), message=self.message) if places else self.message


class InputError(ValueError):
    """Bad input found by the kinship engine or a file reader: carries the full list of problems
    (``.problems``, the same ``InputProblem`` as ``DomainError.problems``), never only the first one.
    A ``ValueError``, not a ``DomainError``: the callers that use the engine (services, CLI) decide
    what the user is told."""

    def __init__(self, problems: Iterable[InputProblem]) -> None:
        self.problems: list[InputProblem] = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the input:\n{lines}")


class DomainError(Exception):
    """Base class of every error a user can cause. ``status`` is the HTTP status the edge uses."""

    status = 400

    def __init__(self, message: str, problems: list[InputProblem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[InputProblem] = list(problems or [])


class ValidationFailed(DomainError):
    """Input is malformed; ``problems`` lists every problem found (collect all, raise once)."""

    status = 422


@dataclass
class ProblemList:
    """Collects problems, then raises once with all of them."""

    problems: list[InputProblem] = field(default_factory=list)

    def add(self, message: str, *, field: str | None = None, row: int | None = None,
            file: str | None = None) -> None:
        self.problems.append(InputProblem(message=message, field=field, row=row, file=file))

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, message: str = msg("The input has problems")) -> None:
        if self.problems:
            raise ValidationFailed(nmsg("%(message)s (one problem)", "%(message)s (%(num)d problems)",
                                        len(self.problems), message=message), self.problems)


def require_reason(reason: str, what: str) -> str:
    """The stripped ``reason``; a ValidationFailed on field "reason" when it is empty. ``what`` is
    what needs the reason, as a verb phrase (``msg("retract an identification")``)."""
    reason = (reason or "").strip()
    if not reason:
        problems = ProblemList()
        problems.add(msg("a reason is required to %(what)s", what=what), field="reason")
        problems.raise_if_any(msg("Cannot %(what)s", what=what))
    return reason


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """The request clashes with the current state (duplicate, concurrent change, wrong place)."""

    status = 409


class InvalidTransition(Conflict):
    """A state transition outside the allowed graph."""


class PermissionDenied(DomainError):
    status = 403


class Busy(Conflict):
    """The database is locked by another writer for longer than the bounded wait: try again.
    (A Conflict, so that callers that retry on conflicts, like the worker, retry on it too.)"""

    status = 503
    retry_after = 5


class AuthenticationFailed(DomainError):
    status = 401
