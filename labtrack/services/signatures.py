"""Electronic signatures: the signer re-enters the password; the signature records its meaning
("reviewed", "approved", "issued"), the signer, the time and the SHA-256 of what was signed.

    content_sha256(evidence: dict) -> str
    sign(session=..., user=..., password=..., meaning=..., record_type=..., record_id=...,
         content=dict) -> Signature      # inside transaction.write; raises AuthenticationFailed
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session, select

from labtrack.core.errors import AuthenticationFailed, ValidationFailed
from labtrack.core.messages import msg
from labtrack.db import LOCKOUT_KEY
from labtrack.models import Signature, User
from labtrack.models.identification import SIGNATURE_MEANINGS
from labtrack.services.accounts import (
    LOCKED_MESSAGE,
    LOCKOUT_MINUTES,
    MAX_FAILURES,
    is_locked,
    record_failure,
    verify_password,
)
from labtrack.services.audit import canonical_json
from labtrack.services.transaction import after_rollback


def content_sha256(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of ``content``."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def check_password(user: User, password: str, session: Session | None = None) -> None:
    """Refuse a signature whose password is wrong (checked before anything is written), or whose
    signer is locked out. With ``session``, a wrong password counts toward the lockout like a
    failed login (recorded after the refused transaction is rolled back)."""
    if is_locked(user):
        raise AuthenticationFailed(LOCKED_MESSAGE)
    if not password or not verify_password(user, password):
        if session is not None and user.id is not None:
            user_id = user.id
            max_failures, minutes = session.info.get(LOCKOUT_KEY, (MAX_FAILURES, LOCKOUT_MINUTES))
            after_rollback(session, lambda: record_failure(session, user_id, max_failures=max_failures,
                                                           lockout_minutes=minutes,
                                                           reason="wrong signature password"))
        raise AuthenticationFailed(msg("The password is not correct: nothing was signed or changed."))


def sign(*, session: Session, user: User, password: str, meaning: str, record_type: str, record_id: int,
         content: dict[str, Any]) -> Signature:
    """Record a signature of ``content``. Must run inside ``transaction.write``."""
    if meaning not in SIGNATURE_MEANINGS:
        raise ValidationFailed(msg("unknown signature meaning %(meaning)s", meaning=repr(meaning)))
    current = session.get(User, user.id)  # the stored lockout state, not a copy from the login
    check_password(current or user, password, session)
    signature = Signature(user_id=user.id or 0, meaning=meaning, record_type=record_type,
                          record_id=record_id, content_sha256=content_sha256(content))
    session.add(signature)
    session.flush()
    return signature


def signatures_of(session: Session, record_type: str, record_id: int) -> list[Signature]:
    return list(session.exec(select(Signature).where(Signature.record_type == record_type,
                                                     Signature.record_id == record_id)
                             .order_by(Signature.id)))  # type: ignore[arg-type]
