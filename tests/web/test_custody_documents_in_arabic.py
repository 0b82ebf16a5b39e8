"""Custody documents in the language of the person who issues them: a chain-of-custody form and a
transfer manifest issued from an Arabic page say their words in Arabic (shaped, Amiri), keep IDs,
seals and numbers as they are, and record the language with the document."""

from __future__ import annotations

import json
import re

from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.models import IssuedDocument
from labtrack.services import custody_transfers
from tests import factories
from tests.pdf_text import pdf_text, render_png

ARABIC = {"Accept-Language": "ar"}


def _documents(db: Session) -> list[IssuedDocument]:
    db.rollback()
    return list(db.exec(select(IssuedDocument).order_by(IssuedDocument.id)))  # type: ignore[arg-type]


def test_a_custody_form_issued_in_arabic_says_its_words_in_arabic(client: FlaskClient, db: Session, users: dict,
                                                                   login_as) -> None:  # noqa: ANN001
    tech = users["technician"].user
    factories.make_site(db, tech)
    remains = factories.make_remains(db, tech)
    box = factories.make_box(db, tech, 1)
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="ship", by=tech,
                                   to_party="Partner lab", seal_number="SEAL-778", batch_ref="B-AR")
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="receive", by=tech,
                                   seal_intact=True)
    custody_transfers.record_event(session=db, item_accession=remains.accession, action="store", by=tech,
                                   to_location=box.accession)
    login_as("technician")
    answer = client.post(f"/custody/items/{remains.accession}/form.pdf", headers=ARABIC)
    assert answer.status_code == 200
    text = pdf_text(answer.data)
    render_png(answer.data, "custody-form-arabic")
    [document] = _documents(db)
    assert document.language == "ar" and json.loads(document.params_json)["language"] == "ar"
    assert document.number in text and remains.accession in text and box.accession in text
    for words in ("نموذج سلسلة الحيازة", "رقم الوثيقة", "المكان الحالي", "الاسم والتوقيع", "التاريخ والوقت",
                  "سلّمها", "استلمها", "مُرسَل إلى الخارج", "مُخزَّن", "سليم", "الصفحة"):
        assert words in text, words
    assert "أُلصقت البطاقة" in text  # the system's own reason on the register event, in Arabic too
    events = client.get("/custody/events", headers=ARABIC).get_data(as_text=True)
    assert "أُلصقت البطاقة" in events and "label attached" not in events
    for english in ("Chain-of-custody form", "Document number", "Name and signature", "sent out", "intact",
                    "label attached"):
        assert english not in text, english
    # the same form asked for in English is another document, in English
    english = client.post(f"/custody/items/{remains.accession}/form.pdf", headers={"Accept-Language": "en"})
    assert "Chain-of-custody form" in pdf_text(english.data) and "SEAL-778 (intact)" in pdf_text(english.data)
    assert [d.language for d in _documents(db)] == ["ar", "en"]
    again = client.post(f"/custody/items/{remains.accession}/form.pdf", headers=ARABIC)
    assert again.data == answer.data and len(_documents(db)) == 2  # the Arabic one again, not a new number


def test_a_manifest_issued_in_arabic_and_its_preview(client: FlaskClient, db: Session, users: dict,
                                                     login_as) -> None:  # noqa: ANN001
    tech = users["technician"].user
    factories.make_site(db, tech)
    items = [factories.make_remains(db, tech) for _ in range(2)]
    result = custody_transfers.record_batch(session=db, by=tech, requests=[
        custody_transfers.EventRequest(item_accession=r.accession, action="ship", to_party="Partner lab",
                                       seal_number=f"S-{n}") for n, r in enumerate(items)])
    login_as("technician")
    preview = client.get(f"/custody/batches/{result.batch_ref}/manifest.pdf", headers=ARABIC)
    assert "معاينة" in pdf_text(preview.data) and "غير صادرة" in pdf_text(preview.data) and _documents(db) == []
    answer = client.post(f"/custody/batches/{result.batch_ref}/manifest.pdf", headers=ARABIC)
    text = pdf_text(answer.data)
    render_png(answer.data, "manifest-arabic")
    [document] = _documents(db)
    assert document.kind == "transfer_manifest" and document.language == "ar"
    assert document.number in text and result.batch_ref in text
    for n, remains in enumerate(items):
        assert remains.accession in text and f"S-{n}" in text
    for words in ("بيان النقل", "أرقام الأختام", "نقلها", "سلّمها", "استلمها", "رفات"):
        assert words in text, words
    assert "Transfer manifest" not in text and "Seal numbers" not in text
    # the date in the Arabic "recorded" line keeps its order (python-bidi alone printed 03-12-2026)
    assert re.search(r"سُجّل في +20\d\d-\d\d-\d\d", text) and not re.search(r"\d\d-\d\d-20\d\d", text)



def test_labels_printed_from_an_arabic_page_name_the_item_type_in_arabic(
        client: FlaskClient, db: Session, users: dict, login_as, tmp_path) -> None:  # noqa: ANN001
    from tests.documents.test_labels_decode import decode

    tech = users["technician"].user
    factories.make_site(db, tech)
    remains = factories.make_remains(db, tech)
    login_as("technician")
    answer = client.post("/labels/", data={"items": remains.accession, "layout": "sheet"}, headers=ARABIC)
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF")
    text = pdf_text(answer.data)
    render_png(answer.data, "labels-sheet-arabic")
    # "رفات: جثة كاملة" (pdftotext reads a lone right-aligned line's two parts in either order)
    assert "رفات" in text and "جثة كاملة" in text and "complete body" not in text and remains.accession in text
    assert decode(answer.data, tmp_path, 300) == [remains.accession]  # the bars still read as the ID
    [document] = _documents(db)
    assert document.kind == "labels" and document.language == "ar"
    assert json.loads(document.params_json)["language"] == "ar"
    tube = client.post("/labels/", data={"items": remains.accession, "layout": "tube", "reason": "tube too"},
                       headers=ARABIC)
    assert "رفات" in pdf_text(tube.data) and "جثة كاملة" in pdf_text(tube.data)
    english = client.post("/labels/", data={"items": remains.accession, "layout": "roll", "reason": "roll"},
                          headers={"Accept-Language": "en"})
    assert "remains: complete body" in pdf_text(english.data)
