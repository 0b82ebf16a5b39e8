"""API: profile check/import (all or nothing, JSON problems), profiles and families."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from labtrack.models import Job, ProfileImport, Upload
from labtrack.services import accounts, demo

ROOT = Path(__file__).resolve().parents[2]


def test_profile_api(client: FlaskClient, db: Session, users: dict) -> None:
    demo.load_demo(db)
    headers = {"Authorization": "Bearer " + accounts.issue_token(session=db, user=users["analyst"].user,
                                                                  name="t", by="test")}
    cmf = (ROOT / "tests/data/real-exports/osiris/CODIS-Rapid-CMF-R16-AppendixA-example.xml").read_text()
    checked = client.post("/api/v1/profiles/check", json={"filename": "rapid.xml", "content": cmf}, headers=headers)
    assert checked.status_code == 200, checked.get_json()
    assert checked.get_json()["kit"] == "GlobalFiler" and len(checked.get_json()["profiles"]) == 2
    bad = (ROOT / "fixtures" / "malformed" / "long_errors.csv").read_text()
    imports_before = db.exec(select(func.count()).select_from(ProfileImport)).one()
    refused = client.post("/api/v1/profiles/import", json={"filename": "bad.csv", "content": bad}, headers=headers)
    assert refused.status_code == 202  # queued; the test app's worker runs inline (JOBS_INLINE)
    body = refused.get_json()
    assert body["url"] == f"/api/v1/profiles/uploads/{body['upload_id']}" and body["job_id"]
    polled = client.get(body["url"], headers=headers).get_json()
    assert polled == body
    assert (body["status"], body["ended"], body["result"]) == ("refused", True, {})
    assert body["message"] == f"bad.csv: nothing was imported ({body['n_problems']} problems)"
    assert body["n_problems"] == len(body["problems"])
    assert {(p["row"], p["file"]) for p in body["problems"]} >= {(3, "bad.csv"), (6, "bad.csv")}
    db.rollback()
    assert db.exec(select(func.count()).select_from(ProfileImport)).one() == imports_before  # nothing stored
    good = "sample_id,marker,allele1,allele2\nNJH-00002-S01-JA,TH01,6,9.3\n"
    created = client.post("/api/v1/profiles/import", json={"filename": "g.csv", "content": good}, headers=headers)
    assert created.status_code == 202
    done = client.get(created.get_json()["url"], headers=headers).get_json()
    db.rollback()
    record = db.exec(select(ProfileImport).where(ProfileImport.filename == "g.csv")).one()
    assert (done["status"], done["progress"], done["problems"]) == ("imported", 1.0, [])
    assert done["result"] == {"import_id": record.id, "n_profiles": 1, "kit": record.kit, "file_format": "long"}
    job = db.get(Job, done["job_id"])
    assert job is not None and job.status == "done" and job.kind == "import_upload"
    again = client.post("/api/v1/profiles/import", json={"filename": "g.csv", "content": good}, headers=headers)
    repeated = again.get_json()
    assert again.status_code == 202 and repeated["status"] == "refused" and repeated["problems"] == []
    assert "imported already" in repeated["message"] and f"import #{record.id}" in repeated["message"]
    db.rollback()
    assert db.exec(select(func.count()).select_from(ProfileImport)).one() == imports_before + 1
    assert client.get("/api/v1/profiles/uploads/999", headers=headers).status_code == 404
    listed = client.get("/api/v1/profiles", headers=headers).get_json()
    newest = listed[0]
    assert newest["owner"] == "NJH-00002-S01-JA" and newest["version"] == 2 and not newest["searchable"]
    detail = client.get(f"/api/v1/profiles/{newest['id']}", headers=headers).get_json()
    assert detail["alleles"] == [{"locus": "TH01", "allele1": "6", "allele2": "9.3", "extra_alleles": ""}]
    family = client.get("/api/v1/families/1", headers=headers).get_json()
    assert {m["person_code"] for m in family["members"]} == {"F", "M", "MP"}
    assert "name_latin" not in str(family)


def test_the_api_import_is_left_to_the_worker(app, client: FlaskClient, db: Session, users: dict) -> None:  # noqa: ANN001
    """As in production (no inline jobs): the request only keeps the file and queues its job,
    however small; the poll url shows it waiting, then what the worker stored."""
    from labtrack.models import Profile
    from labtrack.services.worker import Worker, WorkerSettings

    app.config["JOBS_INLINE"] = False
    demo.load_demo(db)
    headers = {"Authorization": "Bearer " + accounts.issue_token(session=db, user=users["analyst"].user,
                                                                  name="t", by="test")}
    profiles_before = db.exec(select(func.count()).select_from(Profile)).one()
    good = "sample_id,marker,allele1,allele2\nNJH-00002-S01-JA,TH01,6,9.3\n"
    answer = client.post("/api/v1/profiles/import", json={"filename": "w.csv", "content": good}, headers=headers)
    queued = answer.get_json()
    assert answer.status_code == 202 and (queued["status"], queued["ended"], queued["progress"]) == (
        "queued", False, 0.0)
    db.rollback()
    assert db.exec(select(func.count()).select_from(Profile)).one() == profiles_before
    assert db.get(Job, queued["job_id"]).status == "queued"
    assert Worker(app, WorkerSettings(poll_seconds=0.01)).run(once=True) == 1
    db.rollback()
    done = client.get(queued["url"], headers=headers).get_json()
    assert (done["status"], done["ended"], done["result"]["n_profiles"]) == ("imported", True, 1)
    assert db.exec(select(func.count()).select_from(Profile)).one() == profiles_before + 1


def test_a_file_name_with_control_characters_is_kept_without_them(client: FlaskClient, db: Session,
                                                                    users: dict) -> None:
    """PostgreSQL refuses NUL in text: the name is kept without control characters (found by
    schemathesis on PostgreSQL), never a 500; a lone surrogate is no text at all and is refused."""
    headers = {"Authorization": "Bearer " + accounts.issue_token(session=db, user=users["analyst"].user,
                                                                  name="t", by="test")}
    content = "sample_id,marker,allele1,allele2\nNOPE-1,TH01,6,9.3\n"
    refused = client.post("/api/v1/profiles/import", json={"filename": "\ud83d.csv", "content": content},
                          headers=headers)
    assert refused.status_code == 422 and refused.get_json()["problems"][0]["field"] == "filename"
    for sent, kept in (("a\x00b\x14.csv", "ab.csv"), ("\x00\x07", "upload")):
        answer = client.post("/api/v1/profiles/import", json={"filename": sent, "content": content}, headers=headers)
        assert answer.status_code == 202, answer.get_json()
        assert answer.get_json()["filename"] == kept
        db.rollback()
        assert db.get(Upload, answer.get_json()["upload_id"]).filename == kept
