"""Samples taken from remains, their lifecycle (``labtrack.core.lifecycle``) and its history."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from labtrack.core import ids, lifecycle
from labtrack.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from labtrack.core.messages import message_of, msg, terms
from labtrack.models import CustodyItem, Remains, Sample, SampleStateChange, User
from labtrack.services.custody_registration import add_first_event
from labtrack.services.transaction import write

REMAINS_SAMPLE_TYPES: tuple[str, ...] = ("femur", "tibia", "petrous", "tooth", "other_bone", "tissue")


def add_sample(session: Session, *, remains: Remains, sample_type: str, by: User,
                collected_on: date | None, notes: str, resampled_from: Sample | None) -> Sample:
    """Create a sample of ``remains`` with its custody item and first event, inside an open write."""
    number = remains.next_sample_number
    if number > ids.CAPACITY["sample"]:
        raise Conflict(msg("remains %(accession)s have %(count)s samples, as many as sample IDs can number",
                           accession=remains.accession, count=ids.CAPACITY["sample"]))
    remains.next_sample_number = number + 1
    sample = Sample(accession=ids.sample_id(remains.accession, number), remains_id=remains.id,
                    number=number, sample_type=sample_type, collected_on=collected_on,
                    notes=notes.strip(), resampled_from_id=resampled_from.id if resampled_from else None)
    session.add_all([remains, sample])
    session.flush()
    session.add(CustodyItem(accession=sample.accession, kind="sample", sample_id=sample.id))
    session.flush()
    add_first_event(session=session, accession=sample.accession, by=by, to_user=by)
    return sample


def take_sample(*, session: Session, remains_accession: str, sample_type: str, by: User,
                collected_on: date | None = None, notes: str = "") -> Sample:
    """Take a sample of remains: next sample number, a custody item, first custody event."""
    if sample_type not in REMAINS_SAMPLE_TYPES:
        raise ValidationFailed(msg("sample type must be one of %(types)s", types=terms(REMAINS_SAMPLE_TYPES)))
    from labtrack.services.intake import get_remains

    remains = get_remains(session, remains_accession)
    with write(session, actor=by, reason=f"sample taken from {remains.accession}"):
        sample = add_sample(session, remains=remains, sample_type=sample_type, by=by,
                             collected_on=collected_on or date.today(), notes=notes,
                             resampled_from=None)
    return sample


def get_sample(session: Session, accession: str) -> Sample:
    sample = session.exec(select(Sample).where(Sample.accession == ids.normalise(accession))).first()
    if sample is None:
        raise NotFound(msg("no sample with ID %(accession)s", accession=repr(accession)))
    return sample


def transition(*, session: Session, accession: str, to_state: str, by: User, reason: str = "") -> Sample:
    """Move a sample along its lifecycle; refused transitions name the allowed ones."""
    sample = get_sample(session, accession)
    try:
        lifecycle.guard_transition(sample.state, to_state, reason=reason)
    except lifecycle.TransitionRefused as refused:
        raise InvalidTransition(msg("%(accession)s: %(problem)s", accession=sample.accession,
                                    problem=message_of(refused))) from refused
    with write(session, actor=by, reason=reason or f"sample {to_state}"):
        change = SampleStateChange(sample_id=sample.id or 0, from_state=sample.state, to_state=to_state,
                                   reason=reason.strip(), by_user_id=by.id or 0)
        sample.state = to_state
        if to_state == "failed":
            sample.failure_reason = reason.strip()
        session.add_all([sample, change])
    return sample


def resample(*, session: Session, accession: str, by: User, sample_type: str | None = None,
             notes: str = "") -> Sample:
    """A failed sample is re-sampled: a new sample of the same remains, linked to the failed one."""
    failed = get_sample(session, accession)
    try:
        lifecycle.guard_resample(failed.state)
    except lifecycle.TransitionRefused as refused:
        raise InvalidTransition(msg("%(accession)s: %(problem)s", accession=failed.accession,
                                    problem=message_of(refused))) from refused
    if failed.remains_id is None:
        raise InvalidTransition(msg("%(accession)s is a reference sample: ask the donor for a new kit",
                                    accession=failed.accession))
    remains = session.get(Remains, failed.remains_id)
    assert remains is not None
    kind = sample_type or failed.sample_type
    if kind not in REMAINS_SAMPLE_TYPES:
        raise ValidationFailed(msg("sample type must be one of %(types)s", types=terms(REMAINS_SAMPLE_TYPES)))
    with write(session, actor=by, reason=f"re-sampling of {failed.accession}"):
        sample = add_sample(session, remains=remains, sample_type=kind, by=by,
                             collected_on=date.today(), notes=notes, resampled_from=failed)
    return sample


def history(session: Session, sample: Sample) -> list[SampleStateChange]:
    return list(session.exec(select(SampleStateChange).where(SampleStateChange.sample_id == sample.id)
                             .order_by(SampleStateChange.id)))  # type: ignore[arg-type]


def samples_of_remains(session: Session, remains: Remains) -> list[Sample]:
    return list(session.exec(select(Sample).where(Sample.remains_id == remains.id).order_by(Sample.number)))


def list_samples(session: Session, *, state: str | None = None, limit: int = 500) -> list[Sample]:
    statement = select(Sample).where(Sample.remains_id != None)  # noqa: E711
    if state:
        statement = statement.where(Sample.state == state)
    return list(session.exec(statement.order_by(Sample.accession).limit(limit)))
