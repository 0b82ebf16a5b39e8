"""CLI: users create, db upgrade (Alembic), demo (idempotent)."""

from __future__ import annotations

from contextlib import ExitStack, contextmanager

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, inspect
from sqlmodel import Session, select

from labtrack import create_app, migrations_runner
from labtrack.db import get_engine
from labtrack.models import Remains, Site, User, metadata
from labtrack.models.search import outside_the_models
from labtrack.services import accounts, audit
from tests.conftest import PG_URL, _pg_schema_url


def test_users_create(runner: FlaskCliRunner, db: Session) -> None:
    result = runner.invoke(args=["users", "create", "nadia", "--role", "analyst",
                                 "--full-name", "Nadia K", "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    user = db.exec(select(User).where(User.username == "nadia")).one()
    assert user.role == "analyst"
    assert accounts.authenticate(session=db, username="nadia", password="long-enough-pw").id == user.id


def test_users_create_refuses_bad_input(runner: FlaskCliRunner, db: Session) -> None:
    short = runner.invoke(args=["users", "create", "x", "--role", "analyst", "--full-name", "X",
                                "--password", "short"])
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    role = runner.invoke(args=["users", "create", "x", "--role", "wizard", "--full-name", "X",
                               "--password", "long-enough-pw"])
    assert role.exit_code != 0 and "wizard" in role.output
    args = ["users", "create", "dup", "--role", "admin", "--full-name", "D", "--password", "long-enough-pw"]
    runner.invoke(args=args)
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "exists already" in again.output
    assert len(db.exec(select(User)).all()) == 1


def test_migrations_build_exactly_the_model_schema(app_config: dict, tmp_path) -> None:
    app = create_app({**app_config, "DATABASE_URL": app_config["DATABASE_URL"]})
    engine = get_engine(app)
    migrations_runner.upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True,
                                                                              "include_name": outside_the_models}),
                                metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    assert "audit_entry" in inspect(engine).get_table_names()
    engine.dispose()


def test_db_upgrade_then_demo_is_idempotent(app_config: dict) -> None:
    app: Flask = create_app(app_config)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "admin" in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "nothing new" in second.output
    with Session(get_engine(app)) as db:
        sites = db.exec(select(Site)).all()
        assert {s.code for s in sites} == {"QTF", "NJH"}
        assert len(db.exec(select(Remains)).all()) == 6
        assert audit.verify_chain(db).ok
    get_engine(app).dispose()


def _triggers(engine: Engine) -> set[tuple[str, str]]:
    """(trigger, table) of every trigger the database holds (PostgreSQL: in the test's schema)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        else:
            rows = connection.exec_driver_sql(
                "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE NOT t.tgisinternal AND n.nspname = current_schema()")
        return {(str(name), str(table)) for name, table in rows}


def test_migrations_install_every_trigger_of_the_model_schema(app: Flask, app_config: dict, tmp_path) -> None:
    """The append-only guards, the review-status and family-side triggers and the name index's: a
    migration that rebuilds a table (SQLite batch mode copies it) must put its triggers back."""
    expected = _triggers(get_engine(app))
    assert {"custody_event", "identification", "audit_entry", "match", "pedigree_member"} <= {t for _, t in expected}
    with ExitStack() as stack:
        url = (stack.enter_context(contextmanager(_pg_schema_url)(PG_URL)) if PG_URL
               else f"sqlite:///{(tmp_path / 'migrated.sqlite').as_posix()}")
        migrated = create_app({**app_config, "DATABASE_URL": url})
        engine = get_engine(migrated)
        migrations_runner.upgrade(engine)
        found = _triggers(engine)
        engine.dispose()
    assert found == expected, {"missing after the migrations": sorted(expected - found),
                               "only after the migrations": sorted(found - expected)}
