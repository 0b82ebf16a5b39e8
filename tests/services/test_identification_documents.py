"""Match report, certificate, notification report: content, refusals, re-issues, reproducibility."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from sqlmodel import Session, select

from labtrack.core.errors import Conflict, NotFound, ValidationFailed
from labtrack.models import AuditEntry, FrequencyEntry, Identification, IssuedDocument
from labtrack.services import identification_documents as docs
from labtrack.services import review
from labtrack.services.transaction import write
from tests import factories, review_factories
from tests.factories import PASSWORD
from tests.pdf_text import pdf_text, render_png
from tests.review_factories import make_candidate


@pytest.fixture
def identified(db: Session):
    first, second = factories.make_user(db, "analyst", "ana1"), factories.make_user(db, "analyst", "ana2")
    c = make_candidate(db, first.user)
    review.propose(session=db, match_id=c.match.id, by=first.user, decision="confirm", reason="consistent",
                   password=PASSWORD)
    approval = review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD)
    return c, approval.identification, first, second


def test_match_report_text(db: Session, identified) -> None:
    c, _ident, first, second = identified
    with write(db, actor="t"):
        db.add_all([FrequencyEntry(table_id=c.run.frequency_table_id, marker="D3S1358", allele="15", frequency=0.24615),
                    FrequencyEntry(table_id=c.run.frequency_table_id, marker="FGA", allele="22", frequency=0.2)])
    document, pdf = docs.issue_match_report(session=db, match_id=c.match.id, by=first.user, lab_name="Test lab")
    text = pdf_text(pdf)
    for expected in (document.number, c.remains.accession, c.family.family.code,
                     c.family.missing_person.case_number, "9.2000", "99.9999 %", "0.001", "D3S1358", "9.3/9.3",
                     "mutation", "0.24615", "labtrack-kinship 0.1.0", "theta=0.01", "Test Analyst", "approve",
                     f"/review/matches/{c.match.id}?doc={document.number}"):
        assert expected in text, expected
    assert "FGA" not in text  # only the frequencies of alleles in the evidence
    # blind: the analysts' report carries no names
    assert c.family.missing_person.name_latin not in text


def test_certificate_text_and_audit(db: Session, identified) -> None:
    c, ident, first, _ = identified
    document, pdf = docs.issue_certificate(session=db, identification_id=ident.id, by=first.user)
    text = pdf_text(pdf)
    for expected in (document.number, "Ahmad Khalil al-Masri", "أحمد خليل المصري", c.remains.accession,
                     "QTF mass grave", c.family.missing_person.case_number, "approved", "reviewed",
                     "DNA kinship analysis", "complete body"):
        assert expected in text, expected
    assert "complete_body" not in text  # words, not the database's codes
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "issue_document")).one()
    assert json.loads(entry.after_json)["sha256"] == hashlib.sha256(pdf).hexdigest() == document.sha256


def test_notification_report_arabic_and_png(db: Session, identified) -> None:
    c, ident, _, _ = identified
    coordinator = factories.make_user(db, "coordinator")
    document, pdf = docs.issue_notification(session=db, identification_id=ident.id, by=coordinator.user,
                                            lab_name="Test lab", lab_contact="+000 111 222")
    text = pdf_text(pdf)
    assert "أحمد خليل المصري" in text  # logical order after extraction (NFKC folds presentation forms)
    assert "تقرير إبلاغ العائلة" in text
    for expected in (document.number, "Ahmad Khalil al-Masri", c.remains.accession, "What happens next",
                     "+000 111 222", c.family.missing_person.case_number, "Your family coordinator",
                     coordinator.user.full_name, "named above", "named at the end of this letter", "أعلاه"):
        assert expected in text, expected
    assert "named below" not in text  # the name is printed above the sentence
    # the page decoration speaks the families' language: issued, page x of y, verify
    assert "صدرت في" in text and "للتحقق" in text and "نقطة تحقق سجل التدقيق" in text
    squeezed = text.replace(" ", "")  # pdftotext spaces the mixed line oddly
    pages = text.count("\f")
    assert all(re.search(f"(الصفحة{k}من{pages}|{k}من{pages}·?الصفحة)", squeezed) for k in range(1, pages + 1)), \
        [line for line in squeezed.splitlines() if "الصفحة" in line]
    assert "issued 20" not in text and "page 1 of" not in text
    assert json.loads(db.get(IssuedDocument, document.id).params_json)["language"] == "ar"
    assert text.index("Ahmad Khalil al-Masri") < text.index("named above")
    assert text.index(coordinator.user.full_name) > text.index("named at the end of this letter")
    png = render_png(pdf, "notification-report-page1")
    assert png.stat().st_size > 10_000


def test_rerendering_reproduces_the_stored_hash(db: Session, identified) -> None:
    c, ident, first, _ = identified
    issued = [docs.issue_match_report(session=db, match_id=c.match.id, by=first.user)[0],
              docs.issue_certificate(session=db, identification_id=ident.id, by=first.user)[0],
              docs.issue_notification(session=db, identification_id=ident.id, by=first.user)[0]]
    for document in issued:
        stored = db.get(IssuedDocument, document.id)
        assert hashlib.sha256(docs.render_stored(stored)).hexdigest() == stored.sha256


def test_reissue_keeps_record_and_says_so(db: Session, identified) -> None:
    _c, ident, first, _ = identified
    original, _ = docs.issue_certificate(session=db, identification_id=ident.id, by=first.user)
    with pytest.raises(ValidationFailed):
        docs.reissue(session=db, document_id=original.id, by=first.user, reason=" ")
    copy, pdf = docs.reissue(session=db, document_id=original.id, by=first.user, reason="family lost it")
    again, _ = docs.reissue(session=db, document_id=copy.id, by=first.user, reason="second copy")
    assert copy.reissue_of_id == original.id and again.reissue_of_id == original.id
    assert (copy.record_type, copy.record_id) == (original.record_type, original.record_id)
    assert copy.number != original.number
    assert f"RE-ISSUE of {original.number}" in pdf_text(pdf)
    assert hashlib.sha256(docs.render_stored(db.get(IssuedDocument, copy.id))).hexdigest() == copy.sha256


def test_no_certificate_for_an_unapproved_identification(db: Session) -> None:
    first = factories.make_user(db, "analyst", "ana1")
    c = make_candidate(db, first.user)
    review.propose(session=db, match_id=c.match.id, by=first.user, decision="confirm", reason="ok",
                   password=PASSWORD)
    # a row written around the review (e.g. by a script) is not an approved identification
    with write(db, actor="script"):
        rogue = Identification(match_id=c.match.id, remains_id=c.remains.id,
                               missing_person_id=c.family.missing_person.id, approved_by_id=first.id)
        db.add(rogue)
    with pytest.raises(Conflict, match="not been approved by a second analyst"):
        docs.issue_certificate(session=db, identification_id=rogue.id, by=first.user)
    with pytest.raises(Conflict):
        docs.issue_notification(session=db, identification_id=rogue.id, by=first.user)
    with pytest.raises(NotFound):
        docs.issue_certificate(session=db, identification_id=9999, by=first.user)
    assert db.exec(select(IssuedDocument)).all() == []


def _identify_person(db: Session, name_ar: str):
    first, second = factories.make_user(db, "analyst", "ana1"), factories.make_user(db, "analyst", "ana2")
    site = review_factories.make_site(db)
    remains = review_factories.make_remains(db, site)
    family = review_factories.make_family(db, name_ar=name_ar)
    run = review_factories.make_run(db, first.user)
    match = review_factories.make_match(db, run=run, remains=remains, family=family)
    review.propose(session=db, match_id=match.id, by=first.user, decision="confirm", reason="ok", password=PASSWORD)
    return review.approve(session=db, match_id=match.id, by=second.user, password=PASSWORD).identification, first


def test_arabic_name_with_diacritics_and_hidden_controls(db: Session) -> None:
    ident, first = _identify_person(db, "\u202eأَحْمَد\u202c خَلِيل المِصْرِي")
    _document, pdf = docs.issue_notification(session=db, identification_id=ident.id, by=first.user)
    assert "أَحْمَد خَلِيل المِصْرِي" in pdf_text(pdf)  # harakat kept, the override character dropped
    render_png(pdf, "notification-report-diacritics")


def test_arabic_name_mixing_scripts_is_refused_with_a_clear_message(db: Session) -> None:
    ident, first = _identify_person(db, "Ahmad أحمد المصري")
    for issue in (docs.issue_notification, docs.issue_certificate):
        with pytest.raises(ValidationFailed) as info:
            issue(session=db, identification_id=ident.id, by=first.user)
        assert info.value.problems[0].field == "name_ar"
        assert "mixes Arabic and Latin letters ('Ahmad')" in info.value.problems[0].message
    assert db.exec(select(IssuedDocument)).all() == []


def test_qr_code_points_back_to_the_record(db: Session, identified) -> None:
    import subprocess

    _c, ident, first, _ = identified
    document, pdf = docs.issue_certificate(session=db, identification_id=ident.id, by=first.user)
    png = render_png(pdf, "certificate-page1")
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True).stdout
    assert decoded.strip() == f"/review/identifications/{ident.id}?doc={document.number}"


def test_downloads_serve_the_stored_bytes_even_when_the_renderer_changes(client, db: Session, identified,
                                                                           monkeypatch) -> None:
    """A new reportlab or a new layout must neither alter nor lock a document issued before."""
    from labtrack.models import IssuedDocumentContent
    from labtrack.services import issued_documents
    from tests.conftest import login

    c, ident, first, _ = identified
    document, pdf = docs.issue_certificate(session=db, identification_id=ident.id, by=first.user)
    assert db.get(IssuedDocumentContent, document.id).pdf == pdf
    monkeypatch.setitem(docs.RENDERERS, "certificate", lambda params, number: b"%PDF-1.4 a newer layout")
    login(client, first)
    answer = client.get(f"/documents/{document.id}.pdf")
    assert answer.status_code == 200 and answer.data == pdf
    assert hashlib.sha256(answer.data).hexdigest() == document.sha256
    assert c.remains.accession in pdf_text(answer.data)
    # a document issued before the bytes were kept is re-rendered, and refused if that differs
    with write(db, actor=first.user):
        legacy = IssuedDocument(number="DOC-2025-000001-XX", kind="certificate", record_type="identification",
                                record_id=ident.id, sha256=issued_documents.sha256_hex(pdf),
                                params_json=document.params_json, issued_by_id=first.id)
        db.add(legacy)
    refused = client.get(f"/documents/{legacy.id}.pdf")
    assert refused.status_code == 409 and b"does not re-render" in refused.data
    monkeypatch.setitem(docs.RENDERERS, "certificate", lambda params, number: pdf)
    assert client.get(f"/documents/{legacy.id}.pdf").data == pdf


def test_stored_document_bytes_cannot_be_changed(db: Session, identified) -> None:
    from sqlalchemy.exc import DBAPIError

    from labtrack.models import IssuedDocumentContent

    c, _ident, first, _ = identified
    document, _pdf = docs.issue_match_report(session=db, match_id=c.match.id, by=first.user)
    with pytest.raises(DBAPIError, match="append-only"):
        db.exec(IssuedDocumentContent.__table__.update()  # type: ignore[attr-defined]
                .where(IssuedDocumentContent.document_id == document.id).values(pdf=b"forged"))
    db.rollback()


def test_with_a_public_base_url_the_qr_code_opens_the_public_verification_page(
        client, db: Session, identified) -> None:  # noqa: ANN001
    """The QR code holds an absolute address a phone can open; the page, open to anyone, says
    only whether the document is genuine and whether a given file is that document."""
    import subprocess

    c, ident, first, _ = identified
    document, pdf = docs.issue_certificate(session=db, identification_id=ident.id, by=first.user,
                                           public_base_url="https://lab.example.org/")
    png = render_png(pdf, "certificate-public-qr")
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True).stdout
    assert decoded.strip() == f"https://lab.example.org/verify/{document.number}"
    assert f"Verify: https://lab.example.org/verify/{document.number}" in pdf_text(pdf)
    page = client.get(f"/verify/{document.number}")  # nobody logged in
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-verdict="genuine"' in text and document.sha256 in text
    name = c.family.missing_person.name_latin
    assert name not in text and c.family.missing_person.case_number not in text  # no case data
    same = client.post(f"/verify/{document.number}", data={"file": (__import__("io").BytesIO(pdf), "c.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-matches="yes"' in same
    forged = pdf.replace(b"Identification certificate", b"Identification certificatX", 1)
    other = client.post(f"/verify/{document.number}", data={"file": (__import__("io").BytesIO(forged), "c.pdf")},
                        content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-matches="no"' in other
    unknown = client.get("/verify/DOC-0000-999999")
    assert unknown.status_code == 404 and 'data-verdict="unknown"' in unknown.get_data(as_text=True)
    db.rollback()
    assert len(db.exec(select(IssuedDocument)).all()) == 1  # verifying issues nothing


def test_a_second_certificate_or_notification_is_a_reissue_with_a_reason(db: Session, identified) -> None:
    _c, ident, first, _ = identified
    original, _ = docs.issue_certificate(session=db, identification_id=ident.id, by=first.user)
    with pytest.raises(Conflict, match=f"already issued for identification {ident.id} \\({original.number}\\)"):
        docs.issue_certificate(session=db, identification_id=ident.id, by=first.user)
    note, _ = docs.issue_notification(session=db, identification_id=ident.id, by=first.user)
    with pytest.raises(Conflict, match="re-issue it with a reason"):
        docs.issue_notification(session=db, identification_id=ident.id, by=first.user)
    copy, pdf = docs.reissue(session=db, document_id=original.id, by=first.user, reason="family lost it")
    assert f"RE-ISSUE of {original.number}" in pdf_text(pdf) and copy.reissue_of_id == original.id
    kinds = [d.kind for d in db.exec(select(IssuedDocument)).all()]
    assert kinds.count("certificate") == 2 and kinds.count("notification") == 1 and note.id


def test_a_get_of_a_document_url_issues_nothing_and_writes_no_audit_entry(client, db: Session,
                                                                          identified) -> None:  # noqa: ANN001
    from tests.conftest import login

    _c, ident, first, _ = identified
    document, _pdf = docs.issue_certificate(session=db, identification_id=ident.id, by=first.user)
    login(client, first)
    db.rollback()
    before = (len(db.exec(select(IssuedDocument)).all()), len(db.exec(select(AuditEntry)).all()))
    for _ in range(3):  # a link crawl
        assert client.get(f"/documents/{document.id}.pdf").status_code == 200
        assert client.get(f"/verify/{document.number}").status_code == 200
    db.rollback()
    assert (len(db.exec(select(IssuedDocument)).all()), len(db.exec(select(AuditEntry)).all())) == before
