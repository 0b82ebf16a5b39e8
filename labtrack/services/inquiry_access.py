"""A family opens its page with an inquiry code: checks, lockouts, and the record of every access.

    check_code(*, session, typed, client, hasher, policy) -> Access
    open_code(session, code_id) -> InquiryCode | None     # the code of a family's page, if it still works
    record_view(*, session, code, client, hasher) -> None

Safe by design:

- **No hint whether a code exists.** A wrong code, a code whose reference is unknown, and a
  replaced or revoked code get the same answer ("wrong") after the same work: one lookup of the
  reference, one scrypt run (against the stored hash, or the hasher's decoy), one access row.
- **Lockouts** count failed guesses in the ``inquiry_access`` table, so they hold across web
  processes and restarts: per reference (what was typed, whether it exists or not) and per
  client (a keyed fingerprint of the address). A locked answer is given before any secret is
  checked, also to the right code.
- **Every access is recorded** (accepted, viewed, wrong, malformed, locked) as an append-only
  row, written through ``transaction.write`` so that the audit log has it as well.

The web layer adds a per-client request rate limit (Flask-Limiter) in front of all this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from labtrack.core import inquiry_codes as core
from labtrack.models import InquiryAccess, InquiryCode, utcnow
from labtrack.models.inquiry import FAILED_OUTCOMES
from labtrack.services.transaction import write

FAMILY_ACTOR = "family inquiry page"


@dataclass(frozen=True)
class LockoutPolicy:
    """Failed guesses allowed per reference and per client within their windows."""

    per_code: int = 5
    code_window: timedelta = timedelta(minutes=15)
    per_client: int = 20
    client_window: timedelta = timedelta(minutes=60)


@dataclass(frozen=True)
class Access:
    """The answer to a typed code: ``outcome`` (accepted, wrong, malformed, locked), the code's id
    when accepted, and for a malformed code what is wrong with it (``core.MalformedCode``)."""

    outcome: str
    code_id: int | None = None
    problem: str | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome == "accepted"


def _failures(session: Session, where: object, since: object) -> int:
    statement = select(func.count()).select_from(InquiryAccess).where(
        where, InquiryAccess.at >= since, col(InquiryAccess.outcome).in_(FAILED_OUTCOMES))
    return int(session.exec(statement).one())


def _record(session: Session, *, outcome: str, reference: str, code_id: int | None, client: str,
            touch: bool = False) -> None:
    with write(session, actor=FAMILY_ACTOR, reason=f"inquiry code entered: {outcome}"):
        session.add(InquiryAccess(reference=reference, inquiry_code_id=code_id, outcome=outcome, client=client))
        if touch and code_id is not None:
            code = session.get(InquiryCode, code_id)
            if code is not None:
                code.last_used_at = utcnow()
                session.add(code)


def check_code(*, session: Session, typed: str, client: str, hasher: core.SecretHasher,
               policy: LockoutPolicy = LockoutPolicy()) -> Access:
    """Check what a family typed; record the attempt; never raise for bad input."""
    tag = hasher.client_tag(client)
    now = utcnow()
    if _failures(session, InquiryAccess.client == tag, now - policy.client_window) >= policy.per_client:
        _record(session, outcome="locked", reference="", code_id=None, client=tag)
        return Access("locked")
    try:
        code = core.read_code(typed)
    except core.MalformedCode as error:
        _record(session, outcome="malformed", reference="", code_id=None, client=tag)
        return Access("malformed", problem=error.problem)
    # one row of plain values (no ORM object: the same statements whether the reference exists or not)
    stored = session.exec(select(InquiryCode.id, InquiryCode.secret_hash, InquiryCode.status)
                          .where(InquiryCode.reference == code.reference)).first()
    code_id, secret_hash, status = stored if stored is not None else (None, hasher.decoy, "")
    if _failures(session, InquiryAccess.reference == code.reference, now - policy.code_window) >= policy.per_code:
        _record(session, outcome="locked", reference=code.reference, code_id=code_id, client=tag)
        return Access("locked")
    matches = hasher.verify(code.reference, code.secret, secret_hash)
    accepted = matches and status == "active"
    _record(session, outcome="accepted" if accepted else "wrong", reference=code.reference, code_id=code_id,
            client=tag, touch=accepted)
    return Access("accepted", code_id) if accepted else Access("wrong")


def open_code(session: Session, code_id: int | None) -> InquiryCode | None:
    """The code behind a family's page while it still works (active), else None."""
    if code_id is None:
        return None
    row = session.get(InquiryCode, code_id)
    return row if row is not None and row.status == "active" else None


def record_view(*, session: Session, code: InquiryCode, client: str, hasher: core.SecretHasher) -> None:
    """Record that the family's page was shown (each view is an access)."""
    _record(session, outcome="viewed", reference=code.reference, code_id=code.id, client=hasher.client_tag(client))
