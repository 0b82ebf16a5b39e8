"""`labtrack pedigrees import|export` (the ``pedigrees.csv`` exchange format)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from labtrack.cli.profiles import acting_user, fail
from labtrack.core.errors import DomainError
from labtrack.db import standalone_session
from labtrack.services import families


@click.group("pedigrees")
def pedigrees() -> None:
    """Family trees in the pedigrees.csv format."""


@pedigrees.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", default=None)
@with_appcontext
def import_(file: Path, username: str | None) -> None:
    """Create the families of FILE (all or nothing)."""
    with standalone_session() as db:
        try:
            created = families.import_pedigrees(session=db, raw=file.read_bytes(), filename=file.name,
                                                by=acting_user(db, username))
        except DomainError as error:
            raise fail(error) from error
        click.echo(f"Imported {len(created)} famil{'y' if len(created) == 1 else 'ies'}: "
                   f"{', '.join(f.code for f in created)}.")


@pedigrees.command("export")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export(output: Path) -> None:
    """Write every family to OUTPUT as pedigrees.csv."""
    with standalone_session() as db:
        output.write_bytes(families.export_pedigrees(db))
    click.echo(f"Wrote {output}.")
