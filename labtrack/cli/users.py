"""`labtrack users create|list|token|tokens|revoke-token|deactivate|reactivate|reset-password|set-role`."""

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
@click.option("--role", type=click.Choice(ROLES), default=None,
              help="The role the token acts with (default: the user's; only an admin's token may take another).")
@click.option("--days", type=click.IntRange(1, 3650), default=accounts.TOKEN_DAYS, show_default=True,
              help="Days until the token expires.")
@with_appcontext
def token(username: str, name: str, role: str | None, days: int) -> None:
    """Issue a machine token for USERNAME (printed once)."""
    with standalone_session() as db:
        user = next((u for u in accounts.list_users(db) if u.username == username), None)
        if user is None:
            raise click.ClickException(f"no user named {username!r}")
        try:
            click.echo(accounts.issue_token(session=db, user=user, name=name, by="cli", role=role, days=days))
        except DomainError as error:
            raise click.ClickException(error.message) from error


@users.command("tokens")
@with_appcontext
def tokens() -> None:
    """List machine tokens: id, name, user, role, expiry, state."""
    with standalone_session() as db:
        for row, owner in accounts.list_tokens(db):
            state = "revoked" if row.revoked_at else "expired" if accounts.token_expired(row) else "active"
            expires = f"{row.expires_at:%Y-%m-%d}" if row.expires_at else "never"
            click.echo(f"{row.id}\t{row.name}\t{owner.username if owner else '?'}\t"
                       f"{row.role or (owner.role if owner else '?')}\t{expires}\t{state}")


@users.command("revoke-token")
@click.argument("token_id", type=int)
@with_appcontext
def revoke_token(token_id: int) -> None:
    """Revoke machine token TOKEN_ID (see `labtrack users tokens`)."""
    with standalone_session() as db:
        try:
            row = accounts.revoke_token(session=db, token_id=token_id, by="cli")
        except DomainError as error:
            raise click.ClickException(error.message) from error
        click.echo(f"Token {row.id} ({row.name}) revoked.")


@users.command("list")
@with_appcontext
def list_users() -> None:
    """List users and roles."""
    with standalone_session() as db:
        for user in accounts.list_users(db):
            click.echo(f"{user.username}\t{user.role}\t{user.full_name}"
                       f"{'' if user.active else chr(9) + 'deactivated'}")


def _fail(error: DomainError) -> click.ClickException:
    return click.ClickException("; ".join([error.message, *(str(p) for p in error.problems)]))


REASON = click.option("--reason", required=True, help="Why (kept in the audit log).")


@users.command("deactivate")
@click.argument("username")
@REASON
@with_appcontext
def deactivate(username: str, reason: str) -> None:
    """Stop USERNAME: no login, sessions ended, tokens revoked (the account stays in every record)."""
    with standalone_session() as db:
        try:
            user = accounts.deactivate(session=db, user_id=accounts.find_user(db, username).id or 0, by="cli",
                                       reason=reason)
        except DomainError as error:
            raise _fail(error) from error
        click.echo(f"{user.username} deactivated.")


@users.command("reactivate")
@click.argument("username")
@REASON
@with_appcontext
def reactivate(username: str, reason: str) -> None:
    """Let a deactivated USERNAME log in again."""
    with standalone_session() as db:
        try:
            user = accounts.reactivate(session=db, user_id=accounts.find_user(db, username).id or 0, by="cli",
                                       reason=reason)
        except DomainError as error:
            raise _fail(error) from error
        click.echo(f"{user.username} reactivated.")


@users.command("reset-password")
@click.argument("username")
@REASON
@with_appcontext
def reset_password(username: str, reason: str) -> None:
    """Give USERNAME a temporary password (printed once) to change at the next login."""
    with standalone_session() as db:
        try:
            temporary = accounts.reset_password(session=db, user_id=accounts.find_user(db, username).id or 0,
                                                by="cli", reason=reason)
        except DomainError as error:
            raise _fail(error) from error
        click.echo(temporary)


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@REASON
@with_appcontext
def set_role(username: str, role: str, reason: str) -> None:
    """Give USERNAME another ROLE (at least one active admin remains)."""
    with standalone_session() as db:
        try:
            user = accounts.change_role(session=db, user_id=accounts.find_user(db, username).id or 0, role=role,
                                        by="cli", reason=reason)
        except DomainError as error:
            raise _fail(error) from error
        click.echo(f"{user.username} is now {user.role}.")
