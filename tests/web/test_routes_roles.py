"""Every route declares its roles; walk every route with every role and check the answer."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.models import ROLES, CustodyItem, Remains, Sample, Site, StorageLocation
from labtrack.services import demo
from tests.conftest import login

SKIP_EXECUTION = {"auth.logout", "static"}  # logout is exercised in test_auth


def _param_values(db: Session) -> dict[str, object]:
    site = db.exec(select(Site)).first()
    remains = db.exec(select(Remains)).first()
    sample = db.exec(select(Sample).where(Sample.remains_id != None)).first()  # noqa: E711
    item = db.exec(select(CustodyItem)).first()
    assert site and remains and sample and item
    return {
        "code": "en",
        "site_code": site.code,
        "accession": remains.accession,
        "remains_accession": remains.accession,
        "sample_accession": sample.accession,
        "item_accession": item.accession,
        "filename": "css/labtrack.css",
        "location_accession": db.exec(select(StorageLocation)).first().accession,
        "batch_ref": "B-NO-SUCH-BATCH",
        "number": "DOC-NO-SUCH-NUMBER",
        "person_code": "NO-SUCH-PERSON",
    }


def _url(rule: str, values: dict[str, object]) -> str:
    def replace(match: re.Match[str]) -> str:
        converter, name = match.group(1), match.group(2)
        if name in values:
            return str(values[name])
        if converter in ("int", None) and (name == "id" or name.endswith("_id")):
            return "1"
        raise AssertionError(f"add an example value for URL parameter {name!r} of {rule}")

    return re.sub(r"<(?:(\w+):)?(\w+)>", replace, rule)


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        method = "GET" if "GET" in (rule.methods or set()) else sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})[0]
        routes.append((rule.endpoint, rule.rule, method))
    return sorted(routes)


def test_every_route_declares_its_roles(app: Flask) -> None:
    undeclared = [
        endpoint for endpoint, _rule, _method in _routes(app)
        if not hasattr(app.view_functions[endpoint], "allowed_roles")
    ]
    assert undeclared == [], f"routes without @roles_required or @public: {undeclared}"


@pytest.fixture
def demo_db(db: Session) -> Session:
    demo.load_demo(db)
    return db


def _answer(client: FlaskClient, method: str, url: str) -> int:
    response = client.open(url, method=method, data={}, headers={"Accept": "text/html"})
    return response.status_code


def test_role_by_route_matrix(app: Flask, demo_db: Session, users: dict) -> None:
    values = _param_values(demo_db)
    routes = [(e, r, m) for e, r, m in _routes(app) if e not in SKIP_EXECUTION]
    assert len(routes) >= 8
    failures: list[str] = []

    anonymous = app.test_client()
    for endpoint, rule, method in routes:
        roles = app.view_functions[endpoint].allowed_roles
        status = _answer(anonymous, method, _url(rule, values))
        if roles is None:
            if status in (401, 403) or status >= 500:
                failures.append(f"anonymous {method} {rule}: public route answered {status}")
        elif rule.startswith("/api/"):
            if status != 401:
                failures.append(f"anonymous {method} {rule}: expected 401, got {status}")
        elif status != 302:
            failures.append(f"anonymous {method} {rule}: expected redirect to login, got {status}")

    for role in ROLES:
        client = app.test_client()
        login(client, users[role])
        for endpoint, rule, method in routes:
            roles = app.view_functions[endpoint].allowed_roles
            status = _answer(client, method, _url(rule, values))
            if status >= 500:
                failures.append(f"{role} {method} {rule}: server error {status}")
            elif roles is not None and role not in roles and status != 403:
                failures.append(f"{role} {method} {rule}: expected 403, got {status}")
            elif (roles is None or role in roles) and status in (401, 403):
                failures.append(f"{role} {method} {rule}: allowed role refused with {status}")
    assert failures == []


def test_a_forbidden_page_says_who_may_open_it_in_the_users_language(client, users, login_as) -> None:  # noqa: ANN001
    login_as("technician")
    page = client.get("/matching/")
    text = page.get_data(as_text=True)
    assert page.status_code == 403
    assert "This page is for: analyst, admin. You are signed in as: technician." in text
    client.get("/language/ar")
    arabic = client.get("/matching/").get_data(as_text=True)
    assert "هذه الصفحة مخصصة لـ: محلل حمض نووي, مدير النظام. أنت مسجل الدخول بصفة: فني مختبر." in arabic
    client.get("/language/en")
    api = client.get("/api/v1/match-runs/1")
    assert api.status_code == 403 and "You are signed in as" in api.get_json()["message"]


def test_home_counts_link_to_the_lists_the_role_may_open(client, users, login_as) -> None:  # noqa: ANN001
    import re

    login_as("technician")
    page = client.get("/").get_data(as_text=True)
    links = dict(re.findall(r'data-area="(\w+)"><a href="([^"]+)"', page))
    assert links["samples"] == "/samples/" and links["sites"] == "/sites/"
    assert "profiles" not in links and "matches" not in links  # analysts' lists: the count is plain text
    for url in set(links.values()):
        assert client.get(url).status_code == 200, url
    login_as("analyst")
    analyst = dict(re.findall(r'data-area="(\w+)"><a href="([^"]+)"', client.get("/").get_data(as_text=True)))
    assert analyst["profiles"] == "/profiles/" and analyst["matches"] == "/review/"
    for url in set(analyst.values()):
        assert client.get(url).status_code == 200, url
