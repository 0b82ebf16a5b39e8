"""`labtrack backup` / `restore` on PostgreSQL (pg_dump, pg_restore): a backup taken while writes
go on holds every transaction committed before it began and an audit head that is the dump's own;
it restores into an empty database whose chain and rows verify; a database in use is replaced
only with --force. Runs in the PostgreSQL pass of the suite, each test on databases of its own."""

from __future__ import annotations

import json
import stat
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url

from labtrack import create_app
from labtrack.db import create_schema, get_engine
from labtrack.services import backup as backup_service
from tests import tools
from tests.cli.test_backup import Writer, _codes
from tests.conftest import PG_URL


@pytest.fixture
def new_database() -> Iterator[Callable[[], str]]:
    """Makes empty PostgreSQL databases on the test server (dropped afterwards); returns their URLs."""
    if not PG_URL:
        pytest.skip("PostgreSQL backups run in the PostgreSQL pass of the suite (LABTRACK_TEST_DATABASE_URL)")
    tools.require("pg_dump", "pg_restore")
    base = make_url(PG_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"lt_backup_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        made.append(name)
        return base.set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as connection:
        for name in made:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


def test_postgresql_backup_under_load_restores_verified(new_database: Callable[[], str], app_config: dict,
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source_url, target_url = new_database(), new_database()
    app = create_app({**app_config, "DATABASE_URL": source_url})
    create_schema(get_engine(app))
    writer = Writer(app)
    writer.start()
    while len(writer.committed) < 30 and writer.is_alive():
        time.sleep(0.01)
    before = list(writer.committed)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "bk")])
    writer.stop.set()
    writer.join()
    get_engine(app).dispose()
    assert writer.errors == [] and result.exit_code == 0, result.output
    assert len(writer.committed) > len(before)  # writes went on during the dump
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    assert manifest["database"] == "postgresql" and manifest["database_file"] == "labtrack.pgdump"
    assert {"labtrack.pgdump", "audit_key", "audit-checkpoints.jsonl"} <= set(manifest["files"])
    assert stat.S_IMODE((tmp_path / "bk" / "labtrack.pgdump").stat().st_mode) == 0o600
    checked = app.test_cli_runner().invoke(args=["backup", "verify", str(tmp_path / "bk")])
    assert checked.exit_code == 0 and "match the manifest (a PostgreSQL dump" in checked.output

    monkeypatch.setenv("LABTRACK_INSTANCE_PATH", str(tmp_path / "new-instance"))
    restored_app = create_app({**app_config, "DATABASE_URL": target_url,
                               "AUDIT_CHECKPOINT_FILE": str(tmp_path / "new-instance" / "audit-checkpoints.jsonl")})
    restored = restored_app.test_cli_runner()
    answer = restored.invoke(args=["restore", str(tmp_path / "bk")])
    assert answer.exit_code == 0, answer.output
    dumped = _codes(target_url)
    assert set(before) <= dumped <= set(writer.committed)
    # one audit entry per site: the manifest's head is the dump's own, not the head after the dump
    assert manifest["audit_head"]["seq"] == len(dumped)
    assert f"Restored from {tmp_path / 'bk'}: {len(dumped)} audit entries" in answer.output
    last = json.loads((tmp_path / "bk" / "audit-checkpoints.jsonl").read_text().splitlines()[-1])
    assert last["seq"] == len(dumped)  # a signed checkpoint of the dump's head is kept with it
    assert (tmp_path / "new-instance" / "audit_key").read_text() == (tmp_path / "bk" / "audit_key").read_text()
    deep = restored.invoke(args=["audit", "verify", "--deep"])
    assert deep.exit_code == 0 and f"OK: {len(dumped)} audit entries" in deep.output, deep.output

    again = restored.invoke(args=["restore", str(tmp_path / "bk")])
    assert again.exit_code == 1 and "holds labtrack tables: restore into an empty database, or with --force" \
        in again.output
    forced = restored.invoke(args=["restore", "--force", str(tmp_path / "bk")])
    assert forced.exit_code == 0, forced.output
    assert _codes(target_url) == dumped
    get_engine(restored_app).dispose()


def test_a_sqlite_backup_is_not_restored_into_postgresql(new_database: Callable[[], str], app_config: dict,
                                                         tmp_path: Path) -> None:
    sqlite_app = create_app({**app_config, "DATABASE_URL": f"sqlite:///{tmp_path / 'lab.sqlite'}"})
    create_schema(get_engine(sqlite_app))
    assert sqlite_app.test_cli_runner().invoke(args=["backup", str(tmp_path / "bk")]).exit_code == 0
    get_engine(sqlite_app).dispose()
    app = create_app({**app_config, "DATABASE_URL": new_database()})
    refused = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
    assert refused.exit_code == 1 and "this is a sqlite backup; the configured database is postgresql" in refused.output
    get_engine(app).dispose()


def test_the_password_is_given_to_the_client_tools_in_the_environment_not_on_their_command_line() -> None:
    engine = create_engine("postgresql+psycopg://lab:s3cret@db.invalid:5432/labtrack?sslmode=require")
    assert backup_service._pg_url(engine) == "postgresql://lab@db.invalid:5432/labtrack?sslmode=require"
    assert backup_service._pg_env(engine)["PGPASSWORD"] == "s3cret"
    engine.dispose()
