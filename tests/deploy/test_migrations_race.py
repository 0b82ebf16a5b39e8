"""Replicas that start together each run `labtrack db upgrade`: on PostgreSQL the upgrades take
an advisory lock and run one after the other (without it the later ones failed on tables that
the first had just created)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, inspect, text

from labtrack.migrations_runner import upgrade
from tests.conftest import PG_URL


def test_concurrent_upgrades_of_one_postgresql_database_all_succeed(database_url: str) -> None:
    if not PG_URL:
        pytest.skip("the advisory lock is PostgreSQL's: runs in the PostgreSQL pass of the suite")
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def replica() -> None:
        engine = create_engine(database_url)
        try:
            start.wait()
            upgrade(engine)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=replica) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "an upgrade still waits (a deadlock?)"
    assert errors == []
    engine = create_engine(database_url)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert len(versions) == 1 and "audit_entry" in inspect(engine).get_table_names()
    engine.dispose()
