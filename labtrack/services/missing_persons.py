"""Missing persons: registering a family's report, correcting its details, closing or reopening
the case."""

from __future__ import annotations

from sqlmodel import Session, select

from labtrack.core.errors import Conflict, InputProblem, NotFound, ProblemList, ValidationFailed
from labtrack.core.messages import msg, term, terms
from labtrack.models import Identification, MissingPerson, User
from labtrack.services.person_details import check_sex, correct_details
from labtrack.services.transaction import write


def get_missing_person(session: Session, person_id: int) -> MissingPerson:
    person = session.get(MissingPerson, person_id)
    if person is None:
        raise NotFound(msg("No missing person #%(id)s.", id=person_id))
    return person


def register_missing_person(*, session: Session, by: User, case_number: str, sex: str = "U",
                            **details: object) -> MissingPerson:
    case_number = case_number.strip()
    problems = ProblemList()
    if not case_number:
        problems.add(msg("a case number is required"), field="case_number")
    check_sex(problems, sex)
    problems.raise_if_any(msg("The missing person was not registered"))
    if session.exec(select(MissingPerson).where(MissingPerson.case_number == case_number)).first():
        raise Conflict(msg("Case number %(case)s is registered already.", case=case_number))
    with write(session, actor=by, reason=f"missing person {case_number} registered"):
        person = MissingPerson(case_number=case_number, sex=sex, **details)  # type: ignore[arg-type]
        session.add(person)
    return person


#: Details of a missing person that a coordinator may correct (not the case number or status).
EDITABLE_DETAILS: tuple[str, ...] = (
    "name_ar", "name_latin", "sex", "birth_date", "birth_year", "disappeared_on", "disappearance_place",
    "circumstances", "height_cm", "dental_notes", "distinguishing_marks", "contact_name", "contact_phone",
    "contact_relation",
)


def update_missing_person(*, session: Session, person_id: int, by: User, reason: str,
                          **details: object) -> MissingPerson:
    """Correct a missing person's details (a typo in a name, a new phone number).

    A reason is required; the audit log keeps the values before and after. Fields not given keep
    their value; the case number and the status are changed elsewhere (``set_case_status``).
    """
    person = get_missing_person(session, person_id)
    return correct_details(session, person, by=by, reason=reason, details=details, editable=EDITABLE_DETAILS,
                           what="missing person", refused=msg("The missing person was not changed"))


def has_approved_identification(session: Session, missing_person_id: int) -> bool:
    """True when an identification of this missing person was recorded (analysts may then see
    the identity)."""
    statement = select(Identification).where(Identification.missing_person_id == missing_person_id)
    return session.exec(statement).first() is not None


CASE_STATUS_CHANGES = {  # what a coordinator may set; identification statuses come from the review
    "missing": ("closed",),
    "provisionally_matched": ("closed",),
    "identified": ("closed",),
    "closed": ("missing",),
}


def set_case_status(*, session: Session, person_id: int, status: str, by: User, reason: str) -> MissingPerson:
    """Close a case (all remains returned, or the family asked to stop) or reopen a closed one.

    Closing releases the notifications the family asked to hear "once at the end"."""
    person = get_missing_person(session, person_id)
    allowed = CASE_STATUS_CHANGES.get(person.status, ())
    if status not in allowed:
        if not allowed:
            raise Conflict(msg("case %(case)s is %(status)s: its status cannot be changed here",
                               case=person.case_number, status=term(person.status)))
        raise Conflict(msg("case %(case)s is %(status)s: it can only become %(allowed)s", case=person.case_number,
                           status=term(person.status), allowed=terms(allowed)))
    if not reason.strip():
        raise ValidationFailed(msg("say why the case status changes"),
                               [InputProblem(message=msg("a reason is required"), field="reason")])
    if status == "missing" and has_approved_identification(session, person_id):
        status = "identified"
    with write(session, actor=by, reason=f"case {person.case_number}: {reason.strip()}"):
        person.status = status
        session.add(person)
    return person
