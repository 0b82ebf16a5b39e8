"""Browser tests: the app on a live server, driven by Debian's headless Chromium through Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask

from tests.live_server import serve

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture
def chromium():  # noqa: ANN201
    """Headless Chromium; tests open their own contexts (e.g. a phone and a desk)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (Debian package chromium): browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):  # noqa: ANN001, ANN201
    yield chromium.new_page()
