"""Closed events through /api/v1: define, add members, analyse (JOBS_INLINE runs the worker job),
read the analysis, and the four-eyes identification; every operation is in the OpenAPI document."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from labtrack.models import DviEventMissing, DviProposal, Identification, Remains
from labtrack.services import demo, dvi_events
from tests import factories
from tests.conftest import login


@pytest.fixture
def demo_db(db: Session) -> Session:
    demo.load_demo(db)
    return db


def _acc(db: Session, prefix: str) -> str:
    return db.exec(select(Remains.accession).where(col(Remains.accession).startswith(prefix + "-"))).one()


def test_events_api(client: FlaskClient, demo_db: Session, login_as) -> None:  # noqa: ANN001
    login_as("coordinator")
    response = client.post("/api/v1/events", json={"code": "GRAVE-API", "kind": "grave", "name": "API grave"})
    assert response.status_code == 201, response.get_json()
    event_id = response.get_json()["id"]
    bad = client.post(f"/api/v1/events/{event_id}/members",
                      json={"remains": ["NOPE-1"], "case_numbers": ["MP-2025-0001"]})
    assert bad.status_code == 422
    assert [p["message"] for p in bad.get_json()["problems"]] == ["no remains NOPE-1"]
    demo_db.rollback()
    assert demo_db.exec(select(DviEventMissing)).first() is None  # all or nothing
    assert client.post(f"/api/v1/events/{event_id}/members", json={"remains": "x"}).status_code == 422
    body = client.post(f"/api/v1/events/{event_id}/members", json={
        "site_code": "QTF", "remains": [_acc(demo_db, "NJH-00001")],
        "case_numbers": ["MP-2025-0001", "MP-2025-0002", "MP-2025-0003", "MP-2025-0004"]}).get_json()
    assert len(body["remains"]) == 5 and len(body["case_numbers"]) == 4 and body["last_analysis"] is None
    assert client.get(f"/api/v1/events/{event_id}/analysis").status_code == 404
    assert client.post(f"/api/v1/events/{event_id}/analyses").status_code == 403  # analysts analyse
    login_as("technician")
    assert client.get("/api/v1/events").status_code == 403
    analyst = login_as("analyst")
    response = client.post(f"/api/v1/events/{event_id}/analyses")
    assert response.status_code == 202
    job = response.get_json()["job"]
    assert (job["status"], job["kind"], job["progress"], job["error"]) == ("done", dvi_events.JOB_KIND, 1.0, "")
    analysis = client.get(f"/api/v1/events/{event_id}/analysis").get_json()
    demo_db.rollback()
    stored = dvi_events.latest_analysis(demo_db, event_id)
    assert analysis["id"] == stored.id and analysis["method"] == "exact"
    assert analysis["thresholds"] == {"lr": 1e4, "lr_second_step": 1e3, "max_incompatible_markers": 2}
    qtf1 = _acc(demo_db, "QTF-00001")
    i, j = analysis["victims"].index(qtf1), analysis["missing"].index("MP-2025-0001")
    assert analysis["pairing"][i][j] == dvi_events.pairing_probability(dvi_events.result_of(stored), qtf1,
                                                                       "MP-2025-0001") > 0.9995
    # four eyes
    response = client.post(f"/api/v1/dvi-analyses/{analysis['id']}/proposals", json={
        "remains_accession": qtf1, "case_number": "MP-2025-0001", "reason": "undisputed",
        "password": analyst.password})
    assert response.status_code == 201, response.get_json()
    proposal = response.get_json()
    assert proposal["status"] == "proposed" and proposal["event_id"] == event_id
    response = client.post(f"/api/v1/dvi-proposals/{proposal['id']}/approve", json={"password": analyst.password})
    assert response.status_code == 403
    assert client.post(f"/api/v1/dvi-proposals/{proposal['id']}/approve", json={}).status_code == 422
    second = factories.make_user(demo_db, "analyst", "api-second")
    client.post("/logout")
    login(client, second)
    response = client.post(f"/api/v1/dvi-proposals/{proposal['id']}/approve", json={"password": second.password})
    assert response.status_code == 201
    approved = response.get_json()
    demo_db.rollback()
    ident = demo_db.exec(select(Identification)).one()
    assert approved["status"] == "identified" and approved["identification_id"] == ident.id
    assert demo_db.get(DviProposal, proposal["id"]).by_user_id == analyst.id
    assert client.get("/api/v1/dvi-proposals").get_json()[0]["status"] == "identified"
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, methods in {"/api/v1/events": {"get", "post"}, "/api/v1/events/{event_id}": {"get"},
                          "/api/v1/events/{event_id}/members": {"post"},
                          "/api/v1/events/{event_id}/analyses": {"post"},
                          "/api/v1/events/{event_id}/analysis": {"get"},
                          "/api/v1/dvi-analyses/{analysis_id}/proposals": {"post"},
                          "/api/v1/dvi-proposals": {"get"}, "/api/v1/dvi-proposals/{proposal_id}/approve": {"post"},
                          "/api/v1/dvi-proposals/{proposal_id}/send-back": {"post"}}.items():
        assert methods <= set(paths[path]), path
