"""The main path in real headless Chromium, in English and in Arabic (issue #12, "It must show"):
register remains (a refused form first: it comes back with what was typed and the error beside
the field), take a sample, print its label, receive it at the scanning station; then the match
run, the two-analyst review, the certificate and the family notification report, each through
the pages a person uses. The family, the typing results and the frequency table are set up
through the services, as the instruments and the coordinator's earlier visits would have done.
Screenshots of each step go to test-artifacts/ (main-path-<language>-<step>.png).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlmodel import Session, select

from labtrack.fixtures_path import fixtures_dir
from labtrack.models import (
    CustodyEvent,
    CustodyItem,
    Identification,
    IssuedDocument,
    LabelPrint,
    Match,
    Remains,
)
from labtrack.models.identification import IssuedDocumentContent
from labtrack.services import consent, donors, frequencies, intake, missing_persons, pedigree_exchange, profile_import
from tests import factories
from tests.browser.pages import signed_in_page
from tests.pdf_text import ARTIFACTS, pdf_text

pytestmark = pytest.mark.browser

WORDS = {  # what the person reads, in each language
    "en": {"future": "This date is in the future; enter the day it happened.", "register": "Register remains",
           "record_sample": "Record sample", "print": "Print", "propose": "Sign and propose",
           "approve": "Sign and approve", "certificate": "Issue identification certificate",
           "notification": "Issue family notification report", "start": "Start match run"},
    "ar": {"future": "هذا التاريخ في المستقبل؛ أدخل اليوم الذي حدث فيه."},
}


def _button(page, action: str):  # noqa: ANN001, ANN202
    """The submit button of the form posting to a URL ending in ``action`` (language independent)."""
    return page.locator(f'form[action$="{action}"] button[type=submit]')


def _shot(page, language: str, step: str) -> None:  # noqa: ANN001
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"main-path-{language}-{step}.png"), full_page=True)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_main_path_in_the_browser(app: Flask, db: Session, chromium, live_server: str,  # noqa: ANN001
                                      language: str) -> None:
    tech = factories.make_user(db, "technician", "tech")
    first = factories.make_user(db, "analyst", "ana1")
    second = factories.make_user(db, "analyst", "ana2")
    coordinator = factories.make_user(db, "coordinator", "coord")
    intake.create_site(session=db, by=tech.user, data=intake.SiteInput(
        code="QTF", name_en="al-Qutayfah mass grave", name_ar="مقبرة القطيفة الجماعية"))
    app.config["WTF_CSRF_ENABLED"] = True  # the pages must send their tokens as in production

    # 1. the technician registers remains: a refused form first, then the corrected one
    page = signed_in_page(chromium, live_server, tech, language=language, width=1280)
    page.goto(f"{live_server}/sites/QTF")
    form = page.locator("#remains-form")
    form.locator("#remains_type").select_option("complete_body")
    form.locator("#trench").fill("T3")
    form.locator("#depth_m").fill("1,5")  # a decimal comma
    form.locator("#est_stature_cm").fill("172")
    form.locator("#recovered_on").fill((date.today() + timedelta(days=30)).isoformat())
    _button(page, "/sites/QTF/remains").click()
    page.locator("#recovered_on-error").wait_for()
    future_error = page.inner_text("#recovered_on-error")
    _shot(page, language, "1-refused-remains-form")
    if language in WORDS and "future" in WORDS[language]:
        assert future_error == WORDS[language]["future"]
    assert page.input_value("#remains-form #trench") == "T3" and page.input_value("#depth_m") == "1,5"
    db.rollback()
    assert db.exec(select(Remains)).all() == []
    page.fill("#recovered_on", (date.today() - timedelta(days=2)).isoformat())
    _button(page, "/sites/QTF/remains").click()
    page.wait_for_url(re.compile(r".*/sites/remains/QTF-"))
    db.rollback()
    remains = db.exec(select(Remains)).one()
    assert remains.depth_m == 1.5 and remains.trench == "T3"

    # 2. a sample, its label, and its reception at the scanning station
    page.select_option("#sample-form #sample_type", "femur")
    _button(page, f"/samples/from/{remains.accession}").click()
    page.wait_for_url(re.compile(r".*/samples/QTF-"))
    sample_accession = page.url.rsplit("/", 1)[1]
    _shot(page, language, "2-sample")
    page.goto(f"{live_server}/labels/?items={sample_accession}")
    assert sample_accession in page.input_value("#items")
    with page.expect_response(lambda r: r.url.endswith("/labels/") and r.request.method == "POST") as label:
        _button(page, "/labels/").click()
    assert label.value.status == 200 and label.value.header_value("content-type") == "application/pdf"
    db.rollback()
    printed = db.exec(select(LabelPrint)).one()  # the browser shows the PDF; its bytes are kept
    assert sample_accession in pdf_text(db.get(IssuedDocumentContent, printed.document_id).pdf)
    page.goto(f"{live_server}/custody/station")
    page.click("#scan")
    page.keyboard.type(sample_accession, delay=5)
    page.keyboard.press("Enter")
    page.locator("#scans li:nth-child(1)").wait_for(timeout=10_000)
    page.click("#confirm")
    page.locator("#result.ok, #result:not(:empty)").first.wait_for(timeout=10_000)
    _shot(page, language, "3-station")
    db.rollback()
    received = db.exec(select(CustodyEvent).join(CustodyItem, CustodyItem.id == CustodyEvent.item_id)
                       .where(CustodyItem.accession == sample_accession, CustodyEvent.action == "receive")).all()
    assert len(received) == 1 and received[0].method == "scanned"
    page.context.close()

    # the family, the typing results and the frequency table (coordinator's and instruments' work)
    person = missing_persons.register_missing_person(session=db, by=coordinator.user, case_number="MP-2025-0001",
                                                     sex="M", name_ar="أحمد خليل المصري",
                                                     name_latin="Ahmad Khalil al-Masri", birth_year=1992,
                                                     contact_name="Mariam al-Masri")
    father, father_sample = donors.register_donor(session=db, by=coordinator.user, code="D-0002", sex="M")
    mother, mother_sample = donors.register_donor(session=db, by=coordinator.user, code="D-0001", sex="F")
    for donor in (father, mother):
        consent.grant(session=db, donor_id=donor.id or 0, by=coordinator.user, retention_years=25)
    pedigree_exchange.import_pedigrees(session=db, by=coordinator.user, filename="pedigrees.csv", raw=(
        "family_id,person_id,father_id,mother_id,sex,sample_id,missing\n"
        f"MP-2025-0001,F,,,1,{father_sample.accession},0\n"
        f"MP-2025-0001,M,,,2,{mother_sample.accession},0\n"
        "MP-2025-0001,MP,F,M,1,,1\n").encode())
    profile_import.import_profiles(session=db, by=first.user, filename="typing-run-1.csv", raw=factories.demo_genotypes(
        {"QTF-00001-S01-S0": sample_accession, "REF-00002-A-KP": father_sample.accession,
         "REF-00001-A-CA": mother_sample.accession}))
    frequencies.import_table(session=db, raw=(fixtures_dir() / "freqs" / "nist1036.csv").read_bytes(),
                             filename="nist1036.csv", name="NIST 1036", make_default=True, by=first.user)

    # 3. the first analyst starts a match run and proposes the identification
    page = signed_in_page(chromium, live_server, first, language=language, width=1280)
    page.goto(f"{live_server}/matching/")
    page.locator('main form[action=""] button[type=submit]').click()
    page.wait_for_url(re.compile(r".*/matching/runs/\d+"))
    db.rollback()
    match = db.exec(select(Match)).one()
    assert match.log10_lr > 10
    page.goto(f"{live_server}/review/matches/{match.id}")
    assert "أحمد" not in page.content() and "Ahmad" not in page.content()  # blind: no names for analysts
    propose = page.locator(f'form[action$="/review/matches/{match.id}/propose"]')
    propose.locator("#decision").select_option("confirm")
    propose.locator("#reason").fill("all loci consistent with both parents")
    propose.locator("#password").fill(factories.PASSWORD)
    _shot(page, language, "4-review")
    propose.locator("button[type=submit]").click()
    page.wait_for_load_state()
    page.context.close()

    # 4. the second analyst approves and issues the certificate
    page = signed_in_page(chromium, live_server, second, language=language, width=1280)
    page.goto(f"{live_server}/review/matches/{match.id}")
    approve = page.locator(f'form[action$="/review/matches/{match.id}/approve"]')
    approve.locator("#password").fill(factories.PASSWORD)
    approve.locator("button[type=submit]").click()
    page.wait_for_load_state()
    db.rollback()
    ident = db.exec(select(Identification)).one()
    assert ident.missing_person_id == person.id
    page.goto(f"{live_server}/review/identifications/{ident.id}")
    _button(page, f"/identifications/{ident.id}/certificate").click()
    page.wait_for_load_state()
    _shot(page, language, "5-identification")
    page.context.close()

    # 5. the coordinator issues the family notification report
    page = signed_in_page(chromium, live_server, coordinator, language=language, width=1280)
    page.goto(f"{live_server}/review/identifications/{ident.id}")
    _button(page, f"/identifications/{ident.id}/notification").click()
    page.wait_for_load_state()
    _shot(page, language, "6-notification")
    page.context.close()
    db.rollback()
    documents = {d.kind: d for d in db.exec(select(IssuedDocument)).all()}
    assert {"certificate", "notification"} <= set(documents)
    certificate = pdf_text(db.get(IssuedDocumentContent, documents["certificate"].id).pdf)
    notification = pdf_text(db.get(IssuedDocumentContent, documents["notification"].id).pdf)
    assert remains.accession in certificate and "MP-2025-0001" in certificate
    assert "أحمد خليل المصري" in notification and remains.accession in notification
