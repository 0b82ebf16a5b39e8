"""`labtrack kinship ...`: kinship jobs on files in the exchange format (no database needed)."""

from __future__ import annotations

import click

from labtrack.cli.kinship_dvi import dvi_command
from labtrack.cli.kinship_lr import lr_command
from labtrack.cli.kinship_power import power_command
from labtrack.cli.kinship_reproduce import reproduce_command
from labtrack.cli.kinship_search import search_command, simulate_command


@click.group("kinship")
def kinship() -> None:
    """Kinship likelihood ratios, blind search and simulation on exchange-format files."""


kinship.add_command(lr_command, "lr")
kinship.add_command(search_command, "search")
kinship.add_command(simulate_command, "simulate")
kinship.add_command(dvi_command, "dvi")
kinship.add_command(power_command, "power")
kinship.add_command(reproduce_command, "reproduce")
