"""`labtrack kinship search` and `labtrack kinship simulate` (owned by the kinship search work)."""

from __future__ import annotations

import click


@click.command("search")
def search_command() -> None:
    """Blind search of remains against families."""
    raise click.ClickException("not implemented yet")


@click.command("simulate")
def simulate_command() -> None:
    """Write a synthetic data set."""
    raise click.ClickException("not implemented yet")
