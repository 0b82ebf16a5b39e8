"""`labtrack kinship reproduce MATCH_ID`: recompute a candidate from the snapshot of its inputs."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from labtrack.cli.profiles import fail
from labtrack.core.errors import DomainError
from labtrack.db import standalone_session
from labtrack.services import snapshots


@click.command("reproduce")
@click.argument("match_id", type=int)
@with_appcontext
def reproduce_command(match_id: int) -> None:
    """Recompute MATCH_ID's latest computation from its stored snapshot and compare bit for bit
    (exit 1 when anything differs)."""
    with standalone_session() as db:
        try:
            result = snapshots.reproduce(db, match_id)
        except DomainError as error:
            raise fail(error) from error
    click.echo(f"match {match_id}: snapshot {'intact' if result.snapshot_ok else 'ALTERED'}; "
               f"stored log10 LR {result.stored_log10_lr!r}, recomputed {result.recomputed_log10_lr!r}; "
               f"per-locus {'identical' if result.same_per_locus else 'DIFFERENT'}")
    if not result.identical:
        raise click.ClickException(f"match {match_id} is not reproduced bit for bit")
    click.echo(f"match {match_id} reproduced bit for bit")
