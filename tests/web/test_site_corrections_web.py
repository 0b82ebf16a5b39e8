"""The site and remains correction pages: prefilled, reason required, errors next to fields (422),
roles, links, the closed site, Arabic."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlmodel import Session

from labtrack.models import Remains
from labtrack.services import audit, intake
from tests.conftest import login
from tests.factories import make_remains, make_site


def _setup(db: Session, users: dict) -> Remains:
    make_site(db, users["technician"].user)
    return make_remains(db, users["technician"].user)


def _fresh(db: Session) -> None:
    db.rollback()
    db.expire_all()


def test_who_may_correct_and_sees_the_links(client: FlaskClient, db: Session, users: dict) -> None:
    remains = _setup(db, users)
    for role in ("analyst", "coordinator"):
        login(client, users[role])
        assert client.get("/sites/QTF/edit").status_code == 403
        assert client.get("/sites/QTF/status").status_code == 403
        assert client.get(f"/sites/remains/{remains.accession}/edit").status_code == 403
        assert "/sites/QTF/edit" not in client.get("/sites/QTF").get_data(as_text=True)
        assert "/edit" not in client.get(f"/sites/remains/{remains.accession}").get_data(as_text=True)
        client.post("/logout")
    login(client, users["technician"])
    assert 'href="/sites/QTF/edit"' in client.get("/sites/QTF").get_data(as_text=True)
    assert f'href="/sites/remains/{remains.accession}/edit"' in client.get(
        f"/sites/remains/{remains.accession}").get_data(as_text=True)
    assert client.get("/sites/NOP/edit").status_code == 404


def test_technician_corrects_a_site(client: FlaskClient, db: Session, users: dict) -> None:
    _setup(db, users)
    login(client, users["technician"])
    form = client.get("/sites/QTF/edit").get_data(as_text=True)
    assert 'value="Site QTF"' in form and 'name="code"' not in form
    data = {"name_en": "Qutayfah", "name_ar": "القطيفة", "latitude": "33.7", "longitude": "36.6", "reason": ""}
    empty = client.post("/sites/QTF/edit", data=data)
    assert empty.status_code == 422 and "This field is required" in empty.get_data(as_text=True)
    bad = client.post("/sites/QTF/edit", data=data | {"latitude": "123", "reason": "r"})
    assert bad.status_code == 422 and "between -90 and 90" in bad.get_data(as_text=True)
    _fresh(db)
    assert intake.get_site(db, "QTF").name_en == "Site QTF"
    done = client.post("/sites/QTF/edit", data=data | {"reason": "checked with the prosecutor"}, follow_redirects=True)
    assert done.status_code == 200 and "were corrected" in done.get_data(as_text=True)
    _fresh(db)
    site = intake.get_site(db, "QTF")
    assert (site.name_en, site.name_ar, site.latitude, site.governorate) == ("Qutayfah", "القطيفة", 33.7, "")
    assert "checked with the prosecutor" in audit.history(db, "site", str(site.id))[-1].reason
    history = client.get("/sites/QTF/edit").get_data(as_text=True)
    assert "checked with the prosecutor" in history and "Site QTF → Qutayfah" in history


def test_closing_a_site_refuses_new_remains_and_reopening_allows_them(client: FlaskClient, db: Session,
                                                                     users: dict) -> None:
    _setup(db, users)
    login(client, users["technician"])
    assert client.post("/sites/QTF/status", data={"status": "closed", "reason": ""}).status_code == 422
    assert client.post("/sites/QTF/status", data={"status": "gone", "reason": "x"}).status_code == 422
    same = client.post("/sites/QTF/status", data={"status": "active", "reason": "x"})
    assert same.status_code == 409 and "has this status already" in same.get_data(as_text=True)
    closed = client.post("/sites/QTF/status", data={"status": "closed", "reason": "exhumation ended"},
                         follow_redirects=True)
    assert "Site QTF is now: closed." in closed.get_data(as_text=True)
    _fresh(db)
    assert intake.get_site(db, "QTF").status == "closed"
    page = client.get("/sites/QTF").get_data(as_text=True)
    assert "This site is closed" in page and "Register remains (next ID" not in page
    refused = client.post("/sites/QTF/remains", data={"remains_type": "partial"},
                          headers={"Referer": "/sites/QTF"}, follow_redirects=True)
    assert "is closed: no new remains can be registered there" in refused.get_data(as_text=True)
    _fresh(db)
    assert len(intake.remains_of_site(db, intake.get_site(db, "QTF"))) == 1
    client.post("/sites/QTF/status", data={"status": "active", "reason": "a second grave found"})
    assert client.post("/sites/QTF/remains", data={"remains_type": "partial"}).status_code == 302
    _fresh(db)
    assert len(intake.remains_of_site(db, intake.get_site(db, "QTF"))) == 2


def test_correcting_remains(client: FlaskClient, db: Session, users: dict) -> None:
    remains = _setup(db, users)
    url = f"/sites/remains/{remains.accession}/edit"
    login(client, users["technician"])
    form = client.get(url).get_data(as_text=True)
    assert 'value="Field team 1"' in form
    data = {"remains_type": "complete_body", "est_sex": "F", "est_age_min": "40", "est_age_max": "30",
            "trench": "T2", "grid": "B4", "recovery_team": "Field team 1", "reason": "report of 2 March"}
    bad = client.post(url, data=data)
    assert bad.status_code == 422 and "the minimum age is above the maximum age" in bad.get_data(as_text=True)
    wrong_type = client.post(url, data=data | {"est_age_min": "20", "remains_type": "skeleton"})
    assert wrong_type.status_code == 422
    _fresh(db)
    assert db.get(Remains, remains.id).est_sex == "U"
    assert client.post(url, data=data | {"est_age_min": "20"}).status_code == 302
    _fresh(db)
    stored = db.get(Remains, remains.id)
    assert (stored.est_sex, stored.est_age_min, stored.est_age_max, stored.trench, stored.grid) == (
        "F", 20, 30, "T2", "B4")
    assert stored.notes == "" and stored.depth_m is None
    entry = audit.history(db, "remains", str(remains.id))[-1]
    assert "report of 2 March" in entry.reason and entry.actor_id == users["technician"].id


def test_correction_pages_in_arabic(client: FlaskClient, db: Session, users: dict) -> None:
    remains = _setup(db, users)
    login(client, users["admin"])
    client.get("/language/ar")
    assert "تغيير حالة الموقع" in client.get("/sites/QTF/status").get_data(as_text=True)
    answer = client.post(f"/sites/remains/{remains.accession}/edit",
                         data={"remains_type": "partial", "est_sex": "U", "est_age_min": "50", "est_age_max": "20",
                               "reason": "x"})
    assert answer.status_code == 422 and "الحد الأدنى للعمر أكبر من الحد الأعلى" in answer.get_data(as_text=True)
