"""The ``labtrack`` command: a Flask CLI group; each area's commands live in their own module."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def commands() -> list[click.Command]:
    from labtrack.cli.audit import audit
    from labtrack.cli.backup import backup, restore
    from labtrack.cli.database import database
    from labtrack.cli.demo import demo, quickstart
    from labtrack.cli.familias import familias
    from labtrack.cli.freqs import freqs
    from labtrack.cli.kinship import kinship
    from labtrack.cli.labels import labels
    from labtrack.cli.pedigrees import pedigrees
    from labtrack.cli.profiles import profiles
    from labtrack.cli.sites import remains, sites
    from labtrack.cli.users import users
    from labtrack.cli.worker import jobs_group, match_runs_group, worker

    return [audit, backup, restore, database, demo, quickstart, kinship, users, profiles, pedigrees, freqs,
            labels, worker, jobs_group, match_runs_group, familias, sites, remains]


def init_app(app: Flask) -> None:
    """Attach every command group to ``app.cli`` (the ``labtrack`` command and test runners)."""
    for command in commands():
        app.cli.add_command(command)


def _create_app() -> Flask:
    from labtrack import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False,
             load_dotenv=False, set_debug_flag=False)
def main() -> None:
    """labtrack: forensic DNA identification tracker."""


if __name__ == "__main__":  # pragma: no cover
    main()
