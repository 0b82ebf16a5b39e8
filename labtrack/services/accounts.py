"""Users, passwords, login throttling and machine tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from labtrack.core.errors import AuthenticationFailed, Conflict, ProblemList
from labtrack.models import ROLES, ApiToken, User, utcnow
from labtrack.services.transaction import write

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    """scrypt (werkzeug's default), salted."""
    return generate_password_hash(password)


def create_user(*, session: Session, username: str, full_name: str, role: str, password: str,
                by: User | str, badge: str | None = None) -> User:
    problems = ProblemList()
    username = username.strip()
    if not username:
        problems.add("a username is required", field="username")
    if role not in ROLES:
        problems.add(f"unknown role {role!r}; choose one of {', '.join(ROLES)}", field="role")
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.add(f"the password needs at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if not full_name.strip():
        problems.add("a full name is required", field="full_name")
    problems.raise_if_any("The user cannot be created")
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"a user named {username!r} exists already")
    user = User(username=username, full_name=full_name.strip(), role=role,
                password_hash=hash_password(password), badge=badge)
    with write(session, actor=by, reason="user created"):
        session.add(user)
    return user


def authenticate(*, session: Session, username: str, password: str, max_failures: int = 5,
                 lockout_minutes: int = 15) -> User:
    """Check a password. After ``max_failures`` wrong passwords the account is locked for a while.

    The error message is the same for an unknown user and a wrong password.
    """
    user = session.exec(select(User).where(User.username == username.strip())).first()
    failure = AuthenticationFailed("Wrong username or password.")
    if user is None or not user.active:
        check_password_hash(hash_password("timing-equaliser"), password)
        raise failure
    now = utcnow()
    locked_until = user.locked_until
    if locked_until is not None and locked_until.tzinfo is None:
        locked_until = locked_until.replace(tzinfo=now.tzinfo)
    if locked_until is not None and locked_until > now:
        raise AuthenticationFailed(
            "Too many failed logins: this account is locked for a few minutes. Try again later."
        )
    if not check_password_hash(user.password_hash, password):
        with write(session, actor=user, reason="failed login"):
            user.failed_logins += 1
            if user.failed_logins >= max_failures:
                user.locked_until = now + timedelta(minutes=lockout_minutes)
                user.failed_logins = 0
            session.add(user)
        raise failure
    if user.failed_logins or user.locked_until:
        with write(session, actor=user, reason="successful login resets failures"):
            user.failed_logins = 0
            user.locked_until = None
            session.add(user)
    return user


def verify_password(user: User, password: str) -> bool:
    """Re-check a signed-in user's password (electronic signatures)."""
    return check_password_hash(user.password_hash, password)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(*, session: Session, user: User, name: str, by: User | str) -> str:
    """Create a machine token for ``user``; returns the token text (shown once, stored hashed)."""
    token = "lt_" + secrets.token_urlsafe(32)
    with write(session, actor=by, reason=f"API token {name!r} issued"):
        session.add(ApiToken(user_id=user.id or 0, name=name, token_hash=_token_digest(token)))
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.exec(
        select(ApiToken).where(ApiToken.token_hash == _token_digest(token), ApiToken.revoked_at == None)  # noqa: E711
    ).first()
    if row is None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def find_by_badge(session: Session, badge: str) -> User | None:
    return session.exec(select(User).where(User.badge == badge)).first()


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.username)))
