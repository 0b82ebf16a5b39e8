"""The DNA match report and the identification certificate in the language of the person who
issues them: issued from an Arabic page they say their words in Arabic (shaped, Amiri, right to
left), keep IDs, genotypes and LR values as they are, keep the language with the document (a
re-issue says "re-issue" in Arabic too); issued from an English page they stay English."""

from __future__ import annotations

import json
import re

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.models import Identification, IssuedDocument
from labtrack.services import review
from tests import factories
from tests.factories import PASSWORD
from tests.pdf_text import pdf_text, render_png
from tests.review_factories import make_candidate

ARABIC = {"Accept-Language": "ar"}
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def approved(db: Session, users: dict):  # noqa: ANN201
    first, second = users["analyst"], factories.make_user(db, "analyst", "ana2")
    c = make_candidate(db, first.user)
    review.propose(session=db, match_id=c.match.id, by=first.user, decision="confirm", reason="consistent",
                   password=PASSWORD)
    review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD)
    return c


def _documents(db: Session) -> list[IssuedDocument]:
    db.rollback()
    return list(db.exec(select(IssuedDocument).order_by(IssuedDocument.id)))  # type: ignore[arg-type]


def _pdf(client: FlaskClient, document: IssuedDocument) -> str:
    answer = client.get(f"/documents/{document.id}.pdf")
    assert answer.status_code == 200
    return pdf_text(answer.data)


def test_a_certificate_issued_from_an_arabic_page_is_arabic_and_so_is_its_reissue(
        client: FlaskClient, db: Session, approved, login_as) -> None:  # noqa: ANN001
    c = approved
    ident = db.exec(select(Identification)).one()
    login_as("analyst")
    assert client.post(f"/documents/matches/{c.match.id}/report", headers=ARABIC).status_code == 302
    assert client.post(f"/documents/identifications/{ident.id}/certificate", headers=ARABIC).status_code == 302
    report, certificate = _documents(db)
    assert certificate.kind == "certificate" and certificate.language == "ar"
    assert json.loads(certificate.params_json)["language"] == "ar"
    answer = client.get(f"/documents/{certificate.id}.pdf")
    text = pdf_text(answer.data)
    render_png(answer.data, "certificate-arabic")
    person = c.family.missing_person
    for expected in (certificate.number, report.number, c.remains.accession, person.case_number,
                     "أحمد خليل المصري", "Ahmad Khalil al-Masri", "9.2000", "99.9999 %", f"#{ident.id}"):
        assert expected in text, expected
    for words in ("شهادة التعرّف على الهوية", "يشهد المختبر", "ملف الشخص المفقود", "أساس التعرّف على الهوية",
                  "نسبة الأرجحية", "الاحتمال اللاحق", "التواقيع الإلكترونية", "جثة كاملة", "تمت الموافقة",
                  "تحليل قرابة بالحمض النووي", "صدرت في", "للتحقق", "نقطة تحقق سجل التدقيق"):
        assert words in text, words
    assert "الصفحة1من1" in text.replace(" ", "")  # "page 1 of 1" (pdftotext spaces the mixed line oddly)
    for english in ("Identification certificate", "The laboratory certifies", "complete body", "Basis",
                    "Electronic signatures", "issued", "Verify:", "page 1 of 1", "Audit log checkpoint"):
        assert english not in text, english
    # the path the QR code holds reads as one piece, its leading "/" in place (not ".../")
    assert f"/review/identifications/{ident.id}?doc={certificate.number}" in text

    # a re-issue (asked for from any page) keeps the document's language and says so in Arabic
    assert client.post(f"/documents/{certificate.id}/reissue", data={"reason": "lost"},
                       headers=ENGLISH).status_code == 302
    copy = _documents(db)[-1]
    assert copy.reissue_of_id == certificate.id and copy.language == "ar"
    again = _pdf(client, copy)
    assert f"إعادة إصدار للوثيقة {certificate.number}" in again and copy.number in again
    assert "RE-ISSUE" not in again and "شهادة التعرّف على الهوية" in again


def test_a_match_report_issued_from_an_arabic_page(client: FlaskClient, db: Session, approved,
                                                   login_as) -> None:  # noqa: ANN001
    c = approved
    login_as("analyst")
    client.post(f"/documents/matches/{c.match.id}/report", headers=ARABIC)
    [report] = _documents(db)
    assert report.kind == "match_report" and report.language == "ar"
    answer = client.get(f"/documents/{report.id}.pdf")
    text = pdf_text(answer.data)
    render_png(answer.data, "match-report-arabic")
    for expected in (report.number, c.remains.accession, c.family.family.code, c.family.missing_person.case_number,
                     "9.2000", "99.9999 %", "D3S1358", "9.3/9.3", "labtrack-kinship 0.1.0", "theta=0.01",
                     f"#{c.match.id}"):
        assert expected in text, expected
    for words in ("تقرير مطابقة الحمض النووي", "النتائج لكل موقع جيني", "الموقع الجيني", "القراءة",
                  "المراجعات والتواقيع", "حالة المراجعة", "مؤكَّد", "اقتُرح التأكيد", "صدرت في"):
        assert words in text, words
    assert "الصفحة1من1" in text.replace(" ", "")
    for english in ("DNA match report", "Per-locus results", "Reviews and signatures", "Review status",
                    "confirmed", "page 1 of 1", "Verify:"):
        assert english not in text, english
    # every locus row keeps its marker and numeric allele order; the genotypes are not reversed
    assert "3.9/3.9" not in text


def test_the_same_documents_from_an_english_page_stay_english(client: FlaskClient, db: Session, approved,
                                                               login_as) -> None:  # noqa: ANN001
    c = approved
    ident = db.exec(select(Identification)).one()
    login_as("analyst")
    client.post(f"/documents/matches/{c.match.id}/report", headers=ENGLISH)
    client.post(f"/documents/identifications/{ident.id}/certificate", headers=ENGLISH)
    report, certificate = _documents(db)
    assert report.language == certificate.language == "en"
    assert "language" not in json.loads(certificate.params_json)  # as English documents always were
    report_text, certificate_text = _pdf(client, report), _pdf(client, certificate)
    assert "DNA match report" in report_text and "Per-locus results" in report_text
    assert "page 1 of 1" in report_text and re.search(rf"{report.number} +issued 20", report_text)
    assert "Identification certificate" in certificate_text and "complete body" in certificate_text
    assert "تقرير مطابقة" not in report_text and "شهادة التعرّف" not in certificate_text
    client.post(f"/documents/{certificate.id}/reissue", data={"reason": "lost"}, headers=ARABIC)
    copy = _documents(db)[-1]
    assert copy.language == "en" and f"RE-ISSUE of {certificate.number}" in _pdf(client, copy)


def test_the_basis_of_a_joint_dvi_identification_is_said_in_the_certificates_language() -> None:
    from labtrack.documents import certificate

    basis = "joint DVI of closed event EV-2026-0003 (analysis 4), four-eyes review"  # as dvi_review records it
    params = {"name_ar": "أحمد", "name_latin": "Ahmad", "case_number": "MP-1", "sex": "M", "parts": [],
              "basis": basis, "log10_lr": None, "posterior": 0.98, "identification_id": 2, "match_id": None,
              "issue_date": "2026-12-03", "record_path": "/r/2"}
    arabic = pdf_text(certificate.render(params | {"language": "ar"}, "DOC-2026-000004-AB"))
    assert "تحديد هوية مشترك لضحايا الحدث المغلق" in arabic and "بمراجعة بأربع أعين" in arabic
    assert "EV-2026-0003" in arabic and "joint DVI" not in arabic and "ذكر" in arabic
    assert basis in pdf_text(certificate.render(params, "DOC-2026-000004-AB"))
