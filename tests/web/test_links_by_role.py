"""No page shows a link its reader's role cannot open (issue #12 item 4).

For each role, follow every same-site link from the home page over the demo data (breadth first,
a bounded number of pages, one page per URL shape) and check that none answers 403 or a server
error. A failure names the page that showed the link.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from flask import Flask
from sqlmodel import Session

from labtrack.models import ROLES
from labtrack.services import demo
from tests.conftest import login

HREF = re.compile(r'<a\b[^>]*?\bhref="([^"]+)"')
MAX_PAGES = 160
NEVER_FOLLOW = ("/logout", "/language/", "/static/")


def _shape(path: str) -> str:
    """A URL with its identifiers replaced, so that one page of each kind is visited."""
    path = re.sub(r"/\d+(?=/|$)", "/N", path)
    return re.sub(r"/[A-Z]{2,}[-A-Z0-9]*\d[-A-Z0-9]*(?=/|$)", "/ID", path)


def _links(page: str, base: str) -> list[str]:
    found = []
    for href in HREF.findall(page):
        href, _ = urldefrag(href.replace("&amp;", "&"))
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not href.startswith("/"):
            continue
        if href.startswith(NEVER_FOLLOW):
            continue
        found.append(href)
    return found


@pytest.fixture
def demo_db(db: Session) -> Session:
    demo.load_demo(db)
    return db


@pytest.mark.parametrize("role", ROLES)
def test_no_link_leads_to_a_page_the_role_cannot_open(app: Flask, demo_db: Session, users: dict,
                                                       role: str) -> None:
    client = app.test_client()
    login(client, users[role])
    seen_shapes: set[str] = set()
    queue: deque[tuple[str, str]] = deque([("/", "(start)")])
    failures: list[str] = []
    visited = 0
    while queue and visited < MAX_PAGES:
        url, linked_from = queue.popleft()
        shape = _shape(urlsplit(url).path)
        if shape in seen_shapes:
            continue
        seen_shapes.add(shape)
        response = client.get(url, headers={"Accept": "text/html"})
        visited += 1
        if response.status_code in (401, 403) or response.status_code >= 500:
            failures.append(f"{role}: {url} answered {response.status_code}, linked from {linked_from}")
            continue
        if not response.mimetype == "text/html" or response.status_code != 200:
            continue
        for link in _links(response.get_data(as_text=True), url):
            queue.append((link, url))
    assert visited >= 20, f"{role}: the crawl reached only {visited} pages"
    assert failures == [], "\n".join(failures)
