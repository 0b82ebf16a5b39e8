"""`labtrack labels ITEM_ID... --layout sheet|roll|tube|zpl --out FILE`: print labels from the shell."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlmodel import select

from labtrack.core.errors import DomainError
from labtrack.db import standalone_session
from labtrack.documents.labels import LAYOUTS
from labtrack.models import User
from labtrack.services import labels as label_service


@click.command("labels")
@click.argument("item_ids", nargs=-1, required=True)
@click.option("--layout", type=click.Choice(LAYOUTS), default="sheet", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write (PDF, or ZPL text for --layout zpl).")
@click.option("--by", "username", envvar="LABTRACK_USER", required=True,
              help="Who prints (username; or set LABTRACK_USER). Recorded with every print.")
@click.option("--reason", default="", help="Why labels are printed again (required for a reprint).")
@with_appcontext
def labels(item_ids: tuple[str, ...], layout: str, out: Path, username: str, reason: str) -> None:
    """Print labels for ITEM_IDS; every print and reprint is recorded."""
    with standalone_session() as db:
        user = db.exec(select(User).where(User.username == username)).first()
        if user is None or not user.active:
            raise click.ClickException(f"no active user {username!r}")
        try:
            content, prints = label_service.print_labels(session=db, accessions=list(item_ids), layout=layout,
                                                         by=user, reason=reason)
        except DomainError as error:
            raise click.ClickException("; ".join([error.message, *(str(p) for p in error.problems)])) from error
    out.write_bytes(content)
    reprints = sum(1 for p in prints if p.reprint)
    click.echo(f"{len(prints)} label(s) ({layout}, {reprints} reprint(s)) written to {out}")
