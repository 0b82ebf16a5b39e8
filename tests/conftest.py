"""Fixtures: an app on a fresh database per test (SQLite file, or a fresh PostgreSQL schema when
LABTRACK_TEST_DATABASE_URL is set), a client, a CLI runner, and users of every role."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from labtrack import create_app
from labtrack.db import create_schema, get_engine
from tests import factories

PG_URL = os.environ.get("LABTRACK_TEST_DATABASE_URL", "")


def _pg_schema_url(base: str) -> Iterator[str]:
    """A fresh schema in the PostgreSQL test database, dropped afterwards."""
    if base.startswith("postgresql://"):
        base = "postgresql+psycopg://" + base[len("postgresql://"):]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        _drop_schema(admin, schema)
        admin.dispose()


def _drop_schema(admin: Engine, schema: str, attempts: int = 5) -> None:
    """DROP SCHEMA ... CASCADE, tried again when PostgreSQL picks it as a deadlock victim.

    The drop locks every table of the schema; autovacuum or a worker process the test started and
    that is still closing its connection can hold one of them and wait for another (seen in CI as
    "deadlock detected" at teardown). A later attempt finds them gone.
    """
    for attempt in range(1, attempts + 1):
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql("SET lock_timeout = '10s'")
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            return
        except OperationalError:
            if attempt == attempts:
                raise
            time.sleep(0.2 * 2**attempt)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        yield from _pg_schema_url(PG_URL)
    else:
        yield f"sqlite:///{(tmp_path / 'labtrack-test.sqlite').as_posix()}"


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, object]:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-not-for-production",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "ARTIFACTS_DIR": str(tmp_path),
        "INQUIRY_KEY": "test-inquiry-key-not-for-production",
        "INQUIRY_SCRYPT_N": 16,  # cheap hashing in tests (production: 16384)
        "JOBS_INLINE": True,  # queued jobs run in the test process (worker tests start real workers)
        "AUDIT_KEY": "test-audit-key-not-for-production",
        # the review factories build three-locus candidates without typed relatives: the
        # minimum-evidence rule has its own tests (tests/web/test_real_bone_matching.py)
        "EVIDENCE_RULE": False,
        "AUDIT_CHECKPOINT_FILE": str(tmp_path / "audit-checkpoints.jsonl"),
        "CONTINUOUS_MATCHING": False,  # on in production; tests of continuous matching turn it on
    }


@pytest.fixture
def app(app_config: dict[str, object]) -> Iterator[Flask]:
    app = create_app(app_config)
    create_schema(get_engine(app))
    yield app
    get_engine(app).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session of the test's database, for arranging data and checking it after requests."""
    session = Session(get_engine(app), expire_on_commit=False)
    yield session
    session.close()


@pytest.fixture
def users(db: Session) -> dict[str, factories.UserWithPassword]:
    """One user per role, keyed by role."""
    return factories.users_of_every_role(db)


def login(client: FlaskClient, user: factories.UserWithPassword) -> None:
    response = client.post("/login", data={"username": user.username, "password": user.password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.fixture
def login_as(client: FlaskClient, users: dict[str, factories.UserWithPassword]):  # noqa: ANN201
    def _login(role: str) -> factories.UserWithPassword:
        client.post("/logout")
        login(client, users[role])
        return users[role]

    return _login
