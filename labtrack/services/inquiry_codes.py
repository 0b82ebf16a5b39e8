"""Issuing, re-issuing and revoking families' inquiry codes (coordinators).

    issue(*, session, by, hasher, missing_person_id=None, donor_id=None, reason="")
        -> tuple[InquiryCode, core.InquiryCode]     # the stored row and the code to print, once
    revoke(*, session, code_id, by, reason) -> InquiryCode
    check_for_receipt(*, session, code_id, typed, hasher) -> core.InquiryCode
    record_receipt(*, session, code_id, by) -> None
    subject_of(session, code) -> Subject
    panel(session, *, missing_person_id=None, donor_id=None, accesses=50) -> CodePanel

Only the hash of a secret is stored; the code itself exists only in the answer to the request
that issued it (and on the printed receipt). Issuing a code for a case or donor that has one
replaces the old code (it stops working at once); revoking ends a code without a successor.
Both keep the row, with who ended it, when and why; the audit log has every change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from labtrack.core import inquiry_codes as core
from labtrack.core.errors import Conflict, InputProblem, NotFound, ValidationFailed, require_reason
from labtrack.core.messages import msg, term
from labtrack.models import Donor, InquiryAccess, InquiryChangeRequest, InquiryCode, MissingPerson, User, utcnow
from labtrack.services.audit import record_event
from labtrack.services.transaction import write

_MAX_REFERENCE_TRIES = 20


@dataclass(frozen=True)
class Subject:
    """Whom a code belongs to: a missing person's case or a donor."""

    kind: str  # "missing_person" or "donor"
    id: int
    label: str  # case number or donor code
    name_ar: str
    name_latin: str


def _subject(session: Session, missing_person_id: int | None, donor_id: int | None) -> Subject:
    if (missing_person_id is None) == (donor_id is None):
        raise ValidationFailed(msg("An inquiry code belongs to one case or to one donor."))
    if missing_person_id is not None:
        person = session.get(MissingPerson, missing_person_id)
        if person is None:
            raise NotFound(msg("No missing person #%(id)s.", id=missing_person_id))
        return Subject("missing_person", missing_person_id, person.case_number, person.name_ar, person.name_latin)
    donor = session.get(Donor, donor_id)
    if donor is None:
        raise NotFound(msg("No donor #%(id)s.", id=donor_id))
    return Subject("donor", donor_id or 0, donor.code, donor.name_ar, donor.name_latin)


def subject_of(session: Session, code: InquiryCode) -> Subject:
    return _subject(session, code.missing_person_id, code.donor_id)


def _subject_filter(subject: Subject) -> object:
    if subject.kind == "missing_person":
        return InquiryCode.missing_person_id == subject.id
    return InquiryCode.donor_id == subject.id


def active_code(session: Session, subject: Subject) -> InquiryCode | None:
    return session.exec(select(InquiryCode).where(_subject_filter(subject), InquiryCode.status == "active")).first()


def _fresh_reference(session: Session) -> core.InquiryCode:
    for _ in range(_MAX_REFERENCE_TRIES):  # 23^6 references: a collision is rare, but possible
        code = core.new_code()
        if session.exec(select(InquiryCode.id).where(InquiryCode.reference == code.reference)).first() is None:
            return code
    raise Conflict(msg("No free inquiry reference was found; try again."))


def issue(*, session: Session, by: User, hasher: core.SecretHasher, missing_person_id: int | None = None,
          donor_id: int | None = None, reason: str = "") -> tuple[InquiryCode, core.InquiryCode]:
    """A new code for a case or donor; an active code of theirs is replaced (a reason is then
    required). Returns the stored row and the code, which is shown and printed once."""
    subject = _subject(session, missing_person_id, donor_id)
    current = active_code(session, subject)
    if current is not None:
        reason = require_reason(reason, msg("issue a new inquiry code (the current one stops working)"))
    code = _fresh_reference(session)
    secret_hash = hasher.hash(code.reference, code.secret)
    why = f"inquiry code for {subject.label} " + (f"re-issued: {reason}" if current else "issued")
    with write(session, actor=by, reason=why):
        if current is not None:
            current.status, current.ended_at, current.ended_by_id = "replaced", utcnow(), by.id
            current.end_reason = reason
            session.add(current)
            session.flush()  # the old code stops being active before the new one starts
        row = InquiryCode(reference=code.reference, secret_hash=secret_hash, missing_person_id=missing_person_id,
                          donor_id=donor_id, issued_by_id=by.id or 0)
        session.add(row)
        session.flush()
        if current is not None:
            current.replaced_by_id = row.id
            session.add(current)
    return row, code


def get_code(session: Session, code_id: int) -> InquiryCode:
    row = session.get(InquiryCode, code_id)
    if row is None:
        raise NotFound(msg("No inquiry code #%(id)s.", id=code_id))
    return row


def revoke(*, session: Session, code_id: int, by: User, reason: str) -> InquiryCode:
    """End a code without a successor (a receipt was lost, the family asked to stop)."""
    reason = require_reason(reason, msg("revoke the inquiry code"))
    row = get_code(session, code_id)
    if row.status != "active":
        raise Conflict(msg("Inquiry code %(reference)s is %(status)s already.",
                           reference=core.format_reference(row.reference), status=term(row.status)))
    label = subject_of(session, row).label
    with write(session, actor=by, reason=f"inquiry code for {label} revoked: {reason}"):
        row.status, row.ended_at, row.ended_by_id, row.end_reason = "revoked", utcnow(), by.id, reason
        session.add(row)
    return row


def check_for_receipt(*, session: Session, code_id: int, typed: str, hasher: core.SecretHasher) -> core.InquiryCode:
    """The code to print on a receipt: it must be the active code ``code_id`` (so a receipt can
    only ever be printed for a code that works)."""
    row = get_code(session, code_id)
    try:
        code = core.read_code(typed)
    except core.MalformedCode as error:
        problem = InputProblem(
            message=msg("the code is not valid (%(problem)s)", problem=error.problem.replace("_", " ")), field="code")
        raise ValidationFailed(msg("The receipt was not printed"), [problem]) from error
    if row.status != "active" or code.reference != row.reference or not hasher.verify(
            code.reference, code.secret, row.secret_hash):
        raise Conflict(msg("The receipt was not printed: this is not the active code of the case. Issue a new code."))
    return code


def issuer_name(session: Session, code: InquiryCode) -> str:
    """The coordinator who issued the code: the family's contact person on receipt and page."""
    user = session.get(User, code.issued_by_id)
    return user.full_name if user is not None else ""


def record_receipt(*, session: Session, code_id: int, by: User) -> None:
    """Write to the audit log that a receipt of the code was printed (the PDF itself, which carries
    the secret, is neither stored nor hashed)."""
    row = get_code(session, code_id)
    with write(session, actor=by, reason=f"inquiry receipt printed for {subject_of(session, row).label}"):
        record_event(session, action="print_receipt", entity_type="inquiry_code", entity_id=str(code_id),
                     details={"reference": row.reference})


@dataclass(frozen=True)
class AccessLine:
    at: datetime
    outcome: str
    reference: str
    client: str


@dataclass(frozen=True)
class CodePanel:
    """What the coordinator sees on the case (or donor) page."""

    subject: Subject
    active: InquiryCode | None
    ended: list[InquiryCode]
    issued_by: dict[int, str]
    accepted: int
    failed_24h: int
    accesses: list[AccessLine]
    access_total: int
    pending: list[InquiryChangeRequest]


def panel(session: Session, *, missing_person_id: int | None = None, donor_id: int | None = None,
          accesses: int = 50) -> CodePanel:
    """The code's status, when it was used, the latest accesses and the family's pending changes
    (one query each; the access list is capped, its total counted)."""
    subject = _subject(session, missing_person_id, donor_id)
    codes = list(session.exec(select(InquiryCode).where(_subject_filter(subject))
                              .order_by(col(InquiryCode.id).desc())))
    ids = [c.id for c in codes]
    active = next((c for c in codes if c.status == "active"), None)
    users = {c.issued_by_id for c in codes} | {c.ended_by_id for c in codes if c.ended_by_id}
    names = {u.id or 0: u.full_name for u in session.exec(select(User).where(col(User.id).in_(users)))} if users else {}
    by_code = col(InquiryAccess.inquiry_code_id).in_(ids)
    counts = dict(session.exec(select(InquiryAccess.outcome, func.count()).where(by_code)
                               .group_by(InquiryAccess.outcome)).all()) if ids else {}
    since = utcnow() - timedelta(hours=24)
    failed_24h = session.exec(select(func.count()).select_from(InquiryAccess).where(
        by_code, col(InquiryAccess.outcome).in_(("wrong", "locked")), InquiryAccess.at >= since)).one() if ids else 0
    lines = [AccessLine(a.at, a.outcome, a.reference, a.client) for a in session.exec(
        select(InquiryAccess).where(by_code).order_by(col(InquiryAccess.id).desc()).limit(accesses))] if ids else []
    pending_filter = (InquiryChangeRequest.missing_person_id == subject.id if subject.kind == "missing_person"
                      else InquiryChangeRequest.donor_id == subject.id)
    pending = list(session.exec(select(InquiryChangeRequest).where(pending_filter,
                                                                   InquiryChangeRequest.status == "pending")
                                .order_by(col(InquiryChangeRequest.id))))
    return CodePanel(subject, active, [c for c in codes if c is not active], names, int(counts.get("accepted", 0)),
                     int(failed_24h), lines, int(sum(counts.values())), pending)
