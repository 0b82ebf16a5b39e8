"""Label prints are recorded (reprints need a reason); custody forms list every event."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlmodel import Session, select

from labtrack.core import ids
from labtrack.core.errors import ValidationFailed
from labtrack.models import AuditEntry, IssuedDocument, LabelPrint
from labtrack.services import custody_corrections, custody_documents, custody_state, custody_transfers, labels
from tests import factories


@pytest.fixture
def tech(users: dict):
    return users["technician"].user


def test_prints_and_reprints_are_recorded(db: Session, tech) -> None:
    factories.make_site(db, tech)
    first, second = factories.make_remains(db, tech), factories.make_remains(db, tech)
    content, prints = labels.print_labels(session=db, accessions=[first.accession], layout="roll", by=tech)
    assert content.startswith(b"%PDF") and not prints[0].reprint
    with pytest.raises(ValidationFailed, match="No labels were printed") as refused:
        labels.print_labels(session=db, accessions=[second.accession, first.accession], layout="sheet", by=tech)
    assert [(p.field, first.accession in str(p.message) and "reprint needs a reason" in str(p.message))
            for p in refused.value.problems] == [("reason", True)]
    _, again = labels.print_labels(session=db, accessions=[second.accession, first.accession], layout="sheet",
                                   by=tech, reason="label torn")
    assert [p.reprint for p in again] == [False, True] and again[1].reason == "label torn"
    rows = db.exec(select(LabelPrint)).all()
    assert len(rows) == 3 and all(r.printed_by_id == tech.id and r.document_id for r in rows)
    document = db.get(IssuedDocument, rows[-1].document_id)
    assert document.kind == "labels" and "sheet" in document.params_json
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "issue_document")).first() is not None


def test_bad_ids_are_all_reported_and_nothing_printed(db: Session, tech) -> None:
    factories.make_site(db, tech)
    remains = factories.make_remains(db, tech)
    with pytest.raises(ValidationFailed) as refused:
        labels.print_labels(session=db, accessions=[remains.accession, "QTF-00001-XX", ids.remains_id("QTF", 50)],
                            layout="sheet", by=tech)
    assert [p.row for p in refused.value.problems] == [2, 3]
    assert db.exec(select(LabelPrint)).all() == []


def test_custody_form_lists_every_event(db: Session, users: dict, tech, tmp_path: Path) -> None:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext not installed")
    factories.make_site(db, tech)
    remains = factories.make_remains(db, tech)
    box = factories.make_box(db, tech, 1)
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="receive", by=tech)
    wrong = custody_transfers.record_event(session=db, item_accession=remains.accession, action="handover", by=tech,
                                           to_user=users["analyst"].user)
    custody_corrections.correct_event(session=db, event_id=wrong.id, by=tech, reason="scanned wrong badge",
                                      to_user=users["admin"].user)
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="ship", by=tech,
                                   to_party="Partner lab", seal_number="SEAL-778")
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="receive", by=tech,
                                   seal_intact=True)
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="store", by=tech,
                                   to_location=box.accession)
    document, pdf = custody_documents.issue_custody_form(session=db, accession=remains.accession, by=tech,
                                                         lab_name="Test lab")
    (tmp_path / "form.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "form.pdf"), "-"], capture_output=True,
                          text=True).stdout
    events = custody_state.events_of(db, custody_state.get_item(db, remains.accession))
    assert len(events) == 7
    for event in events:
        assert f"{event.at:%Y-%m-%d %H:%M:%S}" in text
    for word in ("registered", "received", "handed over", "CORRECTION", f"corrects event #{wrong.id}",
                 "sent out", "SEAL-778 (intact)", "stored", box.accession, document.number, remains.accession):
        assert word in text, word
    assert document.sha256 and db.exec(select(AuditEntry).where(AuditEntry.action == "issue_document")).first()


def test_manifest_lists_the_batch(db: Session, tech, tmp_path: Path) -> None:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext not installed")
    factories.make_site(db, tech)
    items = [factories.make_remains(db, tech) for _ in range(3)]
    result = custody_transfers.record_batch(session=db, by=tech, requests=[
        custody_transfers.EventRequest(item_accession=r.accession, action="ship", to_party="Partner lab",
                                       seal_number=f"S-{n}") for n, r in enumerate(items)])
    document, pdf = custody_documents.issue_manifest(session=db, batch_ref=result.batch_ref, by=tech,
                                                     lab_name="Test lab")
    (tmp_path / "m.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "m.pdf"), "-"], capture_output=True, text=True).stdout
    for n, remains in enumerate(items):
        assert remains.accession in text and f"S-{n}" in text
    assert document.number in text and result.batch_ref in text


def test_labels_carry_the_sites_arabic_name(db: Session, tech) -> None:
    from labtrack.services import intake
    from tests.pdf_text import pdf_text

    intake.create_site(session=db, data=intake.SiteInput(code="NJH", name_en="Najha", name_ar="مقبرة نجها"), by=tech)
    remains = factories.make_remains(db, tech, site_code="NJH")
    content, _ = labels.print_labels(session=db, accessions=[remains.accession], layout="sheet", by=tech)
    text = pdf_text(content)
    assert remains.accession in text and "NJH Najha" in text and "مقبرة نجها" in text
