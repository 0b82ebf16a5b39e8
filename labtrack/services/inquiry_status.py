"""What a family's inquiry page shows: milestones of their own case, in plain words, and nothing else.

    family_view(session, code) -> FamilyView

A read model of counts and yes/no facts, built from a handful of indexed queries. It holds no
names, no genotypes, no remains or site details, nothing of any other case: only the case
number the family has on its receipt, when the report was registered, how many reference
samples were received and typed, whether the search has started, and whether the family
should contact its coordinator (a result exists, or the case is closed). The result itself is
given in person, never here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from labtrack.models import (
    ConsentRecord,
    Donor,
    Identification,
    InquiryChangeRequest,
    InquiryCode,
    MissingPerson,
    PedigreeMember,
    Profile,
    Sample,
    User,
)
from labtrack.services import notifications


@dataclass(frozen=True)
class SampleCounts:
    received: int  # reference samples registered (given by the family)
    typed: int  # of which a DNA profile was obtained


@dataclass(frozen=True)
class CaseMilestones:
    case_number: str
    registered_on: date
    references: SampleCounts
    searching: bool  # a typed, searchable reference profile with consent takes part in searches
    contact_coordinator: bool  # a result exists: the coordinator gives it in person
    closed: bool


@dataclass(frozen=True)
class PendingChange:
    detail: str
    new_value: str
    submitted_on: date


@dataclass(frozen=True)
class FamilyView:
    kind: str  # "missing_person" or "donor"
    own_samples: SampleCounts | None  # a donor's own reference samples
    cases: list[CaseMilestones]
    coordinator: str
    pending: list[PendingChange]


def _consenting(session: Session, donor_ids: list[int]) -> set[int]:
    """Donors among ``donor_ids`` with a consent grant that was not withdrawn."""
    if not donor_ids:
        return set()
    rows = session.exec(select(ConsentRecord.id, ConsentRecord.donor_id, ConsentRecord.kind,
                               ConsentRecord.withdraws_id).where(col(ConsentRecord.donor_id).in_(donor_ids))).all()
    withdrawn = {withdraws for _, _, kind, withdraws in rows if kind == "withdrawal"}
    return {donor for record_id, donor, kind, _ in rows if kind == "grant" and record_id not in withdrawn}


def _samples(session: Session, *, donor_ids: list[int], person_id: int | None = None) -> list[Sample]:
    condition = col(Sample.donor_id).in_(donor_ids)
    if person_id is not None:
        condition = condition | (Sample.missing_person_id == person_id)
    return list(session.exec(select(Sample).where(condition)))


def _typed(session: Session, sample_ids: list[int]) -> tuple[set[int], set[int]]:
    """Sample ids with a current profile, and those whose profile may enter searches."""
    if not sample_ids:
        return set(), set()
    rows = session.exec(select(Profile.sample_id, Profile.searchable).where(
        col(Profile.sample_id).in_(sample_ids), Profile.superseded == False)).all()  # noqa: E712
    return {sample for sample, _ in rows if sample}, {sample for sample, ok in rows if sample and ok}


def _family_donors(session: Session, person_id: int) -> list[int]:
    families = select(PedigreeMember.family_id).where(PedigreeMember.missing_person_id == person_id)
    rows = session.exec(select(PedigreeMember.donor_id).where(
        col(PedigreeMember.family_id).in_(families), col(PedigreeMember.donor_id).is_not(None)).distinct())
    return sorted({donor for donor in rows if donor})


def _has_result(session: Session, person_id: int) -> bool:
    retracted = select(Identification.retracts_id).where(col(Identification.retracts_id).is_not(None))
    active = session.exec(select(func.count()).select_from(Identification).where(
        Identification.missing_person_id == person_id, Identification.retraction == False,  # noqa: E712
        col(Identification.id).not_in(retracted))).one()
    return bool(active) or bool(notifications.retractions_to_tell(session, person_id))


def case_milestones(session: Session, person: MissingPerson) -> CaseMilestones:
    donors = _family_donors(session, person.id or 0)
    samples = _samples(session, donor_ids=donors, person_id=person.id)
    typed, searchable = _typed(session, [s.id for s in samples if s.id])
    consenting = _consenting(session, donors)
    searching = any(s.id in searchable and (s.donor_id is None or s.donor_id in consenting) for s in samples)
    return CaseMilestones(
        case_number=person.case_number, registered_on=person.created_at.date(),
        references=SampleCounts(len(samples), len(typed)), searching=searching,
        contact_coordinator=_has_result(session, person.id or 0), closed=person.status == "closed")


def _cases_of_donor(session: Session, donor_id: int) -> list[MissingPerson]:
    families = select(PedigreeMember.family_id).where(PedigreeMember.donor_id == donor_id)
    people = select(PedigreeMember.missing_person_id).where(
        col(PedigreeMember.family_id).in_(families), col(PedigreeMember.missing_person_id).is_not(None))
    return list(session.exec(select(MissingPerson).where(col(MissingPerson.id).in_(people))
                             .order_by(MissingPerson.case_number)))


def _pending(session: Session, code: InquiryCode) -> list[PendingChange]:
    rows = session.exec(select(InquiryChangeRequest).where(
        InquiryChangeRequest.inquiry_code_id == code.id, InquiryChangeRequest.status == "pending")
        .order_by(col(InquiryChangeRequest.id)))
    return [PendingChange(r.detail, r.new_value, r.submitted_at.date()) for r in rows]


def family_view(session: Session, code: InquiryCode) -> FamilyView:
    """The page of the family holding ``code`` (an active code: see ``inquiry_access.open_code``)."""
    coordinator = session.get(User, code.issued_by_id)
    name = coordinator.full_name if coordinator is not None else ""
    if code.missing_person_id is not None:
        person = session.get(MissingPerson, code.missing_person_id)
        cases = [case_milestones(session, person)] if person is not None else []
        return FamilyView("missing_person", None, cases, name, _pending(session, code))
    donor = session.get(Donor, code.donor_id)
    own = None
    cases = []
    if donor is not None and donor.id is not None:
        samples = _samples(session, donor_ids=[donor.id])
        typed, _ = _typed(session, [s.id for s in samples if s.id])
        own = SampleCounts(len(samples), len(typed))
        cases = [case_milestones(session, person) for person in _cases_of_donor(session, donor.id)]
    return FamilyView("donor", own, cases, name, _pending(session, code))
