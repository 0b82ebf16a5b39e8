"""From an empty database to the family: site → remains → sample → custody → profiles → match run →
two-analyst review → match report and certificate → notification (Arabic) → handover.

Setup steps call the services (as the pages do); the review, documents, notification and handover
go through the web pages with real logins. Every PDF is read back with pdftotext.
"""

from __future__ import annotations

import json
import math

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.core import ids
from labtrack.fixtures_path import fixtures_dir
from labtrack.models import (
    CustodyEvent,
    CustodyItem,
    Identification,
    IssuedDocument,
    Match,
    MatchRun,
    MissingPerson,
)
from labtrack.services import (
    audit,
    consent,
    custody_state,
    custody_transfers,
    donors,
    frequencies,
    intake,
    missing_persons,
    pedigree_exchange,
    profile_import,
    samples,
    storage,
)
from tests import factories
from tests.conftest import login
from tests.pdf_text import pdf_text, render_png
from tests.tools import require

NAME_AR = "أحمد خليل المصري"
NAME_LATIN = "Ahmad Khalil al-Masri"


def _document(db: Session, kind: str) -> IssuedDocument:
    db.rollback()  # a fresh snapshot: the document was issued by a request
    document = db.exec(select(IssuedDocument).where(IssuedDocument.kind == kind)).first()
    assert document is not None, f"no {kind} issued"
    return document


def test_the_whole_path(app: Flask, client: FlaskClient, db: Session) -> None:
    require("pdftotext", "pdftoppm")
    tech = factories.make_user(db, "technician", "tech")
    first = factories.make_user(db, "analyst", "ana1")
    second = factories.make_user(db, "analyst", "ana2")
    coordinator = factories.make_user(db, "coordinator", "coord")

    # site, remains, sample, storage
    site = intake.create_site(session=db, by=tech.user, data=intake.SiteInput(
        code="QTF", name_en="al-Qutayfah mass grave", name_ar="مقبرة القطيفة الجماعية"))
    remains = intake.register_remains(session=db, site_code=site.code, by=tech.user, data=intake.RemainsInput(
        remains_type="complete_body", est_sex="M", est_age_min=25, est_age_max=40, est_stature_cm=172,
        recovery_team="Field team 1"))
    assert remains.accession == ids.remains_id("QTF", 1)
    sample = samples.take_sample(session=db, remains_accession=remains.accession, sample_type="femur", by=tech.user)
    room = storage.create_location(session=db, name="Bone room", level="room", number=1, parent_accession=None,
                                   by=tech.user)
    freezer = storage.create_location(session=db, name="Freezer 1", level="freezer", number=1,
                                      parent_accession=room.accession, by=tech.user)
    box = storage.create_location(session=db, name="Freezer 1 box 1", level="box", number=1,
                                  parent_accession=freezer.accession, by=tech.user)

    # custody: field team → lab reception → freezer box
    custody_transfers.record_event(session=db, item_accession=sample.accession, action="receive", by=tech.user,
                                   to_user=tech.user, reason="received at the lab")
    custody_transfers.record_event(session=db, item_accession=sample.accession, action="store", by=tech.user,
                                   to_location=box.accession)
    item = db.exec(select(CustodyItem).where(CustodyItem.accession == sample.accession)).one()
    where = custody_state.state_of(db, item)
    assert where.location is not None and where.location.accession == box.accession

    # the family: missing person, father and mother as donors, the pedigree
    person = missing_persons.register_missing_person(session=db, by=coordinator.user, case_number="MP-2025-0001",
                                                     sex="M", name_ar=NAME_AR, name_latin=NAME_LATIN, birth_year=1992,
                                                     height_cm=174, contact_name="Mariam al-Masri")
    father, father_sample = donors.register_donor(session=db, by=coordinator.user, code="D-0002", sex="M",
                                                  name_latin="Khalil al-Masri")
    mother, mother_sample = donors.register_donor(session=db, by=coordinator.user, code="D-0001", sex="F",
                                                  name_latin="Mariam al-Masri")
    for donor in (father, mother):
        consent.grant(session=db, donor_id=donor.id or 0, by=coordinator.user, retention_years=25)
    pedigree = (
        "family_id,person_id,father_id,mother_id,sex,sample_id,missing\n"
        f"MP-2025-0001,F,,,1,{father_sample.accession},0\n"
        f"MP-2025-0001,M,,,2,{mother_sample.accession},0\n"
        "MP-2025-0001,MP,F,M,1,,1\n"
    )
    pedigree_exchange.import_pedigrees(session=db, raw=pedigree.encode(), filename="pedigrees.csv", by=coordinator.user)

    # profiles (the son's femur and both parents) and the frequency table
    raw = factories.demo_genotypes({"QTF-00001-S01-S0": sample.accession,
                                    "REF-00002-A-KP": father_sample.accession,
                                    "REF-00001-A-CA": mother_sample.accession})
    profile_import.import_profiles(session=db, raw=raw, filename="typing-run-1.csv", by=first.user)
    frequencies.import_table(session=db, raw=(fixtures_dir() / "freqs" / "nist1036.csv").read_bytes(),
                             filename="nist1036.csv", name="NIST 1036", make_default=True, by=first.user)

    # match run, started by the first analyst from the page
    login(client, first)
    started = client.post("/matching/", data={"theta": "0", "top_k": "3", "report_log10_lr": "3"})
    assert started.status_code == 302, started.get_data(as_text=True)[-3000:]
    db.rollback()
    run = db.exec(select(MatchRun)).one()
    assert run.status == "done", run.error
    match = db.exec(select(Match)).one()
    assert match.log10_lr > 10 and match.posterior > 0.9995
    page = client.get(f"/review/matches/{match.id}").get_data(as_text=True)
    assert remains.accession in page and NAME_AR not in page and NAME_LATIN not in page  # blind processing
    d3 = next(row for row in json.loads(match.per_locus_json) if row["marker"] == "D3S1358")
    assert "/".join(d3["relatives"]["F"]) in page and "/".join(d3["remains"]) in page

    # four eyes: the first analyst proposes, the second approves, each signing with a password
    proposed = client.post(f"/review/matches/{match.id}/propose", follow_redirects=True, data={
        "decision": "confirm", "reason": "all loci consistent with the parents", "password": factories.PASSWORD})
    assert "A second analyst must now approve it" in proposed.get_data(as_text=True), proposed.get_data(as_text=True)
    client.post("/logout")
    login(client, second)
    approved = client.post(f"/review/matches/{match.id}/approve", follow_redirects=True,
                           data={"password": factories.PASSWORD, "reason": "agreed"})
    assert "the remains are identified" in approved.get_data(as_text=True)
    db.rollback()  # end the test session's read snapshot: see what the requests wrote
    ident = db.exec(select(Identification)).one()
    assert ident.remains_id == remains.id and ident.missing_person_id == person.id
    db.refresh(person)
    assert person.status == "identified"

    # the DNA match report and the certificate
    client.post(f"/documents/matches/{match.id}/report")
    client.post(f"/documents/identifications/{ident.id}/certificate")
    report = client.get(f"/documents/{_document(db, 'match_report').id}.pdf")
    assert report.status_code == 200 and report.mimetype == "application/pdf"
    report_text = pdf_text(report.data)
    assert remains.accession in report_text and sample.accession in report_text
    assert f"{match.log10_lr:.2f}" in report_text or f"{10 ** match.log10_lr:.3e}" in report_text
    certificate_doc = _document(db, "certificate")
    certificate_text = pdf_text(client.get(f"/documents/{certificate_doc.id}.pdf").data)
    assert NAME_LATIN in certificate_text and remains.accession in certificate_text
    assert "MP-2025-0001" in certificate_text and certificate_doc.number in certificate_text
    assert "al-Qutayfah" in certificate_text

    # the coordinator tells the family (Arabic report) and hands the remains over
    client.post("/logout")
    login(client, coordinator)
    client.post(f"/documents/identifications/{ident.id}/notification")
    notification = client.get(f"/documents/{_document(db, 'notification').id}.pdf").data
    notification_text = pdf_text(notification)
    assert NAME_AR in notification_text and NAME_LATIN in notification_text
    assert remains.accession in notification_text
    assert render_png(notification, "e2e-notification-report").stat().st_size > 10_000
    client.post(f"/notifications/persons/{person.id}/notified",
                data={"method": "in_person", "note": "at the family centre", "identification_id": str(ident.id)})
    client.post(f"/notifications/remains/{remains.id}/handover",
                data={"to_party": "Mariam al-Masri (mother)", "seal_number": "S-77"})
    db.rollback()
    remains_item = db.exec(select(CustodyItem).where(CustodyItem.remains_id == remains.id)).one()
    last = db.exec(select(CustodyEvent).where(CustodyEvent.item_id == remains_item.id)
                   .order_by(CustodyEvent.id.desc())).first()  # type: ignore[union-attr]
    assert last is not None and last.action == "release" and "Mariam" in last.to_party

    # every document's hash is in the audit log, and the chain verifies
    for document in db.exec(select(IssuedDocument)).all():
        entries = audit.history(db, "issued_document", str(document.id))
        assert any(document.sha256 in entry.after_json for entry in entries)
    result = audit.verify_chain(db)
    assert result.ok and result.entries > 50
    assert math.isfinite(match.log10_lr)
    assert db.exec(select(MissingPerson)).one().status == "identified"
