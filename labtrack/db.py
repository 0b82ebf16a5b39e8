"""Database engine, a session per request on ``g``, schema creation and append-only guards."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import Session

from labtrack import models
from labtrack.models import APPEND_ONLY_TABLES

EXTENSION_KEY = "labtrack.engine"


WRITE_OPTION = "labtrack_write"
LOCKOUT_KEY = "labtrack.lockout"  # (max failures, lockout minutes) in a session's info
_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_WRITER_LOCKS_GUARD = threading.Lock()


_BUSY_SECONDS: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()


class WriterBusy(RuntimeError):
    """This process's writers queued longer than the bounded wait (``busy_seconds``)."""


@contextmanager
def _bounded(lock: threading.RLock, seconds: float) -> Iterator[None]:
    if not lock.acquire(timeout=seconds):
        raise WriterBusy("database is locked: other writers of this process held it too long")
    try:
        yield
    finally:
        lock.release()


def writer_lock(engine: Engine) -> AbstractContextManager[object]:
    """Serialise this process's SQLite write transactions on a Python lock.

    SQLite lets one writer at a time; a waiting connection otherwise polls in its busy handler
    with sleeps of up to 100 ms, which gives long latency tails when several request threads
    write at once. Threads of one process queue here instead and start the moment the previous
    writer commits (other processes still wait through ``busy_timeout``). PostgreSQL needs no
    lock: a null context.
    """
    if engine.dialect.name != "sqlite":
        return nullcontext()
    with _WRITER_LOCKS_GUARD:
        lock = _WRITER_LOCKS.get(engine)
        if lock is None:
            lock = _WRITER_LOCKS[engine] = threading.RLock()
    return _bounded(lock, _BUSY_SECONDS.get(engine, 10.0))


def _configure_sqlite(engine: Engine, busy_ms: int) -> None:
    """Foreign keys on, WAL, a generous busy timeout, and BEGIN IMMEDIATE for write transactions
    (``labtrack.services.transaction.write``) so that writers are serialised up front and the
    audit hash chain can never fork; reads use a plain deferred BEGIN and never block writers."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's begin event issue BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        if engine.url.database not in (None, "", ":memory:") and \
                cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, busy_seconds: float = 10) -> Engine:
    """Create the engine for ``url`` (SQLite file or PostgreSQL). A statement waits at most
    ``busy_seconds`` for another connection's lock, then fails (answered 503 "busy, try again")."""
    busy_ms = max(int(busy_seconds * 1000), 1)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_ms / 1000})
        _configure_sqlite(engine, busy_ms)
        _BUSY_SECONDS[engine] = busy_ms / 1000
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                         connect_args={"options": f"-c lock_timeout={busy_ms}"} if "options=" not in url else {})


def install_append_only_guards(connection: Connection, tables: tuple[str, ...] = APPEND_ONLY_TABLES) -> None:
    """Triggers that make the database itself refuse UPDATE and DELETE on evidence tables.

    Migrations pass the tables they create (a migration must not depend on today's list)."""
    dialect = connection.dialect.name
    for table in tables:
        if dialect == "sqlite":
            for op in ("UPDATE", "DELETE"):
                connection.exec_driver_sql(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        elif dialect == "postgresql":
            connection.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION labtrack_append_only() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION '%% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql"
            )
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            connection.exec_driver_sql(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION labtrack_append_only()"
            )
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            connection.exec_driver_sql(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION labtrack_append_only()"
            )


def create_schema(engine: Engine) -> None:
    """Create every table and guard directly from the models (tests; migrations do it in production)."""
    with engine.begin() as connection:
        models.metadata.create_all(connection)
        install_append_only_guards(connection)


def schema_is_current(engine: Engine) -> bool:
    """True when every table of the model exists (a database that was never migrated has none)."""
    existing = set(inspect(engine).get_table_names())
    return set(models.metadata.tables) <= existing


def get_engine(app: Flask | None = None) -> Engine:
    app = app or current_app
    engine: Engine = app.extensions[EXTENSION_KEY]
    return engine


def get_session() -> Session:
    """The request's session (created on first use, closed at teardown)."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
        # the lockout policy for password checks made through this session (signatures, retractions)
        g.db_session.info[LOCKOUT_KEY] = (current_app.config["LOGIN_MAX_FAILURES"],
                                          current_app.config["LOGIN_LOCKOUT_MINUTES"])
    session: Session = g.db_session
    return session


@contextmanager
def standalone_session(app: Flask | None = None) -> Iterator[Session]:
    """A session outside a request (CLI commands, background jobs)."""
    session = Session(get_engine(app), expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    from labtrack.services import audit_seal

    engine = make_engine(app.config["DATABASE_URL"], float(app.config.get("DB_BUSY_SECONDS", 10)))
    audit_seal.register(engine, audit_seal.seal_from_config(app.config))
    app.extensions[EXTENSION_KEY] = engine
    app.teardown_appcontext(_close_session)


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
