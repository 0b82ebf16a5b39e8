"""The name index: search keys of missing persons and donors (a read model derived from their
names, places and years; rebuilt from them at will, so not evidence and not audited).

Its text index is the database's own (``install_text_index``, run by the migration and by
``create_all``): on SQLite an FTS5 table with the trigram tokenizer (``name_index_fts``, external
content kept in step by triggers), on PostgreSQL a GIN ``pg_trgm`` index on ``search_key``. Where
the database lacks them (SQLite built without FTS5, no ``pg_trgm`` extension or no right to create
it) nothing is created and searches scan the keys instead (``services.name_search``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, UniqueConstraint, event, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Field, SQLModel

FTS_TABLE = "name_index_fts"
TRGM_INDEX = "ix_name_index_search_key_trgm"

_SQLITE_DDL = (  # FTS_TABLE spelt out: constant DDL
    "CREATE VIRTUAL TABLE IF NOT EXISTS name_index_fts USING fts5("
    "search_key, content='name_index', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS name_index_fts_ai AFTER INSERT ON name_index BEGIN "
    "INSERT INTO name_index_fts(rowid, search_key) VALUES (new.id, new.search_key); END",
    "CREATE TRIGGER IF NOT EXISTS name_index_fts_ad AFTER DELETE ON name_index BEGIN "
    "INSERT INTO name_index_fts(name_index_fts, rowid, search_key) VALUES ('delete', old.id, old.search_key); END",
    "CREATE TRIGGER IF NOT EXISTS name_index_fts_au AFTER UPDATE ON name_index BEGIN "
    "INSERT INTO name_index_fts(name_index_fts, rowid, search_key) VALUES ('delete', old.id, old.search_key); "
    "INSERT INTO name_index_fts(rowid, search_key) VALUES (new.id, new.search_key); END",
    "INSERT INTO name_index_fts(name_index_fts) VALUES ('rebuild')",
)


class NameIndex(SQLModel, table=True):
    __tablename__ = "name_index"
    __table_args__ = (UniqueConstraint("kind", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # missing_person or donor
    person_id: int
    search_key: str = Field(default=" ")
    birth_year: int | None = Field(default=None, index=True)


def _trgm_schema(connection: Connection) -> str | None:
    """The schema of the ``pg_trgm`` extension, installing it (into ``public`` where there is one,
    so that a test schema dropped with CASCADE never takes it along) when it is missing."""
    found = connection.execute(text("SELECT extnamespace::regnamespace::text FROM pg_extension "
                                     "WHERE extname = 'pg_trgm'")).scalar()
    if found:
        return str(found)
    public = connection.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = 'public'")).scalar()
    connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm" + (" WITH SCHEMA public" if public else "")))
    found = connection.execute(text("SELECT extnamespace::regnamespace::text FROM pg_extension "
                                    "WHERE extname = 'pg_trgm'")).scalar()
    return str(found) if found else None


def install_text_index(connection: Connection) -> bool:
    """Create the name index's text index (see the module docstring); False when the database
    cannot have one (the search then scans). Runs in a savepoint: a refusal changes nothing."""
    dialect = connection.dialect.name
    try:
        with connection.begin_nested():
            if dialect == "sqlite":
                for statement in _SQLITE_DDL:
                    connection.exec_driver_sql(statement)
                return True
            if dialect == "postgresql":
                schema = _trgm_schema(connection)
                if not schema:
                    return False
                connection.exec_driver_sql(f'CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON name_index '
                                           f'USING gin (search_key "{schema}".gin_trgm_ops)')
                return True
    except DBAPIError:
        return False
    return False


def outside_the_models(name: str | None, type_: str, _parents: Any = None) -> bool:
    """Alembic ``include_name``: False for the text index and FTS5's own tables, which the
    migrations make by hand and the models do not describe (so autogenerate leaves them alone)."""
    if not name:
        return True
    return not ((type_ == "table" and name.startswith(FTS_TABLE)) or (type_ == "index" and name == TRGM_INDEX))


def drop_text_index(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for suffix in ("ai", "ad", "au"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {TRGM_INDEX}")


@event.listens_for(NameIndex.__table__, "after_create")  # type: ignore[attr-defined]
def _after_create(_table: Any, connection: Connection, **_kw: Any) -> None:
    install_text_index(connection)
