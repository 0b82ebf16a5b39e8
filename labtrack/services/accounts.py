"""Users, passwords, lockouts, sessions and machine tokens.

Every password check — login, an electronic signature, a retraction — counts toward the same
lockout (``LOGIN_MAX_FAILURES`` wrong passwords lock the account for ``LOGIN_LOCKOUT_MINUTES``).
An unknown username costs the same one scrypt check as a known one. A session's user id carries
the user's ``session_epoch``, raised at logout, so a copied session cookie stops working then.
Tokens act with the role they were issued for (never more than their user's), expire, and can be
revoked.

Administration (``deactivate``, ``reactivate``, ``reset_password``, ``change_role``) is an
administrator's, each with a reason kept in the audit log. A deactivated user stays in every record
but cannot log in: their sessions end and their tokens are revoked. A reset gives a temporary
password the user must replace at the next login. At least one active administrator always remains.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from labtrack.core.errors import (
    AuthenticationFailed,
    Conflict,
    InputProblem,
    NotFound,
    PermissionDenied,
    ProblemList,
    ValidationFailed,
)
from labtrack.core.messages import msg, term, terms
from labtrack.models import ROLES, ApiToken, User, utcnow
from labtrack.services.transaction import write

MIN_PASSWORD_LENGTH = 10
MAX_FAILURES = 5
LOCKOUT_MINUTES = 15
TOKEN_DAYS = 365
_DUMMY_HASH: list[str] = []  # computed once: refusing an unknown user costs one check, like a known one


def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_urlsafe(16)))
    return _DUMMY_HASH[0]


def hash_password(password: str) -> str:
    """scrypt (werkzeug's default), salted."""
    return generate_password_hash(password)


def create_user(*, session: Session, username: str, full_name: str, role: str, password: str,
                by: User | str, badge: str | None = None) -> User:
    problems = ProblemList()
    username = username.strip()
    if not username:
        problems.add(msg("a username is required"), field="username")
    if role not in ROLES:
        problems.add(msg("unknown role %(role)s; choose one of %(roles)s", role=repr(role), roles=terms(ROLES)),
                     field="role")
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.add(msg("the password needs at least %(count)s characters", count=MIN_PASSWORD_LENGTH),
                     field="password")
    if not full_name.strip():
        problems.add(msg("a full name is required"), field="full_name")
    problems.raise_if_any(msg("The user cannot be created"))
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(msg("a user named %(username)s exists already", username=repr(username)))
    user = User(username=username, full_name=full_name.strip(), role=role,
                password_hash=hash_password(password), badge=badge)
    with write(session, actor=by, reason="user created"):
        session.add(user)
    return user


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def is_locked(user: User) -> bool:
    locked_until = _aware(user.locked_until)
    return locked_until is not None and locked_until > utcnow()


LOCKED_MESSAGE = "Too many wrong passwords: this account is locked for a few minutes. Try again later."


def record_failure(session: Session, user_id: int, *, max_failures: int = MAX_FAILURES,
                   lockout_minutes: int = LOCKOUT_MINUTES, reason: str = "wrong password") -> None:
    """Count a wrong password in its own transaction (it must survive the refused action's rollback)."""
    user = session.get(User, user_id)
    if user is None:
        return
    with write(session, actor=user, reason=reason):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = utcnow() + timedelta(minutes=lockout_minutes)
            user.failed_logins = 0
        session.add(user)


def authenticate(*, session: Session, username: str, password: str, max_failures: int = MAX_FAILURES,
                 lockout_minutes: int = LOCKOUT_MINUTES) -> User:
    """Check a password. After ``max_failures`` wrong passwords the account is locked for a while.

    The error message and the work (one scrypt check) are the same for an unknown user and a
    wrong password.
    """
    user = session.exec(select(User).where(User.username == username.strip())).first()
    failure = AuthenticationFailed(msg("Wrong username or password."))
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)
        raise failure
    if is_locked(user):
        check_password_hash(_dummy_hash(), password)
        raise AuthenticationFailed(LOCKED_MESSAGE)
    if not check_password_hash(user.password_hash, password):
        record_failure(session, user.id or 0, max_failures=max_failures, lockout_minutes=lockout_minutes,
                       reason="failed login")
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


def end_sessions(session: Session, user: User) -> None:
    """Log the user out everywhere: every session cookie issued before stops working."""
    row = session.get(User, user.id)
    if row is None:
        return
    with write(session, actor=row, reason="logout: sessions ended"):
        row.session_epoch += 1
        session.add(row)


def user_for_session(session: Session, session_user_id: str) -> User | None:
    """The user of a session cookie's ``id:epoch``, if the user is active and the epoch current."""
    user_id, _, epoch = session_user_id.partition(":")
    if not user_id.isdigit() or not epoch.isdigit():
        return None  # a cookie from before sessions carried the epoch
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.session_epoch != int(epoch):
        return None
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(*, session: Session, user: User, name: str, by: User | str, role: str | None = None,
                days: int | None = TOKEN_DAYS) -> str:
    """Create a machine token for ``user`` acting as ``role`` (default: the user's role; only an
    admin's token may take another role), expiring after ``days`` (None: never). Returns the token
    text (shown once, stored hashed)."""
    role = role or user.role
    if role not in ROLES:
        raise ValidationFailed(msg("unknown role %(role)s; choose one of %(roles)s", role=repr(role),
                                   roles=terms(ROLES)))
    if role != user.role and user.role != "admin":
        raise PermissionDenied(msg("a token of %(username)s (%(own)s) cannot act as %(role)s", username=user.username,
                                   own=term(user.role), role=term(role)))
    if days is not None and not 1 <= days <= 3650:
        raise ValidationFailed(msg("a token lasts between 1 and 3650 days"))
    token = "lt_" + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=days) if days is not None else None
    with write(session, actor=by, reason=f"API token {name!r} issued ({role})"):
        session.add(ApiToken(user_id=user.id or 0, name=name, token_hash=_token_digest(token), role=role,
                             expires_at=expires))
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The user a token acts for, as a detached copy carrying the token's role; None when the token
    is unknown, revoked or expired, or its user inactive."""
    row = session.exec(
        select(ApiToken).where(ApiToken.token_hash == _token_digest(token), ApiToken.revoked_at == None)  # noqa: E711
    ).first()
    if row is None:
        return None
    if token_expired(row):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if row.role and row.role != user.role and user.role != "admin":
        return None  # issued when the user was an administrator: never more than the user's role now
    acting = User.model_validate(user.model_dump())  # a transient copy: the role change is never saved
    acting.role = row.role or user.role
    return acting


def token_expired(token: ApiToken) -> bool:
    expires = _aware(token.expires_at)
    return expires is not None and expires <= utcnow()


def list_tokens(session: Session) -> list[tuple[ApiToken, User | None]]:
    tokens = session.exec(select(ApiToken).order_by(ApiToken.id)).all()  # type: ignore[arg-type]
    return [(token, session.get(User, token.user_id)) for token in tokens]


def revoke_token(*, session: Session, token_id: int, by: User | str) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(msg("no token #%(id)s", id=token_id))
    if token.revoked_at is None:
        with write(session, actor=by, reason=f"API token {token.name!r} revoked"):
            token.revoked_at = utcnow()
            session.add(token)
    return token


# --- administration --------------------------------------------------------------------------

def _admin_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(msg("no user #%(id)s", id=user_id))
    return user


def find_user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username.strip())).first()
    if user is None:
        raise NotFound(msg("no user named %(name)s", name=username.strip()))
    return user


def _keeps_an_admin(session: Session, user: User) -> None:
    """Refuse a change that would leave no active administrator (``user`` loses the role or access)."""
    others = session.exec(select(User.id).where(User.role == "admin", User.active == True,  # noqa: E712
                                                User.id != user.id)).first()
    if user.role == "admin" and user.active and others is None:
        raise Conflict(LAST_ADMIN_MESSAGE, [InputProblem(message=LAST_ADMIN_MESSAGE, field="role")])


LAST_ADMIN_MESSAGE = msg("This is the last active administrator: make another user an administrator first.")


def _reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(message, [InputProblem(message=message, field="reason")])
    return reason


def _revoke_tokens(session: Session, user: User, *, keep_role: str | None = None) -> int:
    """Revoke the user's live tokens (all, or those acting with a role other than ``keep_role``)."""
    count = 0
    for token in session.exec(select(ApiToken).where(ApiToken.user_id == user.id,
                                                     ApiToken.revoked_at == None)):  # noqa: E711
        if keep_role is None or (token.role or keep_role) != keep_role:
            token.revoked_at = utcnow()
            session.add(token)
            count += 1
    return count


def deactivate(*, session: Session, user_id: int, by: User | str, reason: str) -> User:
    """Stop a user: no login; sessions end and machine tokens are revoked. The account and every
    record naming the user stay."""
    reason = _reason(reason, msg("a reason is required to deactivate the user"))
    username = _admin_user(session, user_id).username
    with write(session, actor=by, reason=f"user {username} deactivated: {reason}"):
        user = _admin_user(session, user_id)  # read inside the transaction: the log keeps the values before
        if not user.active:
            raise Conflict(msg("%(name)s is deactivated already", name=user.username))
        _keeps_an_admin(session, user)
        user.active = False
        user.session_epoch += 1
        session.add(user)
        _revoke_tokens(session, user)
    return user


def reactivate(*, session: Session, user_id: int, by: User | str, reason: str) -> User:
    """Let a deactivated user log in again (their old tokens stay revoked)."""
    reason = _reason(reason, msg("a reason is required to reactivate the user"))
    username = _admin_user(session, user_id).username
    with write(session, actor=by, reason=f"user {username} reactivated: {reason}"):
        user = _admin_user(session, user_id)
        if user.active:
            raise Conflict(msg("%(name)s is active already", name=user.username))
        user.active = True
        user.failed_logins = 0
        user.locked_until = None
        session.add(user)
    return user


def reset_password(*, session: Session, user_id: int, by: User | str, reason: str) -> str:
    """Give the user a temporary password (returned, shown once) that they must change at the next
    login; their sessions end and a lockout is lifted."""
    reason = _reason(reason, msg("a reason is required to reset the password"))
    username = _admin_user(session, user_id).username
    temporary = secrets.token_urlsafe(12)
    with write(session, actor=by, reason=f"password of {username} reset: {reason}"):
        user = _admin_user(session, user_id)
        user.password_hash = hash_password(temporary)
        user.must_change_password = True
        user.session_epoch += 1
        user.failed_logins = 0
        user.locked_until = None
        session.add(user)
    return temporary


def change_role(*, session: Session, user_id: int, role: str, by: User | str, reason: str) -> User:
    """Give the user another role; tokens acting with another role than the new one are revoked
    (only an administrator's tokens may act as another role)."""
    problems = ProblemList()
    if role not in ROLES:
        problems.add(msg("unknown role %(role)s; choose one of %(roles)s", role=role, roles=", ".join(ROLES)),
                     field="role")
    if not (reason or "").strip():
        problems.add(msg("a reason is required to change the role"), field="reason")
    problems.raise_if_any(msg("The role was not changed"))
    user = _admin_user(session, user_id)
    with write(session, actor=by, reason=f"role of {user.username}: {user.role} -> {role}: {reason.strip()}"):
        user = _admin_user(session, user_id)
        if user.role == role:
            raise Conflict(msg("%(name)s has this role already", name=user.username),
                           [InputProblem(message=msg("the user has this role already"), field="role")])
        if role != "admin":
            _keeps_an_admin(session, user)
        user.role = role
        session.add(user)
        if role != "admin":
            _revoke_tokens(session, user, keep_role=role)
    return user


def change_own_password(*, session: Session, user: User, current: str, new: str) -> User:
    """The user replaces their password (after a reset, or at will); a wrong current password counts
    toward the lockout. Other sessions of the user end."""
    row = _admin_user(session, user.id or 0)
    problems = ProblemList()
    if len(new) < MIN_PASSWORD_LENGTH:
        problems.add(msg("the password needs at least 10 characters"), field="new_password")
    elif new == current:
        problems.add(msg("choose a password other than the current one"), field="new_password")
    problems.raise_if_any(msg("The password was not changed"))
    if is_locked(row):
        raise AuthenticationFailed(LOCKED_MESSAGE)
    if not check_password_hash(row.password_hash, current):
        record_failure(session, row.id or 0, reason="wrong password at a password change")
        problems.add(msg("the current password is wrong"), field="current_password")
        problems.raise_if_any(msg("The password was not changed"))
    with write(session, actor=row, reason="password changed by its user"):
        row = _admin_user(session, user.id or 0)
        row.password_hash = hash_password(new)
        row.must_change_password = False
        row.session_epoch += 1
        session.add(row)
    return row


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def find_by_badge(session: Session, badge: str) -> User | None:
    return session.exec(select(User).where(User.badge == badge)).first()


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.username)))
