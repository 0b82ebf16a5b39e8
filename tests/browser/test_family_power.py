"""A coordinator opens a family page in headless Chromium, asks for the identification power of
the family's references and reads it in words with the best further relative to sample."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlmodel import Session, select

from labtrack.models import Family
from labtrack.services import demo, family_power

pytestmark = pytest.mark.browser


def test_coordinator_sees_identification_power(app: Flask, db: Session, users: dict,
                                                live_server: str, browser_page) -> None:  # noqa: ANN001
    demo.load_demo(db)
    family = db.exec(select(Family).where(Family.code == "FAM-0002")).one()
    coordinator = users["coordinator"]
    app.config["WTF_CSRF_ENABLED"] = True
    page = browser_page
    page.goto(f"{live_server}/login")
    page.fill("#username", coordinator.username)
    page.fill("#password", coordinator.password)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/families/{family.id}")
    assert "not computed yet" in page.inner_text("#power")
    page.click("#power button[type=submit]")  # the job runs (JOBS_INLINE in tests)
    page.wait_for_selector("#power table", timeout=120_000)
    text = page.inner_text("#power")
    db.rollback()
    view = family_power.latest(db, family.id or 0)
    assert view is not None
    assert f"These references can identify the missing person with probability {view.ip:.2f}" in text
    first_row = page.inner_text("#power table tbody tr:nth-child(1) td:nth-child(1)")
    assert first_row.strip()  # the best further relative, in words
    assert page.locator("#power svg rect").count() == len(view.ranked) + 1
