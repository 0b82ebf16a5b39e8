"""Shared steps of the browser tests: a signed-in browser context in a chosen language and width."""

from __future__ import annotations

from tests.factories import UserWithPassword


def signed_in_page(chromium, live_server: str, user: UserWithPassword, *, language: str, width: int,  # noqa: ANN001, ANN201
                   height: int = 900, javascript: bool = True):
    """A page of a fresh context, signed in as ``user``, its language chosen through the page's link."""
    context = chromium.new_context(viewport={"width": width, "height": height}, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#username", user.username)
    page.fill("#password", user.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/language/{language}?next=/")
    assert page.get_attribute("html", "lang") == language
    return page


def horizontal_overflow(page) -> int:  # noqa: ANN001
    """How many CSS pixels the document sticks out to the side (0 when it fits the window)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))
