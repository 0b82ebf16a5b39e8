"""Registering a missing person shows likely duplicates (spelling variants, year, place, date,
family contact) before saving; a coordinator saves anyway only after saying it is another person."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from labtrack.models import MissingPerson
from labtrack.services import duplicates, missing_persons


def _register(client: FlaskClient, **fields: str) -> object:
    return client.post("/missing-persons/", data={"sex": "M", **fields})


def _count(db: Session) -> int:
    db.rollback()
    return db.exec(select(func.count()).select_from(MissingPerson)).one()


def test_a_second_report_with_spelling_variants_is_held_back(client: FlaskClient, db: Session, users,
                                                              login_as) -> None:
    first = missing_persons.register_missing_person(session=db, by=users["coordinator"].user, case_number="MP-1",
                                                    name_ar="مُحمّد خليل المصري", name_latin="Muhammad Khalil al-Masri",
                                                    birth_year=1980, disappearance_place="Aleppo",
                                                    disappeared_on=date(2013, 5, 2), contact_phone="+963 944 111 222")
    login_as("coordinator")
    answer = _register(client, case_number="MP-2", name_ar="محمد خليل المصرى", name_latin="Mohamed Khaleel el-Masri",
                       birth_year="1981", disappearance_place="Aleppo", contact_phone="0944111222")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and 'id="duplicates"' in html
    assert f'href="/missing-persons/{first.id}">MP-1</a>' in html
    assert "similar name" in html and "birth year" in html and "place of disappearance" in html
    assert _count(db) == 1  # nothing saved
    saved = _register(client, case_number="MP-2", name_ar="محمد خليل المصرى", name_latin="Mohamed Khaleel el-Masri",
                      birth_year="1981", disappearance_place="Aleppo", different_person="y")
    assert saved.status_code == 302 and _count(db) == 2


def test_a_different_person_is_registered_at_once(client: FlaskClient, db: Session, users, login_as) -> None:
    missing_persons.register_missing_person(session=db, by=users["coordinator"].user, case_number="MP-1",
                                            name_ar="محمد خليل المصري", name_latin="Muhammad Khalil al-Masri")
    login_as("coordinator")
    answer = _register(client, case_number="MP-3", name_ar="فاطمة مصطفى", name_latin="Fatima Mustafa")
    assert answer.status_code == 302 and _count(db) == 2


def test_scores_use_every_clue(db: Session, users) -> None:
    coordinator = users["coordinator"].user
    same = missing_persons.register_missing_person(session=db, by=coordinator, case_number="MP-1",
                                                   name_ar="أحمد يوسف", birth_year=1990,
                                                   disappeared_on=date(2012, 1, 9), contact_phone="0933 000 111")
    missing_persons.register_missing_person(session=db, by=coordinator, case_number="MP-2", name_ar="أحمد يوسف",
                                            birth_year=1950)
    found = duplicates.likely_duplicates(db, name_latin="", name_ar="احمد يوسف", birth_year=1990,
                                         disappeared_on=date(2012, 1, 9), contact_phone="+0933-000-111")
    assert [d.person.case_number for d in found] == ["MP-1", "MP-2"]
    assert set(found[0].reasons) == {"name", "birth_year", "disappeared_on", "contact_phone"}
    assert found[0].person.id == same.id and found[0].score > found[1].score
    assert duplicates.likely_duplicates(db, name_ar="", name_latin="") == []
