"""The scanning station in real headless Chromium: scanner-speed typing, feedback, batch confirmation."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlmodel import Session, select

from labtrack.core.scanning import LAYOUT_TO_LATIN, MULTI_KEY
from labtrack.models import CustodyEvent, CustodyItem
from tests import factories

pytestmark = pytest.mark.browser

ARABIC_FOR_KEY = {latin: arabic for arabic, latin in LAYOUT_TO_LATIN.items() if not arabic.isdigit()}
ARABIC_FOR_KEY.update({latin: arabic for arabic, latin in MULTI_KEY.items()})


def scan(page, text: str) -> None:
    page.keyboard.type(text, delay=5)
    page.keyboard.press("Enter")


def wait_lines(page, count: int) -> None:
    # locator waits, not wait_for_function: the page's CSP forbids evaluating strings ('unsafe-eval')
    page.locator(f"#scans li:nth-child({count})").wait_for(timeout=10_000)


def test_scanning_a_batch(app: Flask, db: Session, users: dict, live_server: str, browser_page) -> None:
    tech = users["technician"]
    factories.make_site(db, tech.user)
    first, second, third = (factories.make_remains(db, tech.user) for _ in range(3))
    app.config["WTF_CSRF_ENABLED"] = True  # the page must send X-CSRFToken like in production
    page = browser_page

    page.goto(f"{live_server}/login")
    page.fill("#username", tech.username)
    page.fill("#password", tech.password)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/custody/station")
    page.click("#scan")

    scan(page, first.accession)
    wait_lines(page, 1)
    assert page.get_attribute("#feedback", "class") == "ok"
    assert first.accession in page.inner_text("#scans li:nth-child(1)")

    scan(page, second.accession.lower())
    wait_lines(page, 2)
    assert page.get_attribute("#scans li:nth-child(2)", "class") == "ok"

    mistyped = second.accession[:-2] + ("00" if second.accession[-2:] != "00" else "11")
    scan(page, mistyped)
    wait_lines(page, 3)
    assert page.get_attribute("#scans li:nth-child(3)", "class") == "error"
    assert "mistyped or misread" in page.inner_text("#scans li:nth-child(3)")
    assert page.get_attribute("#feedback", "class") == "error"

    scan(page, first.accession)  # double scan
    wait_lines(page, 4)
    assert page.get_attribute("#scans li:nth-child(4)", "class") == "error"
    assert "scanned twice" in page.inner_text("#scans li:nth-child(4)")

    # a scanner on a workstation with the Arabic keyboard layout types Arabic letters
    scan(page, "".join(ARABIC_FOR_KEY.get(char, char) for char in third.accession))
    wait_lines(page, 5)
    assert page.get_attribute("#scans li:nth-child(5)", "class") == "ok"
    assert third.accession in page.inner_text("#scans li:nth-child(5)")

    page.click("#confirm")
    page.locator("#result", has_text="Recorded").wait_for(timeout=10_000)
    assert "Recorded: 3" in page.inner_text("#result")

    db.rollback()
    received = db.exec(select(CustodyEvent, CustodyItem).join(CustodyItem, CustodyItem.id == CustodyEvent.item_id)
                       .where(CustodyEvent.action == "receive")).all()
    assert sorted(item.accession for _, item in received) == sorted(
        [first.accession, second.accession, third.accession])
    assert {event.method for event, _ in received} == {"scanned"}
    assert {event.to_user_id for event, _ in received} == {tech.id}
    assert len({event.batch_ref for event, _ in received}) == 1
    # the manifest is issued by a POST (a numbered document), never by a link a crawler follows
    batch = next(iter({event.batch_ref for event, _ in received}))
    form = page.locator("#result form")
    assert form.get_attribute("method") == "post" and batch in (form.get_attribute("action") or "")
    assert page.locator("#result a[href*='manifest']").count() == 0


def test_no_scan_is_lost_after_a_click_and_nothing_carries_over(app: Flask, db: Session, users: dict,
                                                                 live_server: str, browser_page) -> None:
    tech = users["technician"]
    factories.make_site(db, tech.user)
    first, second = (factories.make_remains(db, tech.user) for _ in range(2))
    app.config["WTF_CSRF_ENABLED"] = True
    page = browser_page
    page.goto(f"{live_server}/login")
    page.fill("#username", tech.username)
    page.fill("#password", tech.password)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/custody/station")
    page.fill("#seal_number", "SEAL-77")
    page.fill("#to_party", "Field team 2")
    page.click('input[name="action"] >> nth=0')  # a click on an action, then a scan straight away
    scan(page, first.accession)
    wait_lines(page, 1)
    assert first.accession in page.inner_text("#scans li:nth-child(1)")
    page.click("h1")  # a click anywhere on the page
    scan(page, second.accession)
    wait_lines(page, 2)
    assert second.accession in page.inner_text("#scans li:nth-child(2)")
    page.click("#confirm")
    page.locator("#result", has_text="Recorded").wait_for(timeout=10_000)
    assert page.input_value("#seal_number") == "" and page.input_value("#to_party") == ""
    db.rollback()
    events = db.exec(select(CustodyEvent).where(CustodyEvent.seal_number == "SEAL-77")).all()
    assert len(events) == 2  # the side fields applied to the batch they were typed for, then cleared
