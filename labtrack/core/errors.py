"""Domain errors. Services raise these; the web and CLI edges turn them into messages and 4xx answers.

A message is a ``labtrack.core.messages.Message`` (``msg(...)``: rendered in the reader's language at
the web edge, English in the CLI), or, for text not converted yet, a plain English ``str``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from labtrack.core.messages import listed, msg, nmsg


@dataclass(frozen=True)
class InputProblem:
    """One problem with user input: where it is (file, row, field) and what is wrong (``message``:
    a ``Message`` or plain English text)."""

    message: str
    field: str | None = None
    row: int | None = None
    file: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                self.file or "",
                f"row {self.row}" if self.row is not None else "",
                f"field {self.field}" if self.field else "",
            )
            if part
        )
        return f"{where}: {self.message}" if where else self.message

    def describe(self) -> str:
        """Where and what as one message (the same English as ``str``; the reader's language at
        the web edge)."""
        places = [place for place in (
            self.file or "", msg("row %(row)s", row=self.row) if self.row is not None else "",
            msg("field %(field)s", field=self.field) if self.field else "") if place]
        return msg("%(where)s: %(message)s", where=listed(places), message=self.message) if places else self.message


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
