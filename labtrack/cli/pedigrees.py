"""`labtrack pedigrees import|export` (the ``pedigrees.csv`` exchange format) and
`labtrack pedigrees correct-member|remove-member` (the corrections of the family page)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from labtrack.cli.profiles import acting_user, fail
from labtrack.core.errors import DomainError
from labtrack.db import standalone_session
from labtrack.services import identification_basis, pedigree_corrections, pedigree_exchange


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
            created = pedigree_exchange.import_pedigrees(session=db, raw=file.read_bytes(), filename=file.name,
                                                         by=acting_user(db, username))
        except DomainError as error:
            raise fail(error) from error
        notices = pedigree_exchange.already_identified(db, created, filename=file.name)
        click.echo(f"Imported {len(created)} famil{'y' if len(created) == 1 else 'ies'}: "
                   f"{', '.join(f.code for f in created)}.")
        for notice in notices:
            click.echo(f"Note: {notice}")


@pedigrees.command("export")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export(output: Path) -> None:
    """Write every family to OUTPUT as pedigrees.csv."""
    with standalone_session() as db:
        output.write_bytes(pedigree_exchange.export_pedigrees(db))
    click.echo(f"Wrote {output}.")


@pedigrees.command("correct-member")
@click.argument("family")
@click.argument("person")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@click.option("--user", "username", default=None, help="Who corrects (default: the first admin).")
@click.option("--person-code", default=None, help="A new code for the person.")
@click.option("--sex", type=click.Choice(["M", "F", "U"]), default=None)
@click.option("--father", default=None, help="The father's person code ('' for none).")
@click.option("--mother", default=None, help="The mother's person code ('' for none).")
@click.option("--relation", default=None)
@click.option("--donor", "donor_code", default=None, help="The donor code ('' for none).")
@with_appcontext
def correct_member(family: str, person: str, reason: str, username: str | None, **values: str | None) -> None:
    """Correct PERSON of FAMILY (only the options given change; the tree is checked as a whole)."""
    with standalone_session() as db:
        try:
            member = pedigree_corrections.find_member(db, family, person)
            family_id = member.family_id
            member = pedigree_corrections.correct_member(
                session=db, member_id=member.id or 0, by=acting_user(db, username), reason=reason,
                **{k: v for k, v in values.items() if v is not None})
        except DomainError as error:
            raise fail(error) from error
        click.echo(f"{member.person_code} of {family} corrected.")
        _warn_stake(db, family_id)


@pedigrees.command("remove-member")
@click.argument("family")
@click.argument("person")
@click.option("--reason", required=True, help="Why (kept with the removed person and in the audit log).")
@click.option("--user", "username", default=None, help="Who removes (default: the first admin).")
@with_appcontext
def remove_member(family: str, person: str, reason: str, username: str | None) -> None:
    """Take PERSON out of FAMILY's tree (kept as a removed person)."""
    with standalone_session() as db:
        try:
            member = pedigree_corrections.find_member(db, family, person)
            family_id = member.family_id
            pedigree_corrections.remove_member(session=db, member_id=member.id or 0, by=acting_user(db, username),
                                               reason=reason)
        except DomainError as error:
            raise fail(error) from error
        click.echo(f"{person} removed from {family}.")
        _warn_stake(db, family_id)


def _warn_stake(db: Any, family_id: int) -> None:
    """Say on stderr which approved identification rests on the tree being changed."""
    warning = identification_basis.warning_for_family(db, family_id)
    if warning is not None:
        click.echo(f"warning: {warning}", err=True)
