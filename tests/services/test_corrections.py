"""Correcting the details of missing persons and donors: reason required, audit keeps before and after."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session

from labtrack.core.errors import ValidationFailed
from labtrack.models import MissingPerson
from labtrack.services import audit, donors, missing_persons
from tests.conftest import login


def _person(db: Session, users: dict) -> MissingPerson:
    return missing_persons.register_missing_person(session=db, by=users["coordinator"].user, case_number="MP-2025-0007",
                                                   sex="M", name_latin="Ahmad Khalil al-Masr", contact_phone="0999")


def test_correction_is_audited_with_values_before_and_after(db: Session, users: dict) -> None:
    person = _person(db, users)
    missing_persons.update_missing_person(session=db, person_id=person.id, by=users["coordinator"].user,
                                          reason="typo in the family name", name_latin="Ahmad Khalil al-Masri",
                                          contact_phone="0999", birth_year=1984)
    db.expire_all()
    stored = db.get(MissingPerson, person.id)
    assert (stored.name_latin, stored.birth_year, stored.case_number) == ("Ahmad Khalil al-Masri", 1984, "MP-2025-0007")
    entry = audit.history(db, "missing_person", str(person.id))[-1]
    before, after = json.loads(entry.before_json), json.loads(entry.after_json)
    assert (before["name_latin"], after["name_latin"]) == ("Ahmad Khalil al-Masr", "Ahmad Khalil al-Masri")
    assert "typo in the family name" in entry.reason and entry.actor_id == users["coordinator"].id
    assert audit.verify_chain(db).ok


def test_bad_corrections_change_nothing(db: Session, users: dict) -> None:
    person = _person(db, users)
    for kwargs, field in (({"reason": " ", "name_latin": "X"}, "reason"), ({"reason": "r", "sex": "X"}, "sex"),
                          ({"reason": "r", "case_number": "MP-1"}, "case_number"),
                          ({"reason": "r", "status": "closed"}, "status")):
        with pytest.raises(ValidationFailed) as error:
            missing_persons.update_missing_person(session=db, person_id=person.id, by=users["coordinator"].user,
                                                  **kwargs)
        assert field in {p.field for p in error.value.problems}
    db.expire_all()
    assert db.get(MissingPerson, person.id).name_latin == "Ahmad Khalil al-Masr"
    assert len(audit.history(db, "missing_person", str(person.id))) == 1  # the registration only


def test_coordinator_corrects_details_on_the_page(client, db: Session, users: dict) -> None:
    person = _person(db, users)
    url = f"/missing-persons/{person.id}/edit"
    for role in ("technician", "analyst"):
        login(client, users[role])
        assert client.get(url).status_code == 403
        client.post("/logout")
    login(client, users["coordinator"])
    form = client.get(url).get_data(as_text=True)
    assert 'value="Ahmad Khalil al-Masr"' in form and "MP-2025-0007" in form and 'name="case_number"' not in form
    data = {"name_latin": "Ahmad Khalil al-Masri", "name_ar": "أحمد خليل المصري", "sex": "M",
            "contact_phone": "0999", "reason": ""}
    answer = client.post(url, data=data)
    assert answer.status_code == 422 and "This field is required" in answer.get_data(as_text=True)
    answer = client.post(url, data=data | {"reason": "spelling checked with the family"}, follow_redirects=True)
    assert answer.status_code == 200 and "were corrected" in answer.get_data(as_text=True)
    db.rollback()
    db.expire_all()
    stored = db.get(MissingPerson, person.id)
    assert (stored.name_latin, stored.name_ar, stored.contact_phone) == (
        "Ahmad Khalil al-Masri", "أحمد خليل المصري", "0999")
    assert stored.birth_year is None and stored.circumstances == ""


def test_coordinator_corrects_a_donors_details(client, db: Session, users: dict) -> None:
    from labtrack.models import Donor

    donor, _sample = donors.register_donor(session=db, by=users["coordinator"].user, code="DON-0042", sex="F",
                                           name_latin="Fatima", phone="0111")
    url = f"/donors/{donor.id}/edit"
    login(client, users["analyst"])
    assert client.get(url).status_code == 403
    client.post("/logout")
    login(client, users["coordinator"])
    assert 'id="edit-details"' in client.get(f"/donors/{donor.id}").get_data(as_text=True)
    form = client.get(url).get_data(as_text=True)
    assert 'value="Fatima"' in form and 'name="code"' not in form
    answer = client.post(url, data={"name_latin": "Fatima al-Hasan", "sex": "F", "phone": "0222",
                                    "reason": "surname was missing"}, follow_redirects=True)
    assert "The details of DON-0042 were corrected." in answer.get_data(as_text=True)
    db.rollback()
    db.expire_all()
    stored = db.get(Donor, donor.id)
    assert (stored.code, stored.name_latin, stored.phone) == ("DON-0042", "Fatima al-Hasan", "0222")
    entry = audit.history(db, "donor", str(donor.id))[-1]
    assert json.loads(entry.before_json)["phone"] == "0111" and "surname was missing" in entry.reason
    with pytest.raises(ValidationFailed) as error:
        donors.update_donor(session=db, donor_id=donor.id, by=users["coordinator"].user, reason="x", code="D-1")
    assert [p.field for p in error.value.problems] == ["code"]
