"""The Familias import page and API: coordinators upload a .fam file and name the missing person;
the file is kept and imported by the worker (inline in the test app: ``JOBS_INLINE``), the upload's
page (or poll url) shows the families created, or every problem with nothing stored."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from labtrack.models import Donor, Family, Job, Upload

PATERNITY = (Path(__file__).resolve().parents[1] / "data" / "familias-public" / "fam"
             / "pedFamilias__inst__extdata__paternity.fam")


def _post(client: FlaskClient, raw: bytes, **fields: str):  # noqa: ANN202
    data = {"file": (io.BytesIO(raw), "paternity.fam"), "family_code": "FAM-FAM", "missing": "MO",
            "case_number": "MP-2031-0001", "pedigree": ""} | fields
    return client.post("/familias/import", data=data, content_type="multipart/form-data")


def _imported(client: FlaskClient, response, **headers: str) -> str:  # noqa: ANN001
    """The upload's page the form sent the browser to (the job has run: inline in tests)."""
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert re.fullmatch(r"/familias/uploads/\d+", response.location)
    return client.get(response.location, headers=headers).get_data(as_text=True)


def test_import_page(client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    login_as("technician")
    assert client.get("/familias/import").status_code == 403
    login_as("analyst")
    assert _post(client, PATERNITY.read_bytes()).status_code == 403
    login_as("coordinator")
    assert "Import a Familias file" in client.get("/families/").get_data(as_text=True)
    assert client.get("/familias/import").status_code == 200
    bad = _post(client, PATERNITY.read_bytes(), missing="AF")
    page = _imported(client, bad)
    assert 'data-upload-status="refused"' in page and "person AF is typed in the file" in page
    assert "Nothing was stored." in page and 'http-equiv="refresh"' not in page
    truncated = _imported(client, _post(client, PATERNITY.read_bytes()[:300]))
    assert 'data-upload-status="refused"' in truncated and "paternity.fam" in truncated
    missing_file = client.post("/familias/import", data={"family_code": "X", "missing": "MO", "case_number": "C"},
                               content_type="multipart/form-data")
    assert missing_file.status_code == 422
    db.rollback()
    assert db.exec(select(Family)).first() is None
    assert [json.loads(u.result_json)["outcome"] for u in db.exec(select(Upload).order_by(Upload.id))] == [
        "refused", "refused"]
    response = _post(client, PATERNITY.read_bytes())
    page = _imported(client, response)
    db.rollback()
    family = db.exec(select(Family).where(Family.code == "FAM-FAM")).one()
    upload = db.exec(select(Upload).order_by(Upload.id.desc())).first()  # type: ignore[union-attr]
    job = db.exec(select(Job).where(Job.subject_type == "upload", Job.subject_id == upload.id)).one()
    assert (upload.kind, job.kind, job.status, job.progress) == ("familias", "import_upload", "done", 1.0)
    assert 'data-upload-status="imported"' in page and "Family FAM-FAM imported from the Familias file" in page
    assert f'href="/families/{family.id}"' in page
    detail = client.get(f"/families/{family.id}").get_data(as_text=True)
    assert "imported from the Familias file" in detail and "FAM-FAM-AF" in detail
    listed = client.get("/familias/import").get_data(as_text=True)
    assert f'href="/familias/uploads/{upload.id}"' in listed and "Every file is imported by the worker" in listed
    arabic = client.get("/familias/import", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "استيراد ملف Familias" in arabic


def test_import_through_the_api(client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    import base64

    body = {"filename": "paternity.fam", "content_base64": base64.b64encode(PATERNITY.read_bytes()).decode(),
            "family_code": "FAM-API", "missing": "MO", "case_number": "MP-2031-0009"}
    login_as("analyst")
    assert client.post("/api/v1/familias/import", json=body).status_code == 403
    login_as("coordinator")
    bad = client.post("/api/v1/familias/import", json=body | {"content_base64": "not base64!"})
    assert bad.status_code == 422 and bad.get_json()["problems"][0]["field"] == "content_base64"
    db.rollback()
    assert db.exec(select(Upload)).first() is None  # a malformed body is refused in the request
    typed = client.post("/api/v1/familias/import", json=body | {"missing": "CH"})
    assert typed.status_code == 202
    refused = typed.get_json()
    assert (refused["status"], refused["ended"], refused["result"]) == ("refused", True, {})
    assert any("person CH is typed in the file" in p["message"] and p["field"] == "missing"
               for p in refused["problems"])
    response = client.post("/api/v1/familias/import", json=body)
    assert response.status_code == 202, response.get_json()
    queued = response.get_json()
    assert queued["url"] == f"/api/v1/familias/uploads/{queued['upload_id']}"
    polled = client.get(queued["url"]).get_json()
    assert polled == queued and polled["status"] == "imported" and polled["progress"] == 1.0
    out = polled["result"]
    db.rollback()
    family = db.exec(select(Family).where(Family.code == "FAM-API")).one()
    assert out["family_id"] == family.id and [d["person"] for d in out["donors"]] == ["AF", "CH"]
    assert out["profiles"] == 2 and out["case_number"] == "MP-2031-0009"
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "post" in paths["/api/v1/familias/import"] and "get" in paths["/api/v1/familias/uploads/{upload_id}"]
    login_as("analyst")
    assert client.get(queued["url"]).status_code == 403


KETP = PATERNITY.parent / "dvir__data-raw__KETPex498.fam"


def test_a_dvi_file_through_the_page_shows_the_report(client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    login_as("coordinator")
    data = {"file": (io.BytesIO(KETP.read_bytes()), "KETPex498.fam"), "family_code": "KW", "missing": "",
            "case_number": "MP-2035", "pedigree": ""}
    response = client.post("/familias/import", data=data, content_type="multipart/form-data")
    page = _imported(client, response)
    db.rollback()
    codes = sorted(f.code for f in db.exec(select(Family).where(col(Family.code).startswith("KW-"))))
    assert codes == ["KW-M1", "KW-M2", "KW-M3"]
    for code in codes:
        assert code in page
    assert "MP-2035-M2 (Missing male 1)" in page and "KW-R1" in page
    assert "3 unidentified persons of the file were left out (V1, V2, V3)" in page and "custody" in page
    assert "reference family Exercise_4_9_8_am_data, pedigree am, Missing male 1 (M2)" in page
    assert "EF1 of reference family Exercise_4_9_8_am_data: not in the connected part of pedigree am" in page
    assert db.exec(select(Donor).where(Donor.code == "KW-R1")).one() is not None
    broken = _imported(client, client.post(
        "/familias/import", data=data | {"file": (io.BytesIO(KETP.read_bytes()[:-400]), "cut.fam"),
                                         "family_code": "KX"}, content_type="multipart/form-data"))
    assert 'data-upload-status="refused"' in broken and "Parent without Child" in broken
    db.rollback()
    assert db.exec(select(Family).where(col(Family.code).startswith("KX"))).first() is None
    arabic = _imported(client, client.post(
        "/familias/import", headers={"Accept-Language": "ar"}, content_type="multipart/form-data",
        data=data | {"file": (io.BytesIO(KETP.read_bytes()), "KETPex498.fam"), "family_code": "KA",
                     "case_number": "MP-2036"}), **{"Accept-Language": "ar"})
    assert "V1, V2, V3" in arabic
    assert "unidentified persons" not in arabic
    assert "العائلة المرجعية Exercise_4_9_8_am_data" in arabic


def test_a_dvi_file_through_the_api(client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    import base64

    login_as("coordinator")
    body = {"filename": "KETPex498.fam", "content_base64": base64.b64encode(KETP.read_bytes()).decode(),
            "family_code": "KAPI", "case_number": "MP-2037"}
    response = client.post("/api/v1/familias/import", json=body)
    assert response.status_code == 202, response.get_json()
    out = client.get(response.get_json()["url"]).get_json()["result"]
    assert out["dvi"] is True and [f["family_code"] for f in out["families"]] == ["KAPI-M1", "KAPI-M2", "KAPI-M3"]
    assert [f["missing"] for f in out["families"]] == ["Missing female 2", "Missing male 1", "Missing person"]
    assert all([d["donor_code"] for d in f["donors"]] == ["KAPI-R1"] for f in out["families"])
    assert out["victims_left_out"] == ["V1", "V2", "V3"] and "custody" in out["victims_left_out_reason"]
    assert out["profiles"] == 1
    assert [x["text"].split(": ")[1] for x in out["left_out"]] == [
        "EF1 is not in the reference pedigree's connected part",
        "Missing female 1 is not in the reference pedigree's connected part"]
    assert [(x["person"], x["typed"]) for x in out["left_out"]] == [("EF1", False), ("Missing female 1", False)]
    db.rollback()
    ids = {f.code: f.id for f in db.exec(select(Family).where(col(Family.code).startswith("KAPI-")))}
    assert ids == {f["family_code"]: f["family_id"] for f in out["families"]}
    families_before = len(db.exec(select(Family)).all())
    again = client.post("/api/v1/familias/import", json=body)
    assert again.status_code == 202 and again.get_json()["status"] == "refused"
    assert any("family KAPI-M1 exists already" in p["message"] and p["field"] == "family_code"
               for p in again.get_json()["problems"])
    db.rollback()
    assert len(db.exec(select(Family)).all()) == families_before
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert "problems" in schema["ImportJobOut"]["properties"]


def test_only_the_worker_imports_a_fam_file(app, client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    """As in production (no inline jobs): the request stores nothing but the upload and its job;
    the worker imports it with stored progress, in one transaction with the job's end."""
    from labtrack.models import AuditEntry
    from labtrack.services.worker import Worker, WorkerSettings

    app.config["JOBS_INLINE"] = False
    login_as("coordinator")
    response = _post(client, PATERNITY.read_bytes(), family_code="FAM-W", case_number="MP-2031-0077")
    assert response.status_code == 302 and re.fullmatch(r"/familias/uploads/\d+", response.location)
    db.rollback()
    upload = db.exec(select(Upload)).one()
    job = db.exec(select(Job).where(Job.subject_type == "upload", Job.subject_id == upload.id)).one()
    assert (upload.kind, upload.filename, job.status) == ("familias", "paternity.fam", "queued")
    assert db.exec(select(Family)).first() is None  # nothing imported in the request
    waiting = client.get(response.location).get_data(as_text=True)
    assert 'data-upload-status="queued"' in waiting and 'http-equiv="refresh"' in waiting
    db.rollback()
    assert Worker(app, WorkerSettings(poll_seconds=0.01)).run(once=True) == 1
    db.rollback()
    job = db.get(Job, job.id, populate_existing=True)
    assert job is not None and (job.status, job.progress, job.error) == ("done", 1.0, "")
    stages = [json.loads(e.after_json or "{}").get("stage") for e in db.exec(
        select(AuditEntry).where(AuditEntry.reason == "job progress", AuditEntry.entity_type == "job",
                                 AuditEntry.entity_id == str(job.id)).order_by(AuditEntry.seq))]
    assert stages == ["reading the file", "checking the families", "storing the families"]
    family = db.exec(select(Family).where(Family.code == "FAM-W")).one()
    assert sorted(d.code for d in db.exec(select(Donor))) == ["FAM-W-AF", "FAM-W-CH"]
    assert json.loads(db.get(Upload, upload.id, populate_existing=True).result_json)["family_id"] == family.id
    done = client.get(response.location).get_data(as_text=True)
    assert 'data-upload-status="imported"' in done and f'href="/families/{family.id}"' in done
