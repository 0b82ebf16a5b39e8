"""`labtrack kinship lr` (owned by the kinship engine work)."""

from __future__ import annotations

import click


@click.command("lr")
def lr_command() -> None:
    """Likelihood ratios for the cases of a cases.csv file."""
    raise click.ClickException("not implemented yet")
