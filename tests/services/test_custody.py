"""Custody events: every refusal has a specific message; nothing is recorded half-way."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from labtrack.core.errors import Conflict, NotFound, ValidationFailed
from labtrack.models import CustodyEvent
from labtrack.services import custody_corrections, custody_state, custody_station, custody_transfers
from labtrack.services.custody_transfers import EventRequest
from tests import factories


@pytest.fixture
def setup(db: Session, users: dict):
    tech = users["technician"].user
    factories.make_site(db, tech)
    remains = factories.make_remains(db, tech)
    box1 = factories.make_box(db, tech, 1)
    box2 = factories.make_box(db, tech, 2)
    return tech, remains, box1, box2


def _count(db: Session) -> int:
    return len(db.exec(select(CustodyEvent)).all())


def test_register_then_receive_store_handover(db: Session, users: dict, setup) -> None:
    tech, remains, box1, _ = setup
    assert custody_state.state_of(db, custody_state.get_item(db, remains.accession)).last_event.action == "register"
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="receive", by=tech)
    event = custody_transfers.record_event(session=db, item_accession=remains.accession, action="store", by=tech,
                                           to_location=box1.accession)
    state = custody_state.state_of(db, custody_state.get_item(db, remains.accession))
    assert state.location.id == box1.id and state.last_event.id == event.id
    analyst = users["analyst"].user
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="handover", by=tech,
                                   to_user=analyst)
    state = custody_state.state_of(db, custody_state.get_item(db, remains.accession))
    assert state.holder.id == analyst.id and state.location is None
    chain = custody_state.events_of(db, state.item)
    assert [e.previous_event_id for e in chain] == [None] + [e.id for e in chain[:-1]]


def test_mistyped_id_is_refused_before_lookup(db: Session, setup) -> None:
    tech, remains, *_ = setup
    wrong = remains.accession[:-1] + ("A" if remains.accession[-1] != "A" else "B")
    with pytest.raises(ValidationFailed, match="mistyped or misread"):
        custody_transfers.record_event(session=db, item_accession=wrong, action="receive", by=tech)


def test_unknown_item(db: Session, setup) -> None:
    tech, *_ = setup
    from labtrack.core import ids

    with pytest.raises(ValidationFailed, match="no such item"):
        custody_transfers.record_event(session=db, item_accession=ids.remains_id("QTF", 99), action="receive", by=tech)


def test_item_at_wrong_place_is_refused(db: Session, setup) -> None:
    tech, remains, box1, box2 = setup
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="store", by=tech,
                                   to_location=box1.accession)
    before = _count(db)
    with pytest.raises(Conflict, match=f"is not at {box2.accession}"):
        custody_transfers.record_event(session=db, item_accession=remains.accession, action="store", by=tech,
                                       to_location=box1.accession, from_location=box2.accession)
    with pytest.raises(Conflict, match="already at"):
        custody_transfers.record_event(session=db, item_accession=remains.accession, action="store", by=tech,
                                       to_location=box1.accession)
    with pytest.raises(Conflict, match="already in the lab"):
        custody_transfers.record_event(session=db, item_accession=remains.accession, action="receive", by=tech)
    assert _count(db) == before


def test_batch_is_all_or_nothing_and_refuses_double_scan(db: Session, setup) -> None:
    tech, remains, box1, _ = setup
    second = factories.make_remains(db, tech)
    before = _count(db)
    requests = [EventRequest(item_accession=remains.accession, action="store", to_location=box1.accession),
                EventRequest(item_accession=second.accession, action="store", to_location=box1.accession),
                EventRequest(item_accession=remains.accession, action="store", to_location=box1.accession)]
    with pytest.raises(ValidationFailed) as refused:
        custody_transfers.record_batch(session=db, requests=requests, by=tech)
    assert "twice in this batch" in refused.value.problems[0].message
    assert refused.value.problems[0].row == 3
    assert _count(db) == before
    result = custody_transfers.record_batch(session=db, requests=requests[:2], by=tech)
    assert len(result.events) == 2 and {e.batch_ref for e in result.events} == {result.batch_ref}


def test_shipping_needs_seal_and_blocks_until_received(db: Session, setup) -> None:
    tech, remains, box1, _ = setup
    with pytest.raises(Conflict, match="seal number"):
        custody_transfers.record_event(session=db, item_accession=remains.accession, action="ship", by=tech,
                                       to_party="Partner lab")
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="ship", by=tech,
                                   to_party="Partner lab", seal_number="S-1001")
    with pytest.raises(Conflict, match="in transit"):
        custody_transfers.record_event(session=db, item_accession=remains.accession, action="store", by=tech,
                                       to_location=box1.accession)
    event = custody_transfers.record_event(session=db, item_accession=remains.accession, action="receive", by=tech,
                                           seal_intact=True)
    assert event.seal_intact is True and event.to_user_id == tech.id


def test_event_key_makes_retries_idempotent(db: Session, setup) -> None:
    tech, remains, box1, _ = setup
    first = custody_transfers.record_batch(session=db, by=tech, requests=[EventRequest(
        item_accession=remains.accession, action="store", to_location=box1.accession, event_key="k-1")])
    again = custody_transfers.record_batch(session=db, by=tech, requests=[EventRequest(
        item_accession=remains.accession, action="store", to_location=box1.accession, event_key="k-1")])
    assert again.all_replayed and again.events[0].id == first.events[0].id
    assert len(db.exec(select(CustodyEvent).where(CustodyEvent.event_key == "k-1")).all()) == 1


def test_stale_scan_is_a_conflict(db: Session, users: dict, setup) -> None:
    tech, remains, box1, _ = setup
    item = custody_state.get_item(db, remains.accession)
    seen = custody_state.state_of(db, item).last_event.id
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="handover", by=tech,
                                   to_user=users["analyst"].user)
    with pytest.raises(Conflict, match="moved by another station"):
        custody_transfers.record_event(session=db, item_accession=remains.accession, action="store", by=tech,
                                       to_location=box1.accession, expected_previous_event_id=seen)


def test_correction_references_the_wrong_event(db: Session, setup) -> None:
    tech, remains, box1, box2 = setup
    wrong = custody_transfers.record_event(session=db, item_accession=remains.accession, action="store", by=tech,
                                           to_location=box1.accession)
    with pytest.raises(ValidationFailed, match="where the item really is"):
        custody_corrections.correct_event(session=db, event_id=wrong.id, by=tech, reason="wrong box")
    with pytest.raises(Conflict, match="needs a reason"):
        custody_corrections.correct_event(session=db, event_id=wrong.id, by=tech, reason="", to_location=box2.accession)
    fix = custody_corrections.correct_event(session=db, event_id=wrong.id, by=tech, reason="was put in box 2",
                                            to_location=box2.accession)
    assert fix.action == "correction" and fix.corrects_event_id == wrong.id
    state = custody_state.state_of(db, custody_state.get_item(db, remains.accession))
    assert state.location.id == box2.id
    with pytest.raises(NotFound):
        custody_corrections.correct_event(session=db, event_id=9999, by=tech, reason="x", to_location=box2.accession)


def test_events_cannot_be_edited(db: Session, setup) -> None:
    tech, remains, *_ = setup
    from labtrack.services.transaction import write

    event = custody_state.events_of(db, custody_state.get_item(db, remains.accession))[0]
    with pytest.raises(Conflict, match="append-only"):
        with write(db, actor=tech, reason="tamper"):
            event.to_party = "someone else"
            db.add(event)


def test_release_is_final(db: Session, setup) -> None:
    tech, remains, *_ = setup
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="release", by=tech,
                                   to_party="Family of MP-2025-0001")
    with pytest.raises(Conflict, match="released to Family"):
        custody_transfers.record_event(session=db, item_accession=remains.accession, action="receive", by=tech)


def test_register_twice_and_unknown_action(db: Session, setup) -> None:
    tech, remains, *_ = setup
    with pytest.raises(Conflict, match="registered already"):
        custody_transfers.record_event(session=db, item_accession=remains.accession, action="register", by=tech)
    with pytest.raises(ValidationFailed) as refused:
        custody_transfers.record_event(session=db, item_accession=remains.accession, action="teleport", by=tech)
    assert "unknown action" in refused.value.problems[0].message


def test_validate_scan_answers(db: Session, users: dict, setup) -> None:
    tech, remains, box1, _ = setup
    answer = custody_station.validate_scan(session=db, raw=remains.accession.lower(), action="receive", batch=[])
    assert answer.ok and answer.kind == "item" and answer.expected_previous_event_id
    assert not custody_station.validate_scan(session=db, raw=remains.accession, action="receive",
                                             batch=[remains.accession]).ok
    mistyped = custody_station.validate_scan(session=db, raw=remains.accession[:-2] + "00", action="receive", batch=[])
    assert not mistyped.ok and "mistyped" in mistyped.message
    badge = custody_station.validate_scan(session=db, raw=users["analyst"].user.badge or "", action="handover",
                                          batch=[])
    assert badge.kind in ("badge", "error")
    target = custody_station.validate_scan(session=db, raw=box1.accession, action="store", batch=[])
    assert target.ok and target.kind == "location-target"


def test_samples_follow_their_custody(db: Session, setup) -> None:
    """Shipping a sealed sample puts it in transit and receiving it makes it received (in the same
    transaction, with a state change naming the custody event); other states are left alone."""
    from labtrack.models import Sample, SampleStateChange
    from labtrack.services import samples

    tech, remains, box1, _ = setup
    sealed = samples.take_sample(session=db, remains_accession=remains.accession, sample_type="femur", by=tech)
    samples.transition(session=db, accession=sealed.accession, to_state="sealed", by=tech)
    loose = samples.take_sample(session=db, remains_accession=remains.accession, sample_type="tooth", by=tech)
    with pytest.raises(Conflict):  # the batch fails as a whole (no seal number): no state moves either
        custody_transfers.record_batch(session=db, by=tech, requests=[
            EventRequest(sealed.accession, "ship", to_party="Partner lab", seal_number="S-7"),
            EventRequest(loose.accession, "ship", to_party="Partner lab")])
    db.expire_all()
    assert db.get(Sample, sealed.id).state == "sealed"
    shipped = custody_transfers.record_batch(session=db, by=tech, requests=[
        EventRequest(sealed.accession, "ship", to_party="Partner lab", seal_number="S-7"),
        EventRequest(loose.accession, "ship", to_party="Partner lab", seal_number="S-7")]).events
    db.expire_all()
    assert (db.get(Sample, sealed.id).state, db.get(Sample, loose.id).state) == ("in_transit", "collected")
    change = db.exec(select(SampleStateChange).where(SampleStateChange.sample_id == sealed.id)
                     .order_by(SampleStateChange.id.desc())).first()
    assert (change.from_state, change.to_state) == ("sealed", "in_transit")
    assert change.reason == f"custody event {shipped[0].id}: ship" and change.by_user_id == tech.id
    custody_transfers.record_event(session=db, item_accession=sealed.accession, action="receive", by=tech,
                                   seal_intact=True)
    custody_transfers.record_event(session=db, item_accession=loose.accession, action="receive", by=tech,
                                   seal_intact=True)
    db.expire_all()
    assert (db.get(Sample, sealed.id).state, db.get(Sample, loose.id).state) == ("received", "collected")
    custody_transfers.record_event(session=db, item_accession=sealed.accession, action="store", by=tech,
                                   to_location=box1.accession)
    db.expire_all()
    assert db.get(Sample, sealed.id).state == "received"
