"""API: custody events (single, batch, idempotent), scan validation, intake."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.models import CustodyEvent
from labtrack.services import accounts
from tests import factories


@pytest.fixture
def auth(db: Session, users: dict) -> dict[str, str]:
    token = accounts.issue_token(session=db, user=users["technician"].user, name="bench 1", by="test")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def items(db: Session, users: dict):
    tech = users["technician"].user
    factories.make_site(db, tech)
    return [factories.make_remains(db, tech) for _ in range(3)], factories.make_box(db, tech, 1)


def _events(db: Session) -> list[CustodyEvent]:
    db.rollback()  # end the read snapshot so that the requests' commits are seen
    return list(db.exec(select(CustodyEvent).where(CustodyEvent.action != "register")))


def test_single_event_and_idempotent_retry(client: FlaskClient, db: Session, auth, items) -> None:
    remains, box = items
    body = {"item": remains[0].accession, "action": "store", "to_location": box.accession, "event_key": "st1-0001"}
    first = client.post("/api/v1/custody-events", json=body, headers=auth)
    assert first.status_code == 201, first.get_json()
    retry = client.post("/api/v1/custody-events", json=body, headers=auth)
    assert retry.status_code == 200 and retry.get_json()["replayed"] is True
    assert retry.get_json()["events"][0]["id"] == first.get_json()["events"][0]["id"]
    assert retry.get_json()["batch_ref"] == first.get_json()["batch_ref"]
    assert len(_events(db)) == 1


def test_batch_all_or_nothing_with_problems_per_row(client: FlaskClient, db: Session, auth, items) -> None:
    remains, box = items
    bad = {"events": [
        {"item": remains[0].accession, "action": "store", "to_location": box.accession},
        {"item": remains[1].accession[:-1] + "0", "action": "store", "to_location": box.accession},
    ]}
    answer = client.post("/api/v1/custody-events", json=bad, headers=auth)
    assert answer.status_code == 422
    problems = answer.get_json()["problems"]
    assert problems[0]["row"] == 2 and problems[0]["field"] == "item"
    assert _events(db) == []
    good = {"batch_ref": "B-TEST-1", "events": [
        {"item": r.accession, "action": "store", "to_location": box.accession} for r in remains]}
    answer = client.post("/api/v1/custody-events", json=good, headers=auth)
    assert answer.status_code == 201 and answer.get_json()["batch_ref"] == "B-TEST-1"
    assert len(_events(db)) == 3


def test_wrong_place_is_a_409_with_a_specific_message(client: FlaskClient, db: Session, auth, items) -> None:
    remains, box = items
    answer = client.post("/api/v1/custody-events", headers=auth, json={
        "item": remains[0].accession, "action": "store", "to_location": box.accession,
        "from_location": box.accession})
    assert answer.status_code == 409
    assert f"is not at {box.accession}" in answer.get_json()["message"]


def test_body_validation(client: FlaskClient, auth) -> None:
    answer = client.post("/api/v1/custody-events", headers=auth, json={"events": []})
    assert answer.status_code == 422 and answer.get_json()["problems"][0]["field"] == "events"
    assert client.post("/api/v1/custody-events", headers=auth, data="x").status_code == 422


def test_analyst_may_read_but_not_record(client: FlaskClient, db: Session, users: dict, items) -> None:
    remains, _ = items
    token = accounts.issue_token(session=db, user=users["analyst"].user, name="desk", by="test")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/custody-events", headers=headers,
                       json={"item": remains[0].accession, "action": "receive"}).status_code == 403
    state = client.get(f"/api/v1/custody-items/{remains[0].accession}", headers=headers)
    assert state.status_code == 200 and state.get_json()["events"][0]["action"] == "register"


def test_scan_validation(client: FlaskClient, auth, items) -> None:
    remains, box = items
    ok = client.post("/api/v1/scans/validate", headers=auth, json={"code": remains[0].accession.lower(),
                                                                   "action": "receive"}).get_json()
    assert ok["ok"] and ok["accession"] == remains[0].accession and ok["expected_previous_event_id"]
    twice = client.post("/api/v1/scans/validate", headers=auth, json={
        "code": remains[0].accession, "action": "receive", "batch": [remains[0].accession]}).get_json()
    assert not twice["ok"] and "scanned twice" in twice["message"]
    target = client.post("/api/v1/scans/validate", headers=auth, json={"code": box.accession,
                                                                       "action": "store"}).get_json()
    assert target["kind"] == "location-target"


def test_browser_session_needs_csrf_header(app, client: FlaskClient, login_as, items) -> None:
    login_as("technician")
    app.config["WTF_CSRF_ENABLED"] = True
    answer = client.post("/api/v1/scans/validate", json={"code": "x", "action": "receive"})
    assert answer.status_code == 400 and "X-CSRFToken" in answer.get_json()["message"]


def test_token_clients_need_no_csrf_token_when_csrf_is_on(app, client: FlaskClient, auth, items) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    remains, box = items
    answer = client.post("/api/v1/custody-events", headers=auth, json={
        "item": remains[0].accession, "action": "store", "to_location": box.accession})
    assert answer.status_code == 201, answer.get_json()


def test_intake_api(client: FlaskClient, auth) -> None:
    site = client.post("/api/v1/sites", headers=auth, json={"code": "ABC", "name_en": "Test site"})
    assert site.status_code == 201
    remains = client.post("/api/v1/sites/ABC/remains", headers=auth, json={"remains_type": "partial"})
    assert remains.status_code == 201 and remains.get_json()["accession"].startswith("ABC-00001-")
    accession = remains.get_json()["accession"]
    sample = client.post(f"/api/v1/remains/{accession}/samples", headers=auth, json={"sample_type": "petrous"})
    assert sample.status_code == 201
    sample_id = sample.get_json()["accession"]
    refused = client.post(f"/api/v1/samples/{sample_id}/transitions", headers=auth, json={"to_state": "profiled"})
    assert refused.status_code == 409 and "allowed: sealed, failed, consumed" in refused.get_json()["message"]
    moved = client.post(f"/api/v1/samples/{sample_id}/transitions", headers=auth, json={"to_state": "sealed"})
    assert moved.status_code == 200 and moved.get_json()["state"] == "sealed"
    assert [s["code"] for s in client.get("/api/v1/sites", headers=auth).get_json()] == ["ABC"]
    bad = client.post("/api/v1/sites", headers=auth, json={"code": "A1", "name_en": ""})
    assert bad.status_code == 422 and {p["field"] for p in bad.get_json()["problems"]} == {"code", "name_en"}


def test_openapi_documents_custody_operations(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "post" in paths["/api/v1/custody-events"] and "post" in paths["/api/v1/scans/validate"]
