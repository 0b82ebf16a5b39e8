"""`labtrack freqs import|list` (allele-frequency tables in the freqs.csv format)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from labtrack.cli.profiles import acting_user, fail
from labtrack.core.errors import DomainError
from labtrack.db import standalone_session
from labtrack.services import frequencies


@click.group("freqs")
def freqs() -> None:
    """Allele-frequency tables."""


@freqs.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Table name, e.g. 'Syria 2025 (n=500)'.")
@click.option("--source", default="", help="Where the table comes from (publication, licence).")
@click.option("--default", "make_default", is_flag=True, help="Make it the default for searches.")
@with_appcontext
def import_(file: Path, name: str, source: str, make_default: bool) -> None:
    """Import a validated freqs.csv table."""
    with standalone_session() as db:
        try:
            table = frequencies.import_table(session=db, raw=file.read_bytes(), filename=file.name,
                                             name=name, source=source, make_default=make_default,
                                             by=acting_user(db, None))
        except DomainError as error:
            raise fail(error) from error
        click.echo(f"Imported frequency table {table.name!r} (#{table.id})"
                   f"{', now the default' if make_default else ''}.")


@freqs.command("list")
@with_appcontext
def list_() -> None:
    """List the frequency tables."""
    with standalone_session() as db:
        for table in frequencies.list_tables(db):
            click.echo(f"#{table.id} {table.name}{'  (default)' if table.is_default else ''}")
