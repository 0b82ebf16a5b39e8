"""Pages: sites, remains, samples, storage, labels, scanning station, custody history."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.models import CustodyEvent, LabelPrint, Remains, Sample, Site, StorageLocation
from labtrack.services import custody_transfers
from tests import factories


def fresh(db: Session) -> Session:
    """End the test session's read snapshot so that what the requests committed is seen."""
    db.rollback()
    return db


def test_register_site_remains_and_sample_through_pages(client: FlaskClient, db: Session, login_as) -> None:
    login_as("technician")
    answer = client.post("/sites/", data={"code": "qtf", "name_en": "al-Qutayfah", "name_ar": "القطيفة",
                                          "latitude": "33.7", "longitude": "36.6", "status": "active"})
    assert answer.status_code == 302
    assert fresh(db).exec(select(Site)).one().name_ar == "القطيفة"
    answer = client.post("/sites/QTF/remains", data={"remains_type": "partial", "depth_m": "1.2",
                                                     "est_age_min": "20", "est_age_max": "30",
                                                     "recovery_team": "Team A"})
    assert answer.status_code == 302
    remains = fresh(db).exec(select(Remains)).one()
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert remains.accession in page and "Team A" in page
    answer = client.post(f"/samples/from/{remains.accession}", data={"sample_type": "petrous"})
    sample = fresh(db).exec(select(Sample)).one()
    assert answer.status_code == 302 and sample.sample_type == "petrous"
    answer = client.post(f"/samples/{sample.accession}/state", data={"to_state": "profiled", "reason": "typed"},
                         headers={"Referer": f"/samples/{sample.accession}"})
    assert answer.status_code == 422  # the sample page again, the refusal at the top of its form
    page = answer.get_data(as_text=True)
    assert "allowed: sealed, failed, consumed" in page and 'value="typed"' in page
    db.rollback()
    assert db.get(Sample, sample.id).state == "collected"


def test_bad_numbers_are_reported_by_field(client: FlaskClient, db: Session, login_as) -> None:
    login_as("technician")
    client.post("/sites/", data={"code": "QTF", "name_en": "Q"})
    answer = client.post("/sites/QTF/remains", data={"remains_type": "partial", "depth_m": "deep"},
                         headers={"Referer": "/sites/QTF"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'value="deep"' in page and "Enter a number, e.g. 1.5 or 1,5." in page
    assert fresh(db).exec(select(Remains)).all() == []


def test_labels_page_prints_pdf_and_records(client: FlaskClient, db: Session, users: dict, login_as) -> None:
    tech = users["technician"].user
    factories.make_site(db, tech)
    remains = factories.make_remains(db, tech)
    login_as("technician")
    answer = client.post("/labels/", data={"items": f"{remains.accession}\n", "layout": "tube"})
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF")
    answer = client.post("/labels/", data={"items": remains.accession, "layout": "zpl"},
                         headers={"Referer": "/labels/"})
    assert answer.status_code == 422  # reprint without a reason: the form again, the message beside the reason
    page = answer.get_data(as_text=True)
    assert 'id="reason-error"' in page and "a reprint needs a reason" in page and remains.accession in page
    answer = client.post("/labels/", data={"items": remains.accession, "layout": "zpl", "reason": "smudged"})
    assert answer.status_code == 200 and remains.accession.encode() in answer.data
    assert [p.reprint for p in fresh(db).exec(select(LabelPrint)).all()] == [False, True]


def test_station_page_and_item_history(client: FlaskClient, db: Session, users: dict, login_as) -> None:
    tech = users["technician"].user
    factories.make_site(db, tech)
    remains = factories.make_remains(db, tech)
    box = factories.make_box(db, tech, 1)
    wrong = custody_transfers.record_event(session=db, item_accession=remains.accession, action="store", by=tech,
                                           to_location=box.accession)
    login_as("technician")
    page = client.get("/custody/station").get_data(as_text=True)
    assert 'id="scan"' in page and "scanning.js" in page and '"\\u0636": "q"' in page
    answer = client.post(f"/custody/items/{remains.accession}/corrections",
                         data={"event_id": str(wrong.id), "to_party": "Field team 1", "reason": "never stored"})
    assert answer.status_code == 302
    page = client.get(f"/custody/items/{remains.accession}").get_data(as_text=True)
    assert "CORRECTION" in page and "corrected later" in page and f"corrects event #{wrong.id}" in page
    db.rollback()
    events = db.exec(select(CustodyEvent)).all()
    assert events[-1].corrects_event_id == wrong.id
    pdf = client.get(f"/custody/items/{remains.accession}/form.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"/storage/{box.accession}").status_code == 200


def test_storage_page_creates_locations(client: FlaskClient, db: Session, login_as) -> None:
    login_as("technician")
    answer = client.post("/storage/", data={"level": "room", "number": "1", "name": "Bone room"})
    assert answer.status_code == 302
    room = fresh(db).exec(select(StorageLocation)).one()
    answer = client.post("/storage/", data={"level": "freezer", "number": "x", "name": "F",
                                            "parent": room.accession})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Enter a whole number, e.g. 35." in page and 'value="F"' in page
    assert re.search(rf'<option selected value="{room.accession}">', page)  # the chosen parent is kept
    assert len(fresh(db).exec(select(StorageLocation)).all()) == 1


def test_viewing_a_custody_document_never_issues_one(client: FlaskClient, db: Session, users: dict,
                                                       login_as) -> None:  # noqa: ANN001
    """GET is a preview (marked, no number, nothing recorded); POST issues a numbered document,
    and issuing the same content again serves the same document instead of a new number."""
    from labtrack.models import AuditEntry, IssuedDocument
    from tests.pdf_text import pdf_text

    tech = users["technician"].user
    factories.make_site(db, tech)
    remains = factories.make_remains(db, tech)
    box = factories.make_box(db, tech, 1)
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="store", by=tech,
                                   to_location=box.accession, batch_ref="B-1")
    login_as("technician")
    audit_before = len(fresh(db).exec(select(AuditEntry)).all())
    for url in (f"/custody/items/{remains.accession}/form.pdf", "/custody/batches/B-1/manifest.pdf"):
        for _ in range(3):  # a link crawl
            preview = client.get(url)
            assert preview.status_code == 200 and "PREVIEW - NOT ISSUED" in pdf_text(preview.data)
    db.rollback()
    assert db.exec(select(IssuedDocument)).all() == []
    assert len(db.exec(select(AuditEntry)).all()) == audit_before
    first = client.post(f"/custody/items/{remains.accession}/form.pdf")
    again = client.post(f"/custody/items/{remains.accession}/form.pdf")
    assert first.status_code == again.status_code == 200 and first.data == again.data
    issued = fresh(db).exec(select(IssuedDocument)).all()
    assert len(issued) == 1 and issued[0].number in pdf_text(first.data)
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="release", by=tech,
                                   to_party="Court")
    changed = client.post(f"/custody/items/{remains.accession}/form.pdf")  # new events: a new document
    assert len(fresh(db).exec(select(IssuedDocument)).all()) == 2 and "Court" in pdf_text(changed.data)
    manifest = client.post("/custody/batches/B-1/manifest.pdf")
    assert manifest.status_code == 200 and client.post("/custody/batches/B-1/manifest.pdf").data == manifest.data
    kinds = [d.kind for d in fresh(db).exec(select(IssuedDocument)).all()]
    assert kinds.count("transfer_manifest") == 1
    page = client.get(f"/custody/items/{remains.accession}").get_data(as_text=True)
    assert 'id="custody-form-preview"' in page and 'id="custody-form-issue"' in page
