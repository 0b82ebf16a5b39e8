"""`labtrack db upgrade`: apply the Alembic migrations."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from labtrack import migrations_runner
from labtrack.db import get_engine


@click.group("db")
def database() -> None:
    """Database schema (Alembic migrations)."""


@database.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def upgrade(revision: str) -> None:
    """Create or update every table to the latest schema."""
    engine = get_engine()
    migrations_runner.upgrade(engine, revision)
    click.echo(f"Database at {engine.url.render_as_string(hide_password=True)} is at {revision}.")
