"""What missing persons and donors share: the sex check and corrections of their details (with a
reason, audited)."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session

from labtrack.core.errors import ProblemList
from labtrack.core.messages import Message, msg
from labtrack.models import Donor, MissingPerson, User
from labtrack.models.families import PERSON_SEXES
from labtrack.services.transaction import write

PersonRow = TypeVar("PersonRow", MissingPerson, Donor)


def check_sex(problems: ProblemList, sex: object) -> None:
    """A problem on ``sex`` unless it is M, F or U."""
    if sex not in PERSON_SEXES:
        problems.add(msg("sex must be M, F or U"), field="sex")


def correct_details(session: Session, row: PersonRow, *, by: User, reason: str, details: dict[str, object],
                    editable: tuple[str, ...], what: str, refused: Message) -> PersonRow:
    """Set ``details`` (only fields in ``editable``) on ``row``, a missing person or a donor, with
    a reason; the audit log keeps the values before and after. ``refused`` heads the problems."""
    problems = ProblemList()
    for name in sorted(set(details) - set(editable)):
        problems.add(msg("%(field)s cannot be changed here", field=name), field=name)
    if not (reason or "").strip():
        problems.add(msg("say why the details are corrected"), field="reason")
    if "sex" in details:
        check_sex(problems, details["sex"])
    problems.raise_if_any(refused)
    with write(session, actor=by, reason=f"{what} details corrected: {reason.strip()}"):
        changed = {k: v for k, v in details.items() if getattr(row, k) != v}
        for name, value in changed.items():
            setattr(row, name, value)
        if changed:
            session.add(row)
    return row
