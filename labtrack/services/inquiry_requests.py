"""Changes a family asks for on its inquiry page, confirmed (or not) by a coordinator.

    submit(*, session, code, changes) -> list[InquiryChangeRequest]      # the family
    confirm(*, session, request_id, by) -> InquiryChangeRequest           # a coordinator
    reject(*, session, request_id, by, reason) -> InquiryChangeRequest
    pending(session, *, page=1, per_page=50) -> PendingPage

A family's request changes nothing by itself: it waits as ``pending`` until a coordinator
confirms it, and only then goes through the usual service (``missing_persons.update_missing_person``,
``donors.update_donor``, ``notifications.set_preferences``), with "family request #n
confirmed" as the reason, in the same transaction as the request's new status. A newer request
for the same detail supersedes an older pending one, so a code has at most one pending request
per detail. What the family typed is not compared with what is on record (the page must not
become a way to test someone's phone number).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from labtrack.core.contact_details import InvalidDetail, clean_text, normalise_phone
from labtrack.core.errors import Conflict, NotFound, ProblemList, require_reason
from labtrack.core.messages import msg, term
from labtrack.models import Donor, InquiryChangeRequest, InquiryCode, MissingPerson, User, utcnow
from labtrack.models.families import NOTIFY_PREFERENCES
from labtrack.models.inquiry import CHANGE_DETAILS
from labtrack.services import donors, missing_persons, notifications
from labtrack.services.inquiry_access import FAMILY_ACTOR
from labtrack.services.transaction import write

MAX_LENGTHS = {"contact_name": 200, "contact_phone": 50, "phone": 50, "address": 500}


def kind_of(code: InquiryCode) -> str:
    return "missing_person" if code.missing_person_id is not None else "donor"


def normalise(detail: str, value: str) -> str:
    """The value as it will be stored; ``InvalidDetail`` when it cannot be."""
    if detail in ("contact_phone", "phone"):
        return normalise_phone(value)
    if detail == "notify_preference":
        if value not in NOTIFY_PREFERENCES:
            raise InvalidDetail("choice")
        return value
    return clean_text(value, MAX_LENGTHS[detail], multiline=detail == "address")


def submit(*, session: Session, code: InquiryCode, changes: dict[str, str]) -> list[InquiryChangeRequest]:
    """Record the family's requested changes (empty values mean "no change")."""
    if code.status != "active":
        raise Conflict(msg("This inquiry code no longer works."))
    allowed = CHANGE_DETAILS[kind_of(code)]
    problems = ProblemList()
    values: dict[str, str] = {}
    for detail, raw in changes.items():
        if detail not in allowed:
            problems.add(msg("%(field)s cannot be changed with this code", field=detail), field=detail)
            continue
        if not (raw or "").strip():
            continue  # left empty: no change
        try:
            value = normalise(detail, raw)
        except InvalidDetail as error:
            problems.add(msg("not accepted (%(problem)s)", problem=error.problem), field=detail)
            continue
        if value:
            values[detail] = value
    problems.raise_if_any(msg("The change was not sent"))
    created = []
    with write(session, actor=FAMILY_ACTOR, reason=f"family asked for changes ({', '.join(values)})"):
        for detail, value in values.items():
            for older in session.exec(select(InquiryChangeRequest).where(
                    InquiryChangeRequest.inquiry_code_id == code.id, InquiryChangeRequest.detail == detail,
                    InquiryChangeRequest.status == "pending")):
                older.status, older.decided_at = "superseded", utcnow()
                session.add(older)
            row = InquiryChangeRequest(inquiry_code_id=code.id or 0, missing_person_id=code.missing_person_id,
                                       donor_id=code.donor_id, detail=detail, new_value=value)
            session.add(row)
            created.append(row)
    return created


def _pending_request(session: Session, request_id: int) -> InquiryChangeRequest:
    row = session.get(InquiryChangeRequest, request_id)
    if row is None:
        raise NotFound(msg("No family request #%(id)s.", id=request_id))
    if row.status != "pending":
        raise Conflict(msg("Family request #%(id)s is %(status)s already.", id=request_id, status=term(row.status)))
    return row


def _apply(session: Session, row: InquiryChangeRequest, by: User) -> None:
    reason = f"family request #{row.id} confirmed"
    if row.missing_person_id is not None:
        if row.detail == "notify_preference":
            person = missing_persons.get_missing_person(session, row.missing_person_id)
            notifications.set_preferences(session=session, missing_person_id=row.missing_person_id, by=by,
                                          notify_preference=row.new_value,
                                          wait_for_more_parts=person.wait_for_more_parts)
        else:
            missing_persons.update_missing_person(session=session, person_id=row.missing_person_id, by=by,
                                                  reason=reason, **{row.detail: row.new_value})
    elif row.donor_id is not None:
        donors.update_donor(session=session, donor_id=row.donor_id, by=by, reason=reason,
                            **{row.detail: row.new_value})


def confirm(*, session: Session, request_id: int, by: User) -> InquiryChangeRequest:
    """Apply the family's change and mark the request confirmed (one transaction)."""
    row = _pending_request(session, request_id)
    with write(session, actor=by, reason=f"family request #{request_id} confirmed"):
        row.status, row.decided_at, row.decided_by_id = "confirmed", utcnow(), by.id
        session.add(row)
        _apply(session, row, by)
    return row


def reject(*, session: Session, request_id: int, by: User, reason: str) -> InquiryChangeRequest:
    """Decline the family's change (e.g. the coordinator called and it was a mistake)."""
    reason = require_reason(reason, msg("decline the family's request"))
    row = _pending_request(session, request_id)
    with write(session, actor=by, reason=f"family request #{request_id} declined: {reason}"):
        row.status, row.decided_at, row.decided_by_id, row.decision_note = "rejected", utcnow(), by.id, reason
        session.add(row)
    return row


@dataclass(frozen=True)
class PendingLine:
    request: InquiryChangeRequest
    label: str  # case number or donor code
    link: tuple[str, int]  # ("missing_person" | "donor", id)


@dataclass(frozen=True)
class PendingPage:
    lines: list[PendingLine]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def pending(session: Session, *, page: int = 1, per_page: int = 50) -> PendingPage:
    """Every pending family request, oldest first, one page at a time."""
    page = max(1, page)
    where = InquiryChangeRequest.status == "pending"
    total = int(session.exec(select(func.count()).select_from(InquiryChangeRequest).where(where)).one())
    rows = list(session.exec(select(InquiryChangeRequest).where(where)
                             .order_by(col(InquiryChangeRequest.submitted_at), col(InquiryChangeRequest.id))
                             .offset((page - 1) * per_page).limit(per_page)))
    person_ids = {r.missing_person_id for r in rows if r.missing_person_id}
    donor_ids = {r.donor_id for r in rows if r.donor_id}
    cases = dict(session.exec(select(MissingPerson.id, MissingPerson.case_number)
                              .where(col(MissingPerson.id).in_(person_ids))).all()) if person_ids else {}
    donors = dict(session.exec(select(Donor.id, Donor.code).where(col(Donor.id).in_(donor_ids))).all()) \
        if donor_ids else {}
    lines = [PendingLine(r, cases.get(r.missing_person_id, ""), ("missing_person", r.missing_person_id))
             if r.missing_person_id else PendingLine(r, donors.get(r.donor_id, ""), ("donor", r.donor_id or 0))
             for r in rows]
    return PendingPage(lines, total, page, per_page)
