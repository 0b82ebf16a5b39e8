"""`labtrack sites correct|status` and `labtrack remains correct`: the corrections of the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click
from flask.cli import with_appcontext

from labtrack.cli.profiles import acting_user, fail
from labtrack.core.errors import DomainError
from labtrack.db import standalone_session
from labtrack.models.sites import REMAINS_TYPES, SEXES, SITE_STATUSES
from labtrack.services import site_corrections

REASON = click.option("--reason", required=True, help="Why (kept in the audit log).")
USER = click.option("--user", "username", default=None, help="Who corrects (default: the first admin).")


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


@click.group("sites")
def sites() -> None:
    """Exhumation sites: corrections and status."""


@sites.command("correct")
@click.argument("code")
@REASON
@USER
@click.option("--name-en", default=None)
@click.option("--name-ar", default=None)
@click.option("--governorate", default=None)
@click.option("--latitude", type=float, default=None)
@click.option("--longitude", type=float, default=None)
@click.option("--legal-case", "legal_case_ref", default=None)
@with_appcontext
def correct_site(code: str, reason: str, username: str | None, **values: Any) -> None:
    """Correct the site CODE (only the options given change; the code never does)."""
    with standalone_session() as db:
        try:
            site = site_corrections.correct_site(session=db, site_code=code, by=acting_user(db, username),
                                                 reason=reason, **_given(values))
        except DomainError as error:
            raise fail(error) from error
        click.echo(f"Site {site.code} corrected.")


@sites.command("status")
@click.argument("code")
@click.argument("status", type=click.Choice(SITE_STATUSES))
@REASON
@USER
@with_appcontext
def site_status(code: str, status: str, reason: str, username: str | None) -> None:
    """Close the site CODE (no new remains), reopen it (active), or mark it reported."""
    with standalone_session() as db:
        try:
            site = site_corrections.set_site_status(session=db, site_code=code, status=status,
                                                    by=acting_user(db, username), reason=reason)
        except DomainError as error:
            raise fail(error) from error
        click.echo(f"Site {site.code} is now {site.status}.")


@click.group("remains")
def remains() -> None:
    """Remains: corrections."""


@remains.command("correct")
@click.argument("accession")
@REASON
@USER
@click.option("--type", "remains_type", type=click.Choice(REMAINS_TYPES), default=None)
@click.option("--anatomical-elements", default=None)
@click.option("--trench", default=None)
@click.option("--grid", default=None)
@click.option("--depth-m", type=float, default=None)
@click.option("--recovered-on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option("--recovery-team", default=None)
@click.option("--est-sex", type=click.Choice(SEXES), default=None)
@click.option("--est-age-min", type=int, default=None)
@click.option("--est-age-max", type=int, default=None)
@click.option("--est-stature-cm", type=float, default=None)
@click.option("--personal-effects", default=None)
@click.option("--notes", default=None)
@with_appcontext
def correct_remains(accession: str, reason: str, username: str | None, **values: Any) -> None:
    """Correct the remains ACCESSION: type, anthropology, grave location, recovery (only the options given)."""
    if isinstance(values.get("recovered_on"), datetime):
        values["recovered_on"] = values["recovered_on"].date()
    with standalone_session() as db:
        try:
            found = site_corrections.correct_remains(session=db, accession=accession, by=acting_user(db, username),
                                                     reason=reason, **_given(values))
        except DomainError as error:
            raise fail(error) from error
        click.echo(f"Remains {found.accession} corrected.")
