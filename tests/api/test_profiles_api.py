"""API: profile check/import by the worker (all or nothing, JSON problems), profiles and families."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from labtrack.models import AuditEntry, Job, Profile, ProfileAllele, ProfileImport, Upload
from labtrack.services import accounts, demo
from labtrack.services.worker import Worker, WorkerSettings

ROOT = Path(__file__).resolve().parents[2]


def test_profile_api(client: FlaskClient, db: Session, users: dict) -> None:
    demo.load_demo(db)
    headers = {"Authorization": "Bearer " + accounts.issue_token(session=db, user=users["analyst"].user,
                                                                  name="t", by="test")}
    cmf = (ROOT / "tests/data/real-exports/osiris/CODIS-Rapid-CMF-R16-AppendixA-example.xml").read_text()
    checked = client.post("/api/v1/profiles/check", json={"filename": "rapid.xml", "content": cmf}, headers=headers)
    assert checked.status_code == 202, checked.get_json()
    assert checked.get_json()["result"]["kit"] == "GlobalFiler" and len(checked.get_json()["result"]["profiles"]) == 2
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


def _stored(db: Session) -> tuple[int, int, int]:
    db.rollback()
    return tuple(db.exec(select(func.count()).select_from(model)).one()  # type: ignore[return-value]
                 for model in (Profile, ProfileAllele, ProfileImport))


def test_a_file_checked_through_the_api_is_read_by_the_worker_and_stores_no_profile(
        client: FlaskClient, db: Session, users: dict) -> None:
    headers = {"Authorization": "Bearer " + accounts.issue_token(session=db, user=users["analyst"].user,
                                                                  name="t", by="test")}
    before = _stored(db)
    # a file that can be read: every profile listed, nothing stored (sample IDs need not exist)
    good = ("sample_id,marker,allele1,allele2\nQTF-00007-S01-X,TH01,6,9.3\nQTF-00007-S01-X,FGA,21,22\n"
            "QTF-00008-S01-X,TH01,7,7\n")
    answer = client.post("/api/v1/profiles/check", json={"filename": "run-12.csv", "content": good},
                         headers=headers)
    assert answer.status_code == 202, answer.get_json()  # queued; the test app's worker runs inline
    body = answer.get_json()
    assert body["url"] == f"/api/v1/profiles/uploads/{body['upload_id']}"
    assert client.get(body["url"], headers=headers).get_json() == body  # the poll answers the same
    assert (body["status"], body["ended"], body["progress"], body["n_problems"], body["problems"]) == (
        "checked", True, 1.0, 0, [])
    assert body["result"] == {"format": "long", "kit": body["result"]["kit"], "n_profiles": 2, "problems": [],
                              "profiles": [{"sample_id": "QTF-00007-S01-X", "loci": 2, "mixture": False},
                                           {"sample_id": "QTF-00008-S01-X", "loci": 1, "mixture": False}]}
    db.rollback()
    job = db.get(Job, body["job_id"])
    assert job is not None and (job.kind, job.status) == ("import_upload", "done")
    upload = db.get(Upload, body["upload_id"])
    assert upload is not None and upload.filename == "run-12.csv" and '"check_only": true' in upload.options_json
    assert _stored(db) == before
    assert db.exec(select(AuditEntry).where(AuditEntry.reason.contains("run-12.csv uploaded for a check"))).first()

    # a file with bad rows: checked, every problem with its file, row and field; nothing stored
    bad = (ROOT / "fixtures" / "malformed" / "long_errors.csv").read_text()
    body = client.post("/api/v1/profiles/check", json={"filename": "bad.csv", "content": bad},
                       headers=headers).get_json()
    assert (body["status"], body["n_problems"]) == ("checked", 3)
    assert [(p["file"], p["row"], p["field"]) for p in body["problems"]] == [
        ("bad.csv", 3, "vWA alleles"), ("bad.csv", 4, "Marker"), ("bad.csv", 5, "Marker")]
    assert "'abc' is not a repeat number" in body["problems"][0]["message"]
    assert body["result"]["problems"] == body["problems"] and body["result"]["n_profiles"] == 4
    assert _stored(db) == before

    # a file that cannot be read at all: the job ends refused, with the file named
    body = client.post("/api/v1/profiles/check", json={"filename": "colours.csv", "content": "colour,size\nred,3\n"},
                       headers=headers).get_json()
    assert (body["status"], body["ended"], body["result"], body["n_problems"]) == ("refused", True, {}, 1)
    assert body["problems"] == [{"file": "colours.csv", "row": None, "field": None,
                                 "message": "no sample column (expected 'Sample Name' or 'sample_id')"}]
    assert body["message"]
    assert _stored(db) == before


def test_a_check_is_not_read_in_the_request_but_by_a_worker(app: Flask, client: FlaskClient, db: Session,
                                                            users: dict) -> None:
    app.config["JOBS_INLINE"] = False  # as in production: only a worker reads the file
    headers = {"Authorization": "Bearer " + accounts.issue_token(session=db, user=users["analyst"].user,
                                                                  name="t", by="test")}
    content = "sample_id,marker,allele1,allele2\nQTF-00009-S01-X,TH01,abc,8\n"
    queued = client.post("/api/v1/profiles/check", json={"filename": "later.csv", "content": content},
                         headers=headers).get_json()
    assert (queued["status"], queued["ended"], queued["result"], queued["problems"]) == ("queued", False, {}, [])
    db.rollback()
    assert Worker(app, WorkerSettings(poll_seconds=0.01)).run(once=True) == 1
    done = client.get(queued["url"], headers=headers).get_json()
    assert (done["status"], done["ended"], done["n_problems"]) == ("checked", True, 1)
    assert [(p["file"], p["row"], p["field"]) for p in done["result"]["problems"]] == [("later.csv", 2, "TH01 alleles")]
    assert _stored(db) == (0, 0, 0)
