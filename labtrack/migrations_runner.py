"""Run Alembic migrations programmatically on labtrack's engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


#: PostgreSQL advisory lock held while migrating: replicas that start together (each running
#: ``labtrack db upgrade``) migrate one after the other; the later ones find the database at head.
MIGRATION_LOCK = 0x6C61_6274  # "labt"


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (creates every table and the append-only triggers).

    One transaction; on PostgreSQL it first takes ``MIGRATION_LOCK`` (released at commit), so
    concurrent upgrades cannot race (SQLite: the first DDL statement takes the write lock)."""
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new revision from the models (developers)."""
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.revision(cfg, message=message, autogenerate=True)
