"""The HTTP edge: security headers, ids beyond 64 bits, the client address behind a trusted
proxy, and a bounded wait on a locked database (503 with Retry-After; reads go on)."""

from __future__ import annotations

import sqlite3
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from labtrack import create_app
from labtrack.core.errors import Busy, Conflict
from labtrack.db import create_schema, get_engine
from labtrack.services import accounts
from tests.conftest import PG_URL, login


def test_security_headers_forbid_framing_inline_code_and_sniffing(client: FlaskClient) -> None:
    answer = client.get("/login")
    csp = answer.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in answer.headers  # plain HTTP: no HSTS
    secure = client.get("/login", base_url="https://labtrack.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_pages_carry_no_inline_script_or_style(client: FlaskClient, login_as) -> None:
    login_as("admin")
    for path in ("/", "/samples/", "/custody/station"):
        page = client.get(path).get_data(as_text=True)
        assert "<style" not in page and " onchange=" not in page and " style=" not in page, path


@pytest.mark.parametrize("path", ["/documents/99999999999999999999999.pdf", "/documents/9223372036854775808.pdf",
                                  "/documents/2147483648.pdf", "/review/matches/2147483648"])
def test_ids_beyond_the_key_columns_are_404(client: FlaskClient, login_as, path: str) -> None:
    login_as("analyst")
    assert client.get(path).status_code == 404
    assert client.get("/documents/2147483647.pdf").status_code == 404  # in range, no such row


def _limited_app(app_config: dict, proxies: int) -> Flask:
    app = create_app({**app_config, "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "2 per minute",
                      "TRUSTED_PROXIES": proxies})
    create_schema(get_engine(app))
    return app


def _attempts(client: FlaskClient, address: str, count: int) -> list[int]:
    return [client.post("/login", data={"username": "nobody", "password": "x" * 12},
                        headers={"X-Forwarded-For": address}).status_code for _ in range(count)]


def test_behind_a_trusted_proxy_each_client_has_its_own_login_limit(app_config: dict) -> None:
    app = _limited_app(app_config, proxies=1)
    client = app.test_client()
    assert _attempts(client, "198.51.100.7", 3) == [401, 401, 429]
    assert _attempts(client, "203.0.113.9", 1) == [401]  # another client behind the same proxy
    get_engine(app).dispose()


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(app_config: dict) -> None:
    app = _limited_app(app_config, proxies=0)
    client = app.test_client()
    assert _attempts(client, "198.51.100.7", 2) == [401, 401]
    assert _attempts(client, "203.0.113.9", 1) == [429]  # a forged header does not buy attempts
    get_engine(app).dispose()


@pytest.mark.skipif(bool(PG_URL), reason="an external SQLite lock")
def test_a_locked_database_answers_503_quickly_and_reads_go_on(app_config: dict, users: dict) -> None:
    app = create_app({**app_config, "DB_BUSY_SECONDS": 0.5})
    with Session(get_engine(app)) as db:
        token = accounts.issue_token(session=db, user=users["technician"].user, name="bench", by="test")
    path = get_engine(app).url.database
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        client = app.test_client()
        started = time.monotonic()
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and time.monotonic() - started < 2
        started = time.monotonic()
        answer = client.post("/login", data={"username": users["analyst"].username, "password": "wrong" * 3})
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
        assert "busy" in answer.get_data(as_text=True) and time.monotonic() - started < 5
        with Session(get_engine(app)) as db, pytest.raises(Conflict) as refused:  # retried like a conflict
            accounts.issue_token(session=db, user=users["technician"].user, name="later", by="test")
        assert isinstance(refused.value, Busy) and refused.value.status == 503
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    login(app.test_client(), users["analyst"])  # the lock gone, everything works again
    get_engine(app).dispose()
