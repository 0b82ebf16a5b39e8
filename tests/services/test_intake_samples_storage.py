"""Sites, remains, samples (lifecycle, re-sampling) and storage locations."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from labtrack.core import ids
from labtrack.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from labtrack.models import CustodyEvent, CustodyItem, SampleStateChange
from labtrack.services import custody_state, custody_transfers, intake, samples, storage
from tests import factories


@pytest.fixture
def tech(users: dict):
    return users["technician"].user


def test_site_validation_lists_every_problem(db: Session, tech) -> None:
    with pytest.raises(ValidationFailed) as refused:
        intake.create_site(session=db, by=tech, data=intake.SiteInput(code="Q1", name_en="", latitude=95,
                                                                      status="gone"))
    assert {p.field for p in refused.value.problems} == {"code", "name_en", "latitude", "status"}
    factories.make_site(db, tech, "QTF")
    with pytest.raises(Conflict, match="exists already"):
        factories.make_site(db, tech, "QTF")


def test_remains_get_the_next_accession_of_their_site(db: Session, tech) -> None:
    factories.make_site(db, tech, "QTF")
    factories.make_site(db, tech, "NJH")
    first = factories.make_remains(db, tech, "QTF")
    other = factories.make_remains(db, tech, "NJH")
    second = factories.make_remains(db, tech, "QTF")
    assert (first.accession, second.accession, other.accession) == (
        ids.remains_id("QTF", 1), ids.remains_id("QTF", 2), ids.remains_id("NJH", 1))
    item = db.exec(select(CustodyItem).where(CustodyItem.accession == first.accession)).one()
    event = db.exec(select(CustodyEvent).where(CustodyEvent.item_id == item.id)).one()
    assert event.action == "register" and event.to_party == "Field team 1"


def test_remains_validation(db: Session, tech) -> None:
    factories.make_site(db, tech)
    with pytest.raises(ValidationFailed) as refused:
        intake.register_remains(session=db, site_code="QTF", by=tech, data=intake.RemainsInput(
            remains_type="ghost", est_sex="X", est_age_min=40, est_age_max=30, depth_m=-1, est_stature_cm=20))
    assert {p.field for p in refused.value.problems} == {"remains_type", "est_sex", "est_age_min", "depth_m",
                                                         "est_stature_cm"}
    with pytest.raises(NotFound):
        intake.register_remains(session=db, site_code="ZZZ", by=tech,
                                data=intake.RemainsInput(remains_type="partial"))


def test_sample_lifecycle_and_refused_transition_names_allowed_ones(db: Session, tech) -> None:
    factories.make_site(db, tech)
    remains = factories.make_remains(db, tech)
    sample = samples.take_sample(session=db, remains_accession=remains.accession, sample_type="femur", by=tech)
    assert sample.accession == ids.sample_id(remains.accession, 1) and sample.state == "collected"
    with pytest.raises(InvalidTransition, match="allowed: sealed, failed, consumed"):
        samples.transition(session=db, accession=sample.accession, to_state="profiled", by=tech)
    samples.transition(session=db, accession=sample.accession, to_state="sealed", by=tech)
    with pytest.raises(InvalidTransition, match="needs a reason"):
        samples.transition(session=db, accession=sample.accession, to_state="failed", by=tech)
    samples.transition(session=db, accession=sample.accession, to_state="failed", reason="no DNA", by=tech)
    changes = db.exec(select(SampleStateChange).where(SampleStateChange.sample_id == sample.id)).all()
    assert [(c.from_state, c.to_state) for c in changes] == [("collected", "sealed"), ("sealed", "failed")]
    with pytest.raises(InvalidTransition, match="final state"):
        samples.transition(session=db, accession=sample.accession, to_state="sealed", by=tech)


def test_resampling_a_failed_sample(db: Session, tech) -> None:
    factories.make_site(db, tech)
    remains = factories.make_remains(db, tech)
    sample = samples.take_sample(session=db, remains_accession=remains.accession, sample_type="tooth", by=tech)
    with pytest.raises(InvalidTransition, match="only a failed sample"):
        samples.resample(session=db, accession=sample.accession, by=tech)
    samples.transition(session=db, accession=sample.accession, to_state="failed", reason="degraded", by=tech)
    again = samples.resample(session=db, accession=sample.accession, by=tech)
    assert again.resampled_from_id == sample.id and again.number == 2 and again.sample_type == "tooth"
    assert custody_state.state_of(db, custody_state.get_item(db, again.accession)).last_event.action == "register"


def test_unknown_sample_type(db: Session, tech) -> None:
    factories.make_site(db, tech)
    remains = factories.make_remains(db, tech)
    with pytest.raises(ValidationFailed, match="sample type"):
        samples.take_sample(session=db, remains_accession=remains.accession, sample_type="hair", by=tech)


def test_storage_hierarchy(db: Session, tech) -> None:
    box = factories.make_box(db, tech, 7)
    assert box.accession == ids.location_id("R01", "F01", "S01", "B07")
    assert [p.level for p in storage.path_of(db, box)] == ["room", "freezer", "shelf", "box"]
    with pytest.raises(ValidationFailed) as refused:
        storage.create_location(session=db, name="Loose box", level="box", number=1, parent_accession=None, by=tech)
    assert "must be inside" in refused.value.problems[0].message
    with pytest.raises(ValidationFailed) as refused:
        storage.create_location(session=db, name="Room in box", level="room", number=2,
                                parent_accession=box.accession, by=tech)
    assert "cannot be inside" in refused.value.problems[0].message
    with pytest.raises(Conflict, match="exists already"):
        factories.make_box(db, tech, 7)


def test_items_at_a_location_follow_the_latest_event(db: Session, tech) -> None:
    factories.make_site(db, tech)
    remains = factories.make_remains(db, tech)
    box1, box2 = factories.make_box(db, tech, 1), factories.make_box(db, tech, 2)
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="store", by=tech,
                                   to_location=box1.accession)
    assert [i.accession for i in custody_state.items_at(db, box1)] == [remains.accession]
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="store", by=tech,
                                   to_location=box2.accession)
    assert custody_state.items_at(db, box1) == []
    assert [i.accession for i in custody_state.items_at(db, box2)] == [remains.accession]
