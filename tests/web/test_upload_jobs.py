"""A profile or pedigree file, large or small, is imported by the worker, never in the web request: the upload is kept,
a job is queued, the page shows the stored progress and then what was stored, or every problem
(file, row, field) with the database unchanged."""

from __future__ import annotations

import io
import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert
from sqlmodel import Session, func, select

from labtrack.core import ids
from labtrack.fixtures_path import fixtures_dir
from labtrack.models import (
    AuditEntry,
    Family,
    Job,
    MissingPerson,
    PedigreeMember,
    Profile,
    ProfileAllele,
    ProfileImport,
    Remains,
    Sample,
    Site,
    Upload,
    utcnow,
)
from labtrack.services.transaction import write
from labtrack.services.worker import Worker, WorkerSettings
from labtrack.simulation import Simulator, load_table, long_rows, write_long_csv

N_PROFILES = 300


@pytest.fixture
def worker_app(app: Flask) -> Flask:
    app.config["JOBS_INLINE"] = False  # as in production: only a worker imports the file
    return app


def _samples(db: Session, n: int) -> list[str]:
    """``n`` remains of one site with one sample each (bulk: arranging, not the subject)."""
    now = utcnow()
    with write(db, actor="test set-up", reason="test set-up"):
        site = Site(code="BLK", name_en="bulk site", next_remains_number=n + 1)
        db.add(site)
        db.flush()
        remains = [{"accession": ids.remains_id("BLK", i), "site_id": site.id, "number": i,
                    "remains_type": "complete_body", "next_sample_number": 2, "created_at": now}
                   for i in range(1, n + 1)]
        db.execute(insert(Remains.__table__), remains)  # type: ignore[attr-defined]
        remains_ids = dict(db.exec(select(Remains.accession, Remains.id)).all())
        samples = [{"accession": ids.sample_id(r["accession"], 1), "remains_id": remains_ids[r["accession"]],
                    "number": 1, "sample_type": "femur", "state": "received", "created_at": now} for r in remains]
        db.execute(insert(Sample.__table__), samples)  # type: ignore[attr-defined]
    return [s["accession"] for s in samples]


def _file(accessions: list[str]) -> bytes:
    simulator = Simulator(load_table(fixtures_dir() / "freqs" / "nist1036.csv"),
                          ["D3S1358", "vWA", "D16S539", "CSF1PO", "TPOX", "D8S1179", "D21S11", "D18S51", "D2S441",
                           "D19S433", "TH01", "FGA", "D22S1045", "D5S818", "D13S317", "D7S820"], seed=14)
    rows = [row for accession in accessions for row in long_rows(accession, simulator.founder())]
    out = io.StringIO()
    write_long_csv(rows, out)
    return out.getvalue().encode()


def _post(client: FlaskClient, raw: bytes, name: str) -> str:
    response = client.post("/profiles/import", data={"file": (io.BytesIO(raw), name), "file_format": "auto",
                                                     "kit": ""}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert re.fullmatch(r"/profiles/uploads/\d+", response.location)
    return response.location


def _work(app: Flask, db: Session) -> int:
    db.rollback()
    ran = Worker(app, WorkerSettings(poll_seconds=0.01)).run(once=True)
    db.rollback()
    return ran


def test_a_large_profile_file_is_imported_by_the_worker(worker_app: Flask, client: FlaskClient, db: Session,
                                                        login_as) -> None:
    raw = _file(_samples(db, N_PROFILES))
    assert len(raw) > 4096
    login_as("analyst")
    page = _post(client, raw, "big.csv")
    db.rollback()
    upload = db.exec(select(Upload)).one()
    assert (upload.kind, upload.filename, upload.size_bytes) == ("profiles", "big.csv", len(raw))
    job = db.exec(select(Job).where(Job.subject_type == "upload", Job.subject_id == upload.id)).one()
    assert job.status == "queued"
    assert db.exec(select(func.count()).select_from(Profile)).one() == 0  # nothing imported in the request
    waiting = client.get(page).get_data(as_text=True)
    assert 'data-upload-status="queued"' in waiting and 'http-equiv="refresh"' in waiting
    assert "Waiting for a worker" in waiting

    assert _work(worker_app, db) == 1
    job = db.get(Job, job.id, populate_existing=True)
    assert job is not None and (job.status, job.progress, job.error) == ("done", 1.0, "")
    steps = [json.loads(e.after_json or "{}") for e in db.exec(
        select(AuditEntry).where(AuditEntry.reason == "job progress", AuditEntry.entity_type == "job",
                                 AuditEntry.entity_id == str(job.id)).order_by(AuditEntry.seq))]
    # the progress was stored as the import went on, each stage as its message id too
    assert [step.get("stage") for step in steps] == ["reading the file", "checking the profiles"]
    assert [json.loads(step["stage_json"]) for step in steps] == [{"msg": "reading the file", "params": {}},
                                                                  {"msg": "checking the profiles", "params": {}}]
    assert db.exec(select(func.count()).select_from(Profile)).one() == N_PROFILES
    assert db.exec(select(func.count()).select_from(ProfileAllele)).one() == N_PROFILES * 16
    record = db.exec(select(ProfileImport)).one()
    assert record.filename == "big.csv" and record.n_profiles == N_PROFILES
    result = json.loads(db.get(Upload, upload.id, populate_existing=True).result_json)
    assert result == {"outcome": "imported", "import_id": record.id, "n_profiles": N_PROFILES,
                      "kit": record.kit, "file_format": "long"}

    done = client.get(page).get_data(as_text=True)
    assert 'data-upload-status="imported"' in done and 'http-equiv="refresh"' not in done
    assert f"Imported {N_PROFILES} profiles from big.csv" in done and upload.sha256 in done
    listed = client.get("/profiles/").get_data(as_text=True)
    assert f'href="{page}"' in listed and 'data-upload-status="imported"' in listed


def test_a_bad_large_file_reports_every_problem_and_stores_nothing(worker_app: Flask, client: FlaskClient,
                                                                  db: Session, login_as) -> None:
    accessions = _samples(db, 40)
    lines = _file(accessions).decode().splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ",abc"  # a bad allele
    lines[30] = "BLK-99999-S01-00," + lines[30].split(",", 1)[1]  # a barcode of no sample
    lines[61] = lines[61].split(",")[0] + ",D99S999,10,11"  # an unknown marker
    raw = ("\n".join(lines) + "\n").encode()
    login_as("analyst")
    audit_before = db.exec(select(func.count()).select_from(AuditEntry)).one()
    page = _post(client, raw, "bad.csv")
    assert _work(worker_app, db) == 1
    assert db.exec(select(func.count()).select_from(Profile)).one() == 0
    assert db.exec(select(func.count()).select_from(ProfileImport)).one() == 0
    assert db.exec(select(Sample.state).distinct()).all() == ["received"]
    upload = db.exec(select(Upload)).one()
    result = json.loads(upload.result_json)
    assert result["outcome"] == "refused" and result["n_problems"] == len(result["problems"]) >= 3
    where = {(p["file"], p["row"], p["field"]) for p in result["problems"]}
    assert {("bad.csv", 6), ("bad.csv", 31), ("bad.csv", 62)} <= {(f, r) for f, r, _ in where}
    assert all(f == "bad.csv" and r is not None and field for f, r, field in where)
    job = db.exec(select(Job).where(Job.subject_type == "upload")).one()
    assert job.status == "done"  # the job ran to its end; the import was refused
    # what was written: the upload, its job and their ends, nothing of the import
    written = {e.entity_type for e in db.exec(select(AuditEntry).where(AuditEntry.seq > audit_before))}
    assert written <= {"upload", "job"}

    text = client.get(page).get_data(as_text=True)
    assert 'data-upload-status="refused"' in text and "Nothing was stored" in text
    assert 'class="problems"' in text and "BLK-99999-S01-00" in text and "D99S999" in text
    assert "<td>6</td>" in text and "<td>31</td>" in text and "<td>62</td>" in text
    # the kept problems are messages: the page shows them in the reader's language
    arabic = client.get(page, headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "الأليل &#39;abc&#39; ليس عدد تكرارات (مثل 12 أو 9.3) ولا OL" in arabic
    assert "موقع جيني غير معروف &#39;D99S999&#39;" in arabic and "unknown marker" not in arabic


def test_a_small_profile_file_is_imported_by_the_worker_too(worker_app: Flask, client: FlaskClient, db: Session,
                                                            login_as) -> None:
    raw = _file(_samples(db, 2))
    login_as("analyst")
    audit_before = db.exec(select(func.count()).select_from(AuditEntry)).one()
    page = _post(client, raw, "small.csv")
    db.rollback()
    upload = db.exec(select(Upload)).one()
    assert (upload.kind, upload.filename, upload.size_bytes) == ("profiles", "small.csv", len(raw))
    assert db.exec(select(Job.status).where(Job.subject_type == "upload", Job.subject_id == upload.id)).one() \
        == "queued"
    # the request stored the file and its job, nothing of the import
    assert db.exec(select(func.count()).select_from(Profile)).one() == 0
    assert db.exec(select(func.count()).select_from(ProfileImport)).one() == 0
    assert db.exec(select(Sample.state).distinct()).all() == ["received"]
    assert {e.entity_type for e in db.exec(select(AuditEntry).where(AuditEntry.seq > audit_before))} \
        <= {"upload", "job"}
    assert 'data-upload-status="queued"' in client.get(page).get_data(as_text=True)

    assert _work(worker_app, db) == 1
    record = db.exec(select(ProfileImport)).one()
    assert (record.filename, record.n_profiles) == ("small.csv", 2)
    assert db.exec(select(func.count()).select_from(Profile)).one() == 2
    assert db.exec(select(Sample.state).distinct()).all() == ["profiled"]
    text = client.get(page).get_data(as_text=True)
    assert 'data-upload-status="imported"' in text and "Imported 2 profiles from small.csv" in text


def test_another_kind_of_upload_page_is_not_found(worker_app: Flask, client: FlaskClient, db: Session,
                                                  login_as) -> None:
    login_as("analyst")
    assert client.get("/profiles/uploads/999").status_code == 404
    login_as("technician")
    assert client.get("/profiles/uploads/1").status_code == 403


def _pedigrees(n: int) -> list[str]:
    lines = ["family_id,person_id,father_id,mother_id,sex,sample_id,missing"]
    for i in range(1, n + 1):
        lines += [f"FAM-B{i:04d},FA,,,1,,0", f"FAM-B{i:04d},MO,,,2,,0", f"FAM-B{i:04d},MP,FA,MO,1,,1"]
    return lines


def test_a_large_pedigree_file_is_imported_by_the_worker(worker_app: Flask, client: FlaskClient, db: Session,
                                                         login_as) -> None:
    raw = ("\n".join(_pedigrees(150)) + "\n").encode()
    assert len(raw) > 4096
    login_as("coordinator")
    response = client.post("/families/import", data={"file": (io.BytesIO(raw), "pedigrees.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and re.fullmatch(r"/families/uploads/\d+", response.location)
    db.rollback()
    assert db.exec(select(func.count()).select_from(Family)).one() == 0
    assert 'data-upload-status="queued"' in client.get(response.location).get_data(as_text=True)
    assert _work(worker_app, db) == 1
    assert db.exec(select(func.count()).select_from(Family)).one() == 150
    assert db.exec(select(func.count()).select_from(PedigreeMember)).one() == 450
    assert db.exec(select(func.count()).select_from(MissingPerson)).one() == 150
    text = client.get(response.location).get_data(as_text=True)
    assert 'data-upload-status="imported"' in text and "Imported 150 families." in text
    assert f'href="{response.location}"' in client.get("/families/").get_data(as_text=True)
    login_as("analyst")
    assert client.get(response.location).status_code == 403


def test_a_small_pedigree_file_is_imported_by_the_worker_too(app: Flask, client: FlaskClient, db: Session,
                                                             login_as) -> None:
    app.config["JOBS_INLINE"] = False  # as in production: only a worker imports the file
    raw = ("\n".join(_pedigrees(1)) + "\n").encode()
    login_as("coordinator")
    audit_before = db.exec(select(func.count()).select_from(AuditEntry)).one()
    response = client.post("/families/import", data={"file": (io.BytesIO(raw), "small-pedigrees.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and re.fullmatch(r"/families/uploads/\d+", response.location)
    db.rollback()
    upload = db.exec(select(Upload)).one()
    assert (upload.kind, upload.filename, upload.size_bytes) == ("pedigrees", "small-pedigrees.csv", len(raw))
    assert db.exec(select(Job.status).where(Job.subject_type == "upload", Job.subject_id == upload.id)).one() \
        == "queued"
    # the request stored the file and its job, nothing of the import
    assert db.exec(select(func.count()).select_from(Family)).one() == 0
    assert db.exec(select(func.count()).select_from(MissingPerson)).one() == 0
    assert {e.entity_type for e in db.exec(select(AuditEntry).where(AuditEntry.seq > audit_before))} \
        <= {"upload", "job"}
    assert 'data-upload-status="queued"' in client.get(response.location).get_data(as_text=True)

    assert _work(app, db) == 1
    assert db.exec(select(Family.code)).all() == ["FAM-B0001"]
    assert db.exec(select(func.count()).select_from(PedigreeMember)).one() == 3
    assert json.loads(db.get(Upload, upload.id, populate_existing=True).result_json) == {
        "outcome": "imported", "n_families": 1, "first_families": ["FAM-B0001"]}
    text = client.get(response.location).get_data(as_text=True)
    assert 'data-upload-status="imported"' in text and "Imported 1 family." in text


def test_a_bad_large_pedigree_file_reports_every_problem_and_stores_nothing(
        worker_app: Flask, client: FlaskClient, db: Session, login_as) -> None:
    lines = _pedigrees(150)
    lines[2] = "FAM-B0001,MO,,,2,,1"  # a second missing person in family FAM-B0001
    lines[200] = lines[200].rsplit(",", 2)[0] + ",REF-99999-A-00,0"  # no such reference sample
    raw = ("\n".join(lines) + "\n").encode()
    login_as("coordinator")
    response = client.post("/families/import", data={"file": (io.BytesIO(raw), "bad-pedigrees.csv")},
                           content_type="multipart/form-data")
    assert _work(worker_app, db) == 1
    assert db.exec(select(func.count()).select_from(Family)).one() == 0
    assert db.exec(select(func.count()).select_from(PedigreeMember)).one() == 0
    assert db.exec(select(func.count()).select_from(MissingPerson)).one() == 0
    result = json.loads(db.exec(select(Upload)).one().result_json)
    assert result["outcome"] == "refused"
    assert {p["field"] for p in result["problems"]} >= {"sample_id"}
    assert 201 in {p["row"] for p in result["problems"]} and all(p["file"] == "bad-pedigrees.csv"
                                                                 for p in result["problems"])
    text = client.get(response.location).get_data(as_text=True)
    assert 'data-upload-status="refused"' in text and "REF-99999-A-00" in text
    assert "where exactly one is expected" in text


def test_a_large_file_only_checked_by_the_worker_stores_nothing(worker_app: Flask, client: FlaskClient,
                                                               db: Session, login_as) -> None:
    lines = _file([f"UNREGISTERED-{i}" for i in range(40)]).decode().splitlines()
    lines[7] = lines[7].rsplit(",", 1)[0] + ",abc"  # a bad allele (sample IDs need not exist to check)
    raw = ("\n".join(lines) + "\n").encode()
    login_as("analyst")
    response = client.post("/profiles/import", data={"file": (io.BytesIO(raw), "check.csv"), "file_format": "auto",
                                                     "kit": "", "check_only": "y"},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert _work(worker_app, db) == 1
    assert db.exec(select(func.count()).select_from(Profile)).one() == 0
    result = json.loads(db.exec(select(Upload)).one().result_json)
    assert (result["outcome"], result["n_profiles"], result["n_problems"]) == ("checked", 40, 1)
    assert result["problems"][0]["row"] == 8 and result["problems"][0]["file"] == "check.csv"
    text = client.get(response.location).get_data(as_text=True)
    assert 'data-upload-status="checked"' in text and "40 profiles, 1 problem" in text
    assert "Nothing was stored" in text and "<td>8</td>" in text
    # the profiles read, as the check's table lists them
    read = [f"UNREGISTERED-{i}" for i in range(40)]
    assert [p["sample_id"] for p in result["profiles"]] == read
    # (the bad allele is in the first sample's rows; every other sample has its 16 loci, no mixture)
    assert all(p["loci"] == 16 and p["mixture"] is False for p in result["profiles"][1:])
    assert re.findall(r'<td class="mono"><bdi dir="ltr">(UNREGISTERED-\d+)', text) == read
