"""The version of the family side of a search: a counter the database itself advances whenever
anything a search reads about the families may have changed.

The family side is everything a match run reads besides the remains: every family and pedigree
member, the reference samples (donor samples) and their profiles and alleles, the consents, and the
frequency tables. A worker keeps what it built from them between runs (``services.family_side``)
and reuses it only while this counter is unchanged, so a stale family side is never searched.

Triggers (``install_family_side_triggers``, run by migration 0026 and by ``create_all``) advance
``family_side_version.version`` in the same transaction as the change, so the counter is committed
(or rolled back) with it on SQLite and PostgreSQL, whatever path wrote it (the ORM, a bulk COPY,
raw SQL). Changes that cannot touch the family side are left out, so that importing remains does
not invalidate it: profiles whose origin is ``remains``, alleles of such profiles, and samples
without a donor (remains samples). Everything else on these tables counts, including changes that
would not change a search (a custody state of a reference sample): a spurious rebuild is only
slower, a missed change would be wrong.

On PostgreSQL the triggers are statement-level (one bump per statement, with transition tables to
leave remains rows out) and take the audit chain's advisory lock before the counter's row lock:
every write that audits holds that lock already, so the counter adds no new lock order (no new
deadlock). ``version_sql`` reads the counter together with the number of its triggers in place;
a database without all of them (or without the row) must not be trusted (``None``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event
from sqlmodel import Field, SQLModel

from labtrack.models.base import metadata

NAME = "family_side"
#: the audit chain's advisory lock (``services.audit``): every audited write takes it first
_AUDIT_LOCK = 7_203_114
_BUMP = "UPDATE family_side_version SET version = version + 1 WHERE name = 'family_side'"  # NAME
#: tables any change of which counts
_WHOLE = ("family", "pedigree_member", "consent_record", "frequency_table", "frequency_entry")
#: table -> the SQLite condition on a row (NEW/OLD) under which its change counts
_SQLITE_ROW = {
    "profile": "{row}.origin <> 'remains'",
    "sample": "{row}.donor_id IS NOT NULL",
    "profile_allele": "NOT EXISTS (SELECT 1 FROM profile p WHERE p.id = {row}.profile_id AND p.origin = 'remains')",
}
#: table -> the PostgreSQL condition on a transition table (``rows``) under which a statement counts
_POSTGRESQL_ROWS = {
    "profile": "EXISTS (SELECT 1 FROM {rows} r WHERE r.origin <> 'remains')",
    "sample": "EXISTS (SELECT 1 FROM {rows} r WHERE r.donor_id IS NOT NULL)",
    "profile_allele": "EXISTS (SELECT 1 FROM {rows} r WHERE NOT EXISTS (SELECT 1 FROM profile p "
                      "WHERE p.id = r.profile_id AND p.origin = 'remains'))",
}
_OPS = ("INSERT", "UPDATE", "DELETE")
#: event -> the transition tables a PostgreSQL statement trigger of it has, and how it names them
_TRANSITION = {"INSERT": (("new_rows",), "NEW TABLE AS new_rows"),
               "UPDATE": (("new_rows", "old_rows"), "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
               "DELETE": (("old_rows",), "OLD TABLE AS old_rows")}


class FamilySideVersion(SQLModel, table=True):
    """One row (``name = 'family_side'``): advanced by the triggers on every change of the family
    side (see the module docstring); never written by the application."""

    __tablename__ = "family_side_version"

    name: str = Field(primary_key=True, max_length=40)
    version: int = Field(default=0)


def _sqlite_ddl() -> list[str]:
    statements = []
    for table in (*_WHOLE, *_SQLITE_ROW):
        for op in _OPS:
            condition = _SQLITE_ROW.get(table)
            when = ""
            if condition is not None:
                rows = {"INSERT": ("NEW",), "UPDATE": ("NEW", "OLD"), "DELETE": ("OLD",)}[op]
                when = " WHEN " + " OR ".join(f"({condition.format(row=row)})" for row in rows)
            statements.append(f"CREATE TRIGGER IF NOT EXISTS family_side_{table}_{op.lower()} AFTER {op} ON {table}"
                              f"{when} BEGIN {_BUMP}; END")
    return statements


def _postgresql_ddl() -> list[str]:
    statements = [
        "CREATE OR REPLACE FUNCTION labtrack_family_side_bump() RETURNS trigger AS $$ BEGIN "
        f"PERFORM pg_advisory_xact_lock({_AUDIT_LOCK}); {_BUMP}; RETURN NULL; END; $$ LANGUAGE plpgsql",
    ]
    for table in _WHOLE:
        statements += [f"DROP TRIGGER IF EXISTS family_side_{table} ON {table}",
                       f"CREATE TRIGGER family_side_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION labtrack_family_side_bump()"]
    for table, condition in _POSTGRESQL_ROWS.items():
        # one function per table and event: a trigger function reads only the transition tables it has
        for op in _OPS:
            names, referencing = _TRANSITION[op]
            checks = [condition.format(rows=name) for name in names]
            function = f"labtrack_family_side_{table}_{op.lower()}"
            statements += [
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$ BEGIN "
                f"IF {' OR '.join(checks)} THEN PERFORM pg_advisory_xact_lock({_AUDIT_LOCK}); {_BUMP}; END IF; "
                "RETURN NULL; END; $$ LANGUAGE plpgsql",
                f"DROP TRIGGER IF EXISTS family_side_{table}_{op.lower()} ON {table}",
                f"CREATE TRIGGER family_side_{table}_{op.lower()} AFTER {op} ON {table} REFERENCING {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            ]
        statements += [f"DROP TRIGGER IF EXISTS family_side_{table}_truncate ON {table}",
                       f"CREATE TRIGGER family_side_{table}_truncate AFTER TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION labtrack_family_side_bump()"]
    return statements


def expected_triggers(dialect: str) -> int:
    """How many ``family_side_*`` triggers a database of ``dialect`` has when they are all in place."""
    if dialect == "sqlite":
        return len(_WHOLE + tuple(_SQLITE_ROW)) * len(_OPS)
    return len(_WHOLE) + len(_POSTGRESQL_ROWS) * (len(_OPS) + 1)


def version_sql(dialect: str) -> str:
    """SQL of one row: (the counter or NULL, the number of ``family_side_*`` triggers in place)."""
    if dialect == "sqlite":
        triggers = ("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                    "AND name LIKE 'family\\_side\\_%' ESCAPE '\\'")
    else:
        triggers = ("SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE NOT t.tgisinternal AND t.tgname LIKE 'family\\_side\\_%' ESCAPE '\\' "
                    "AND c.relnamespace = current_schema()::regnamespace")
    # fixed SQL of this module: no value from outside is ever put into it
    return f"SELECT (SELECT version FROM family_side_version WHERE name = '{NAME}'), ({triggers})"  # noqa: S608 - fixed SQL of this module  # nosec B608


def install_family_side_triggers(connection: Connection) -> None:
    """Create the counter's row (if missing) and its triggers (see the module docstring)."""
    dialect = connection.dialect.name
    statements = {"sqlite": _sqlite_ddl, "postgresql": _postgresql_ddl}.get(dialect)
    if statements is None:
        return
    row = f"SELECT '{NAME}', 0 WHERE NOT EXISTS (SELECT 1 FROM family_side_version WHERE name = '{NAME}')"  # noqa: S608 - fixed SQL of this module  # nosec B608
    connection.exec_driver_sql("INSERT INTO family_side_version (name, version) " + row)
    for statement in statements():
        connection.exec_driver_sql(statement)


def drop_family_side_triggers(connection: Connection) -> None:
    dialect = connection.dialect.name
    if dialect == "sqlite":
        for table in (*_WHOLE, *_SQLITE_ROW):
            for op in _OPS:
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS family_side_{table}_{op.lower()}")
    elif dialect == "postgresql":
        for table in _WHOLE:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS family_side_{table} ON {table}")
        for table in _POSTGRESQL_ROWS:
            for op in (*_OPS, "TRUNCATE"):
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS family_side_{table}_{op.lower()} ON {table}")
                if op != "TRUNCATE":
                    connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS labtrack_family_side_{table}_{op.lower()}()")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS labtrack_family_side_bump()")


@event.listens_for(metadata, "after_create")
def _after_create(_metadata: Any, connection: Connection, **kw: Any) -> None:
    # on the metadata, after every table: the triggers sit on tables created after the counter's
    if FamilySideVersion.__tablename__ in {table.name for table in kw.get("tables") or ()}:
        install_family_side_triggers(connection)
