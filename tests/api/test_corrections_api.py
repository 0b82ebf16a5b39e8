"""API corrections of sites and remains: PATCH with a reason, the fields given change, the audit log
keeps before and after; a closed site refuses new remains; problems name their fields."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlmodel import Session

from labtrack.models import Remains
from labtrack.services import accounts, audit, intake
from tests.factories import make_remains, make_site


def _headers(db: Session, user: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.issue_token(session=db, user=user, name='t', by='test')}"}


def test_correct_a_site_and_its_status_through_the_api(client: FlaskClient, db: Session, users: dict) -> None:
    make_site(db, users["technician"].user)
    tech = _headers(db, users["technician"].user)
    analyst = _headers(db, users["analyst"].user)
    assert client.patch("/api/v1/sites/QTF", json={"reason": "r", "name_en": "X"}, headers=analyst).status_code == 403
    refused = client.patch("/api/v1/sites/QTF", json={"reason": " ", "latitude": 91}, headers=tech)
    assert refused.status_code == 422
    assert {p["field"] for p in refused.get_json()["problems"]} == {"reason", "latitude"}
    done = client.patch("/api/v1/sites/QTF", json={"reason": "spelling", "name_en": "Qutayfah"}, headers=tech)
    assert done.status_code == 200 and done.get_json()["name_en"] == "Qutayfah"
    db.rollback()
    site = intake.get_site(db, "QTF")
    assert (site.name_en, site.governorate) == ("Qutayfah", "")
    assert "spelling" in audit.history(db, "site", str(site.id))[-1].reason
    closed = client.post("/api/v1/sites/QTF/status", json={"status": "closed", "reason": "done"}, headers=tech)
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    refused = client.post("/api/v1/sites/QTF/remains", json={"remains_type": "partial"}, headers=tech)
    assert refused.status_code == 409 and "closed" in refused.get_json()["message"]
    assert client.patch("/api/v1/sites/NOP", json={"reason": "r"}, headers=tech).status_code == 404


def test_correct_remains_through_the_api(client: FlaskClient, db: Session, users: dict) -> None:
    make_site(db, users["technician"].user)
    remains = make_remains(db, users["technician"].user)
    tech = _headers(db, users["technician"].user)
    url = f"/api/v1/remains/{remains.accession}"
    bad = client.patch(url, json={"reason": "r", "est_age_min": 60, "est_age_max": 20}, headers=tech)
    assert bad.status_code == 422 and bad.get_json()["problems"][0]["field"] == "est_age_min"
    done = client.patch(url, json={"reason": "anthropology report", "est_sex": "F", "depth_m": 1.2}, headers=tech)
    assert done.status_code == 200 and done.get_json()["est_sex"] == "F"
    db.rollback()
    db.expire_all()
    stored = db.get(Remains, remains.id)
    assert (stored.est_sex, stored.depth_m, stored.recovery_team) == ("F", 1.2, "Field team 1")
    cleared = client.patch(url, json={"reason": "depth was a guess", "depth_m": None}, headers=tech)
    assert cleared.status_code == 200 and cleared.get_json()["depth_m"] is None
