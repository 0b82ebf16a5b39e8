"""API of the audit-chain verifications and of the re-association runs: the jobs are requested
through the API, run by the worker (its real claim loop), and the API then serves the stored
rows; roles as on the pages (audit: admin; re-association: analyst and admin)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from labtrack.models import AuditEntry, AuditVerification, Job, ReassociationGrave, ReassociationGroup
from labtrack.services import accounts, audit_verification, listing, reassociation, reassociation_views
from labtrack.services.worker import Worker, WorkerSettings
from tests.services.test_audit_verification import _add_sites
from tests.services.test_reassociation import graves  # noqa: F401 - the fixture

ROLES = ("technician", "analyst", "coordinator", "admin")


@pytest.fixture
def worker_app(app: Flask) -> Flask:
    app.config["JOBS_INLINE"] = False  # as in production: only the worker runs the jobs
    return app


def _headers(db: Session, users: dict, role: str) -> dict[str, str]:
    token = accounts.issue_token(session=db, user=users[role].user, name=f"api-{role}", by="test")
    return {"Authorization": f"Bearer {token}"}


def _work(app: Flask, db: Session) -> None:
    db.rollback()
    assert Worker(app, WorkerSettings(poll_seconds=0.01)).run(once=True) == 1
    db.rollback()


def test_audit_verifications_through_the_api(worker_app: Flask, client: FlaskClient, db: Session,
                                             users: dict) -> None:
    admin = _headers(db, users, "admin")
    _add_sites(db, 3, "A")
    empty = client.get("/api/v1/audit/verifications/latest", headers=admin).get_json()
    assert empty == {"latest": None, "mark": None, "pending": None}

    queued = client.post("/api/v1/audit/verifications", json={"full": True}, headers=admin)
    assert queued.status_code == 202
    job = queued.get_json()
    assert (job["kind"], job["status"]) == (audit_verification.JOB_KIND, "queued")
    again = client.post("/api/v1/audit/verifications", json={"full": True}, headers=admin).get_json()
    assert again["id"] == job["id"]  # one job while it waits
    assert client.get("/api/v1/audit/verifications/latest", headers=admin).get_json()["pending"]["id"] == job["id"]
    db.rollback()
    assert db.exec(select(AuditVerification)).all() == []  # nothing verified in the request

    _work(worker_app, db)
    stored = db.exec(select(AuditVerification)).one()
    assert stored.ok and stored.full and stored.job_id == job["id"]
    entry = db.exec(select(AuditEntry).where(AuditEntry.seq == stored.to_seq)).one()
    detail = client.get(f"/api/v1/audit/verifications/{stored.id}", headers=admin).get_json()
    assert (detail["ok"], detail["full"], detail["from_seq"], detail["to_seq"], detail["to_entry_id"],
            detail["to_hash"], detail["entries"]) == (True, True, 0, stored.to_seq, entry.id, entry.entry_hash,
                                                      stored.entries)
    assert detail["verified_at"].endswith("Z") and "mac" not in detail

    _add_sites(db, 2, "B")
    client.post("/api/v1/audit/verifications", json={}, headers=admin)  # incremental: from the mark
    _work(worker_app, db)
    second = audit_verification.latest(db)
    assert second is not None and second.from_seq == stored.to_seq and not second.full
    latest = client.get("/api/v1/audit/verifications/latest", headers=admin).get_json()
    assert latest["latest"]["id"] == latest["mark"]["id"] == second.id and latest["pending"] is None
    assert latest["latest"]["entries"] == second.to_seq - stored.to_seq
    listed = client.get("/api/v1/audit/verifications?per=1", headers=admin).get_json()
    assert ([v["id"] for v in listed["items"]], listed["total"], listed["pages"]) == ([second.id], 2, 2)
    page2 = client.get("/api/v1/audit/verifications?per=1&page=2", headers=admin).get_json()
    assert [v["id"] for v in page2["items"]] == [stored.id]
    assert db.get(Job, job["id"]).status == "done"  # type: ignore[union-attr]

    missing = client.get("/api/v1/audit/verifications/999", headers=admin)
    assert missing.status_code == 404 and missing.get_json()["error"] == "NotFound"
    bad = client.get("/api/v1/audit/verifications?per=0", headers=admin)
    assert bad.status_code == 422 and [p["field"] for p in bad.get_json()["problems"]] == ["per"]
    for role in ("technician", "analyst", "coordinator"):
        headers = _headers(db, users, role)
        for url in ("/api/v1/audit/verifications", "/api/v1/audit/verifications/latest",
                    f"/api/v1/audit/verifications/{stored.id}"):
            assert client.get(url, headers=headers).status_code == 403, (role, url)
        assert client.post("/api/v1/audit/verifications", json={"full": True}, headers=headers).status_code == 403
    db.rollback()
    assert db.exec(select(Job).where(Job.kind == audit_verification.JOB_KIND, Job.status == "queued")).all() == []


def test_reassociation_through_the_api(worker_app: Flask, client: FlaskClient, db: Session, users: dict,
                                       graves: dict) -> None:  # noqa: F811 - the fixture
    analyst = _headers(db, users, "analyst")
    assert client.get("/api/v1/reassociation/runs", headers=analyst).get_json() == {
        "items": [], "total": 0, "page": 1, "per": 50, "pages": 1, "pending": None}
    queued = client.post("/api/v1/reassociation/runs", headers=analyst)
    assert queued.status_code == 202 and queued.get_json()["status"] == "queued"
    pending = client.get("/api/v1/reassociation/runs", headers=analyst).get_json()["pending"]
    assert pending["id"] == queued.get_json()["id"] and pending["kind"] == reassociation.JOB_KIND

    _work(worker_app, db)
    run = reassociation.latest(db)
    assert run is not None and run.job_id == queued.get_json()["id"]
    listed = client.get("/api/v1/reassociation/runs", headers=analyst).get_json()
    assert [(r["id"], r["groups"], r["profiles"], r["pairs"]) for r in listed["items"]] == [
        (run.id, 1, 6, run.pairs)] and listed["pending"] is None
    one = client.get(f"/api/v1/reassociation/runs/{run.id}", headers=analyst).get_json()
    assert (one["min_log10_lr"], one["groups"], one["job_id"]) == (run.min_log10_lr, 1, run.job_id)

    stored_graves = db.exec(select(ReassociationGrave).where(ReassociationGrave.run_id == run.id)).all()
    answered = client.get(f"/api/v1/reassociation/runs/{run.id}/graves", headers=analyst).get_json()
    assert answered["total"] == len(stored_graves) == 5
    assert {(g["site_code"], "*" if g["whole_site"] else g["grave"]): (g["remains"], g["groups"], g["mni"])
            for g in answered["items"]} == {
        (g.site_code, "*" if g.whole_site else g.grave): (g.remains, g.groups, g.mni) for g in stored_graves}
    t1 = client.get(f"/api/v1/reassociation/runs/{run.id}/graves?site_code=QTF&grave=T1", headers=analyst).get_json()
    assert [(g["grave"], g["remains"], g["mni"]) for g in t1["items"]] == [("T1", 4, 3)]

    parts = db.exec(select(ReassociationGroup).where(ReassociationGroup.run_id == run.id)
                    .order_by(col(ReassociationGroup.grave))).all()
    groups = client.get(f"/api/v1/reassociation/runs/{run.id}/groups?group_number=1", headers=analyst).get_json()
    assert sorted((g["grave"], g["remains"], g["group_size"], g["graves"], g["min_log10_lr"])
                  for g in groups["items"]) == [(p.grave, p.remains, p.group_size, p.graves, p.min_log10_lr)
                                                for p in parts]
    assert groups["items"][0]["remains"].split(",")[0].startswith("QTF-")
    # an integer column filtered with text matches nothing (PostgreSQL compares no integer with text)
    spec = reassociation_views.groups(run.id)
    for value, rows in (("one", 0), ("1", len(parts)), ("99999999999999999999", 0)):
        request = listing.ListRequest(page=1, per=50, sort=spec.default_sort, descending=False,
                                      filters={"group_number": value})
        assert listing.page(db, spec, request, identities=False).total == rows, value
    in_t2 = client.get(f"/api/v1/reassociation/runs/{run.id}/groups?grave=T2", headers=analyst).get_json()
    assert [g["remains"] for g in in_t2["items"]] == [graves["lower"].accession]

    admin = _headers(db, users, "admin")
    assert client.get(f"/api/v1/reassociation/runs/{run.id}/graves", headers=admin).status_code == 200
    assert client.get("/api/v1/reassociation/runs/999/groups", headers=analyst).status_code == 404
    too_long = client.get(f"/api/v1/reassociation/runs/{run.id}/graves?site_code=ABCD", headers=analyst)
    assert too_long.status_code == 422 and [p["field"] for p in too_long.get_json()["problems"]] == ["site_code"]
    for role in ("technician", "coordinator"):
        headers = _headers(db, users, role)
        for url in ("/api/v1/reassociation/runs", f"/api/v1/reassociation/runs/{run.id}",
                    f"/api/v1/reassociation/runs/{run.id}/graves", f"/api/v1/reassociation/runs/{run.id}/groups"):
            assert client.get(url, headers=headers).status_code == 403, (role, url)
        assert client.post("/api/v1/reassociation/runs", headers=headers).status_code == 403


def test_the_openapi_document_lists_them_with_their_roles(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    expected = {("/api/v1/audit/verifications", "get"): ["admin"], ("/api/v1/audit/verifications", "post"): ["admin"],
                ("/api/v1/audit/verifications/latest", "get"): ["admin"],
                ("/api/v1/audit/verifications/{verification_id}", "get"): ["admin"],
                ("/api/v1/reassociation/runs", "get"): ["analyst", "admin"],
                ("/api/v1/reassociation/runs", "post"): ["analyst", "admin"],
                ("/api/v1/reassociation/runs/{run_id}", "get"): ["analyst", "admin"],
                ("/api/v1/reassociation/runs/{run_id}/graves", "get"): ["analyst", "admin"],
                ("/api/v1/reassociation/runs/{run_id}/groups", "get"): ["analyst", "admin"]}
    assert {key: paths[key[0]][key[1]]["x-roles"] for key in expected} == expected
    graves_op = paths["/api/v1/reassociation/runs/{run_id}/graves"]["get"]
    assert {p["name"] for p in graves_op["parameters"]} == {"run_id", "page", "per", "site_code", "grave"}
    assert "202" in paths["/api/v1/audit/verifications"]["post"]["responses"]
