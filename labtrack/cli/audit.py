"""`labtrack audit verify`: walk the hash chain."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from labtrack.db import standalone_session
from labtrack.services import audit as audit_service


@click.group("audit")
def audit() -> None:
    """The tamper-evident audit log."""


@audit.command("verify")
@with_appcontext
def verify() -> None:
    """Verify the audit chain; exit 1 and name the first bad entry when it was tampered with."""
    with standalone_session() as db:
        result = audit_service.verify_chain(db)
    if result.ok:
        click.echo(f"OK: {result.entries} audit entries, hash chain intact.")
        return
    click.echo(f"TAMPERED: {result.first_break}", err=True)
    raise SystemExit(1)
