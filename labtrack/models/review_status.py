"""The database's guard of ``match.review_status``: it can never disagree with the review steps.

``services.review`` sets the column when it appends a step (so the audit log records the change);
these triggers make the database keep it in step and refuse anything else:

- after a row is appended to ``match_review``, the match's ``review_status`` is set to the status
  its steps give (a step written by any other path still moves the column);
- an update that gives ``review_status`` any other value than the status its steps give is
  refused, and a new match must start ``open`` (it has no steps).

The status the steps give is that of the last step (and, for an approval, of the last proposal):
the services accept a step only in the state that allows it, so the last step decides; this is
``review_rules.review_status`` in SQL (tested against it). Installed by migration 0023 and by
``create_all`` (tests).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event

from labtrack.models.matching import MatchReview

_DERIVED = (
    "COALESCE((SELECT CASE s.step WHEN 'propose_confirm' THEN 'proposed_confirm' "
    "WHEN 'propose_reject' THEN 'proposed_reject' "
    "WHEN 'approve' THEN CASE (SELECT p.step FROM match_review p WHERE p.match_id = <match> "
    "AND p.step IN ('propose_confirm', 'propose_reject') ORDER BY p.id DESC LIMIT 1) "
    "WHEN 'propose_confirm' THEN 'confirmed' ELSE 'rejected' END "
    "ELSE 'open' END FROM match_review s WHERE s.match_id = <match> ORDER BY s.id DESC LIMIT 1), 'open')"
)


def derived_status_sql(match_id: str) -> str:
    """SQL for the status the review steps of match ``match_id`` (a column reference) give."""
    return _DERIVED.replace("<match>", match_id)


def backfill_sql() -> str:
    """SQL that sets every reviewed match's ``review_status`` from its steps (migration 0023)."""
    # fixed SQL of this module: no value from outside is ever put into it
    statement = "UPDATE match SET review_status = <derived> WHERE id IN (SELECT match_id FROM match_review)"  # nosec B608
    return statement.replace("<derived>", derived_status_sql("match.id"))


_REFUSED = "match.review_status must be the status its review steps give"



def _filled(*statements: str) -> tuple[str, ...]:
    return tuple(statement.replace("<derived>", derived_status_sql("NEW.match_id"))
                 .replace("<derived_new>", derived_status_sql("NEW.id")).replace("<refused>", _REFUSED)
                 for statement in statements)


_SQLITE_DDL = _filled(
    "CREATE TRIGGER IF NOT EXISTS match_review_status_follows AFTER INSERT ON match_review BEGIN "
    "UPDATE match SET review_status = <derived> WHERE id = NEW.match_id; END",
    "CREATE TRIGGER IF NOT EXISTS match_review_status_guard BEFORE UPDATE OF review_status ON match "
    "WHEN NEW.review_status IS NOT <derived_new> BEGIN SELECT RAISE(ABORT, '<refused>'); END",
    "CREATE TRIGGER IF NOT EXISTS match_review_status_new BEFORE INSERT ON match "
    "WHEN NEW.review_status IS NOT 'open' BEGIN SELECT RAISE(ABORT, '<refused>'); END",
)

_POSTGRESQL_DDL = _filled(
    "CREATE OR REPLACE FUNCTION labtrack_review_status_follows() RETURNS trigger AS $$ BEGIN "
    "UPDATE match SET review_status = <derived> WHERE id = NEW.match_id "
    "AND review_status IS DISTINCT FROM <derived>; RETURN NULL; END; $$ LANGUAGE plpgsql",
    "CREATE OR REPLACE FUNCTION labtrack_review_status_guard() RETURNS trigger AS $$ BEGIN "
    "IF TG_OP = 'INSERT' AND NEW.review_status IS DISTINCT FROM 'open' "
    "OR TG_OP = 'UPDATE' AND NEW.review_status IS DISTINCT FROM <derived_new> THEN "
    "RAISE EXCEPTION '<refused>'; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS match_review_status_follows ON match_review",
    "CREATE TRIGGER match_review_status_follows AFTER INSERT ON match_review "
    "FOR EACH ROW EXECUTE FUNCTION labtrack_review_status_follows()",
    "DROP TRIGGER IF EXISTS match_review_status_guard ON match",
    "CREATE TRIGGER match_review_status_guard BEFORE INSERT OR UPDATE OF review_status ON match "
    "FOR EACH ROW EXECUTE FUNCTION labtrack_review_status_guard()",
)


def install_review_status_guard(connection: Connection) -> None:
    """Create the triggers (see the module docstring)."""
    dialect = connection.dialect.name
    for statement in {"sqlite": _SQLITE_DDL, "postgresql": _POSTGRESQL_DDL}.get(dialect, ()):
        connection.exec_driver_sql(statement)


def drop_review_status_guard(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for name in ("match_review_status_follows", "match_review_status_guard", "match_review_status_new"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS match_review_status_follows ON match_review")
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS match_review_status_guard ON match")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS labtrack_review_status_follows()")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS labtrack_review_status_guard()")


@event.listens_for(MatchReview.__table__, "after_create")  # type: ignore[attr-defined]
def _after_create(_table: Any, connection: Connection, **_kw: Any) -> None:
    install_review_status_guard(connection)
