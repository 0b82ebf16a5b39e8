"""A family asks for itself, on a phone 390 px wide, in Arabic, without JavaScript: the code from
the receipt opens its page, it sees the milestones, asks to change a phone number; the coordinator
confirms it; a revoked code no longer works."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlmodel import Session, select

from labtrack.models import InquiryChangeRequest, MissingPerson
from tests.inquiry_factories import make_case
from tests.pdf_text import ARTIFACTS, pdf_text
from tests.tools import require

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "ar-SY", "java_script_enabled": False,
         "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def _fits_the_screen(page) -> None:  # noqa: ANN001
    """Nothing sticks out to the side: every box lies within the 390 px of the screen."""
    for selector in ("header", "main", "form", "button", "input", "h1"):
        for box in [page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())]:
            if box is not None:
                assert box["x"] >= 0 and box["x"] + box["width"] <= 390.5, (selector, box)


def test_family_asks_the_coordinator_confirms_a_revoked_code_stops(
        app: Flask, db: Session, users: dict, live_server: str, chromium) -> None:
    require("pdftotext")
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["PUBLIC_BASE_URL"] = live_server
    case = make_case(db, users["coordinator"].user, 7)
    coordinator = users["coordinator"]

    desk = chromium.new_context(accept_downloads=True).new_page()
    desk.goto(f"{live_server}/login")
    desk.fill("#username", coordinator.username)
    desk.fill("#password", coordinator.password)
    desk.click("button[type=submit]")
    desk.goto(f"{live_server}/missing-persons/{case.person.id}")
    desk.click("#issue-code button")
    # the click posts and the page reloads: wait for the new page (is_visible() does not wait)
    desk.locator("#new-code-text").wait_for(state="visible", timeout=30_000)
    assert desk.locator("#new-code-text").is_visible()
    with desk.expect_download() as download:
        desk.click("#print-receipt")
    receipt = download.value.path().read_bytes()
    printed = re.search(r"[2-9A-Z]{4}(?:-[2-9A-Z]{4}){4}", pdf_text(receipt)).group(0)

    family = chromium.new_context(**PHONE).new_page()
    family.goto(f"{live_server}/inquiry/")
    assert family.get_attribute("html", "dir") == "rtl" and family.get_attribute("html", "lang") == "ar"
    _fits_the_screen(family)
    family.fill("#code", printed.lower().replace("-", " "))  # as people type it
    family.click("form.code-form button")
    family.wait_for_url(re.compile(r".*/inquiry/case$"))
    steps = family.inner_text("#case-1")
    assert "سجّلنا بلاغ فقدان قريبكم" in steps and "عينات مرجعية استلمناها من عائلتكم: 1" in steps
    assert "نقارن الحمض النووي لعائلتكم" in steps
    assert coordinator.user.full_name in family.inner_text("#coordinator")
    _fits_the_screen(family)
    family.screenshot(path=str(ARTIFACTS / "family-inquiry-390px-ar.png"), full_page=True)

    family.fill("#contact_phone", "٠٩٣٣ ٤٤٤ ٥٥٥")  # Arabic-Indic digits from a phone keyboard
    family.click("#changes button")
    assert "شكرًا لكم" in family.inner_text("main")
    assert "0933 444 555" in family.inner_text("#pending")

    desk.goto(f"{live_server}/missing-persons/{case.person.id}")
    assert "0933 444 555" in desk.inner_text("#inquiry-requests")
    db.rollback()
    request_id = db.exec(select(InquiryChangeRequest)).one().id
    desk.click(f"#confirm-{request_id}")
    assert "None waiting." in desk.inner_text("#inquiry-requests")
    db.rollback()
    assert db.get(MissingPerson, case.person.id).contact_phone == "0933 444 555"

    desk.fill("#revoke-code input[name=reason]", "the family lost the receipt")
    desk.click("#revoke-code button")
    assert "No working code" in desk.inner_text("#inquiry")

    family.goto(f"{live_server}/inquiry/case")  # the open page closes
    assert family.url.endswith("/inquiry/")
    family.fill("#code", printed)
    family.click("form.code-form button")
    assert "لم نتمكن من فتح صفحة بهذا الرمز" in family.inner_text("#message")
