"""Coordinators close and reopen cases; donors give further reference samples, each with custody."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.core import ids
from labtrack.core.errors import Conflict, ValidationFailed
from labtrack.models import CustodyEvent, CustodyItem, MissingPerson
from labtrack.services import donors, missing_persons


def _person(db: Session, users: dict) -> MissingPerson:
    return missing_persons.register_missing_person(session=db, by=users["coordinator"].user, case_number="MP-9",
                                                   sex="M")


def test_close_and_reopen_a_case(db: Session, users: dict) -> None:
    person = _person(db, users)
    with pytest.raises(ValidationFailed):
        missing_persons.set_case_status(session=db, person_id=person.id or 0, status="closed",
                                        by=users["coordinator"].user, reason=" ")
    missing_persons.set_case_status(session=db, person_id=person.id or 0, status="closed", by=users["coordinator"].user,
                                    reason="family asked to stop the search")
    assert db.get(MissingPerson, person.id).status == "closed"
    with pytest.raises(Conflict, match="can only become missing"):
        missing_persons.set_case_status(session=db, person_id=person.id or 0, status="identified",
                                        by=users["coordinator"].user, reason="no")
    missing_persons.set_case_status(session=db, person_id=person.id or 0, status="missing",
                                    by=users["coordinator"].user, reason="new information")
    assert db.get(MissingPerson, person.id).status == "missing"


def test_further_reference_samples_take_the_next_letter_and_get_custody(db: Session, users: dict) -> None:
    coordinator = users["coordinator"].user
    donor, first = donors.register_donor(session=db, by=coordinator, code="D-1", sex="F")
    second = donors.add_reference_sample(session=db, donor_id=donor.id or 0, by=coordinator, sample_type="blood")
    assert ids.parse(second.accession).kind == "reference"
    assert second.accession.split("-")[1] == first.accession.split("-")[1]
    assert (first.accession.split("-")[2], second.accession.split("-")[2]) == ("A", "B")
    for sample in (first, second):
        item = db.exec(select(CustodyItem).where(CustodyItem.sample_id == sample.id)).one()
        events = db.exec(select(CustodyEvent).where(CustodyEvent.item_id == item.id)).all()
        assert [e.action for e in events] == ["register"] and events[0].recorded_by_id == coordinator.id


def test_pages_change_status_and_add_samples(client: FlaskClient, db: Session, users: dict, login_as) -> None:  # noqa: ANN001
    person = _person(db, users)
    donor, _sample = donors.register_donor(session=db, by=users["coordinator"].user, code="D-2", sex="M")
    login_as("coordinator")
    answer = client.post(f"/missing-persons/{person.id}/status", data={"status": "closed", "reason": "all returned"},
                         follow_redirects=True)
    assert "is now closed" in answer.get_data(as_text=True)
    empty = client.post(f"/missing-persons/{person.id}/status", data={}, follow_redirects=True)
    assert empty.status_code == 200 and "This field is required" in empty.get_data(as_text=True)
    added = client.post(f"/donors/{donor.id}/samples", data={"sample_type": "buccal_swab"}, follow_redirects=True)
    assert "-B-" in added.get_data(as_text=True)
    db.rollback()
    assert db.get(MissingPerson, person.id).status == "closed"
    assert len(donors.reference_samples(db, donor.id or 0)) == 2
    login_as("analyst")
    refused = client.post(f"/missing-persons/{person.id}/status", data={"status": "missing", "reason": "x"})
    assert refused.status_code == 403
