"""Donors (relatives who give a reference sample): registering them with their first reference
sample (a new kit number, ``REF-nnnnn-A``) and its custody item, further samples of the same kit,
and corrections of their details."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from labtrack.core import ids
from labtrack.core.errors import Conflict, NotFound, ProblemList
from labtrack.core.messages import message_of, msg
from labtrack.models import CustodyItem, Donor, Sample, User
from labtrack.services import counters
from labtrack.services.custody_registration import add_first_event
from labtrack.services.person_details import check_sex, correct_details
from labtrack.services.transaction import write


def get_donor(session: Session, donor_id: int) -> Donor:
    donor = session.get(Donor, donor_id)
    if donor is None:
        raise NotFound(msg("No donor #%(id)s.", id=donor_id))
    return donor


def reference_samples(session: Session, donor_id: int) -> list[Sample]:
    return list(session.exec(select(Sample).where(Sample.donor_id == donor_id).order_by(Sample.id)))  # type: ignore[arg-type]


def register_donor(*, session: Session, by: User, code: str, sex: str = "U", name_ar: str = "",
                   name_latin: str = "", birth_year: int | None = None, phone: str = "",
                   address: str = "", sample_type: str = "buccal_swab",
                   collected_on: date | None = None) -> tuple[Donor, Sample]:
    """A donor with their first reference sample (``REF-nnnnn-A``) and its custody item."""
    code = code.strip()
    problems = ProblemList()
    if not code:
        problems.add(msg("a donor code is required"), field="code")
    check_sex(problems, sex)
    problems.raise_if_any(msg("The donor was not registered"))
    if session.exec(select(Donor).where(Donor.code == code)).first():
        raise Conflict(msg("Donor %(code)s is registered already.", code=code))
    with write(session, actor=by, reason=f"donor {code} registered"):
        donor = Donor(code=code, sex=sex, name_ar=name_ar, name_latin=name_latin,
                      birth_year=birth_year, phone=phone, address=address)
        session.add(donor)
        session.flush()
        sample = _new_reference_sample(session, donor, sample_type, collected_on, by)
    return donor, sample


def _next_reference_accession(session: Session) -> str:
    """``REF-<next kit number>-A-…`` (skipping a number some import took already)."""
    while True:
        try:
            accession = ids.reference_id(counters.next_reference_number(session), "A")
        except ids.CapacityExceeded as error:
            raise Conflict(msg("no reference kit numbers are left: %(problem)s", problem=message_of(error))) from error
        if session.exec(select(Sample.id).where(Sample.accession == accession)).first() is None:
            return accession


def _new_reference_sample(session: Session, donor: Donor, sample_type: str,
                          collected_on: date | None, by: User, accession: str | None = None) -> Sample:
    """A reference sample with its custody item and first custody event (collected by ``by``)."""
    accession = accession or _next_reference_accession(session)
    sample = Sample(accession=accession, donor_id=donor.id, sample_type=sample_type,
                    collected_on=collected_on)
    session.add(sample)
    session.flush()
    session.add(CustodyItem(accession=accession, kind="sample", sample_id=sample.id))
    session.flush()
    add_first_event(session=session, accession=accession, by=by, to_user=by,
                    to_party="reference sample collection")
    return sample


REFERENCE_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def add_reference_sample(*, session: Session, donor_id: int, by: User, sample_type: str = "buccal_swab",
                         collected_on: date | None = None) -> Sample:
    """A further reference sample of a donor: same kit number, next letter (``REF-00007-B``)."""
    donor = get_donor(session, donor_id)
    existing = reference_samples(session, donor_id)
    if not existing:
        with write(session, actor=by, reason=f"reference sample of donor {donor.code}"):
            return _new_reference_sample(session, donor, sample_type, collected_on, by)
    number = ids.reference_number(existing[0].accession)
    if len(existing) >= len(REFERENCE_LETTERS):
        raise Conflict(msg("donor %(code)s has %(count)s reference samples already", code=donor.code,
                           count=len(existing)))
    accession = ids.reference_id(number, REFERENCE_LETTERS[len(existing)])
    with write(session, actor=by, reason=f"reference sample {accession} of donor {donor.code}"):
        return _new_reference_sample(session, donor, sample_type, collected_on, by, accession)


#: Details of a donor that a coordinator may correct (not the donor code).
EDITABLE_DONOR_DETAILS: tuple[str, ...] = ("name_ar", "name_latin", "sex", "birth_year", "phone", "address")


def update_donor(*, session: Session, donor_id: int, by: User, reason: str, **details: object) -> Donor:
    """Correct a donor's details; same rules as ``update_missing_person`` (the code stays)."""
    donor = get_donor(session, donor_id)
    return correct_details(session, donor, by=by, reason=reason, details=details,
                           editable=EDITABLE_DONOR_DETAILS, what="donor", refused=msg("The donor was not changed"))
