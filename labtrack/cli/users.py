"""`labtrack users create|token|list`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from labtrack.core.errors import DomainError
from labtrack.db import standalone_session
from labtrack.models import ROLES
from labtrack.services import accounts


@click.group("users")
def users() -> None:
    """User accounts and machine tokens."""


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--full-name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 10 characters; prompted for when not given.")
@with_appcontext
def create(username: str, role: str, full_name: str, password: str) -> None:
    """Add a user from the shell."""
    with standalone_session() as db:
        try:
            user = accounts.create_user(session=db, username=username, full_name=full_name,
                                        role=role, password=password, by="cli")
        except DomainError as error:
            raise click.ClickException(
                "; ".join([error.message, *(str(p) for p in error.problems)])) from error
        click.echo(f"Created {user.username} ({user.role}).")


@users.command("token")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. 'bench station 2'.")
@with_appcontext
def token(username: str, name: str) -> None:
    """Issue a machine token for USERNAME (printed once)."""
    with standalone_session() as db:
        user = next((u for u in accounts.list_users(db) if u.username == username), None)
        if user is None:
            raise click.ClickException(f"no user named {username!r}")
        click.echo(accounts.issue_token(session=db, user=user, name=name, by="cli"))


@users.command("list")
@with_appcontext
def list_users() -> None:
    """List users and roles."""
    with standalone_session() as db:
        for user in accounts.list_users(db):
            click.echo(f"{user.username}\t{user.role}\t{user.full_name}")
