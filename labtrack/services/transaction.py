"""The unit of work: one transaction per service call, attributed to a person, rolled back on error."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from labtrack.core.errors import Busy, Conflict
from labtrack.core.messages import msg
from labtrack.db import WRITE_OPTION, WriterBusy, writer_lock
from labtrack.models import User
from labtrack.services import audit_seal

ACTOR_KEY = "labtrack.actor"
REASON_KEY = "labtrack.reason"
AFTER_ROLLBACK_KEY = "labtrack.after_rollback"
log = logging.getLogger(__name__)


def after_rollback(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current unit of work has been rolled back (e.g. to count a wrong
    signature password, which must not vanish with the refused change). Not run on commit."""
    session.info.setdefault(AFTER_ROLLBACK_KEY, []).append(callback)


@contextmanager
def write(session: Session, *, actor: User | str, reason: str = "") -> Iterator[Session]:
    """Run a block of writes as one transaction by ``actor``.

    Every flushed change is written to the audit log in the same transaction (see
    ``labtrack.services.audit``). On any exception the transaction is rolled back, so a failure
    leaves the database unchanged. Database constraint violations become ``Conflict``.
    """
    if ACTOR_KEY in session.info:
        # already inside a unit of work: join it (the outer ``write`` commits or rolls back)
        yield session
        return
    if session.in_transaction():
        # a read earlier in the request opened a transaction: end it so that ours starts fresh
        session.rollback()
    try:
        with writer_lock(session.get_bind().engine):
            yield from _unit_of_work(session, actor, reason)
    except WriterBusy as error:
        raise Busy(BUSY_MESSAGE) from error


def _unit_of_work(session: Session, actor: User | str, reason: str) -> Iterator[Session]:
    session.info[ACTOR_KEY] = actor
    session.info[REASON_KEY] = reason
    committed = False
    try:
        session.connection(execution_options={WRITE_OPTION: True})
        yield session
        session.commit()
        committed = True
        audit_seal.checkpoint_after_commit(session)
    except IntegrityError as error:
        session.rollback()
        raise Conflict(msg("The change conflicts with existing records: %(problem)s", problem=_short(error))) from error
    except DBAPIError as error:
        # SQLite: OperationalError; PostgreSQL: the trigger's RAISE arrives as InternalError
        session.rollback()
        if is_busy(error):
            raise Busy(BUSY_MESSAGE) from error
        if "append-only" in str(error):
            raise Conflict(_short(error)) from error
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        audit_seal.forget_head(session)
        session.info.pop(ACTOR_KEY, None)
        session.info.pop(REASON_KEY, None)
        callbacks = session.info.pop(AFTER_ROLLBACK_KEY, [])
        if not committed:
            for callback in callbacks:
                try:
                    callback()
                except Exception:  # noqa: BLE001  (never hide the error that ended the transaction)
                    log.exception("after-rollback step failed")


BUSY_MESSAGE = "The database is busy with another change; nothing was saved. Try again in a few seconds."


def is_busy(error: BaseException) -> bool:
    """A lock wait that ran out (SQLite busy timeout, PostgreSQL lock_timeout)."""
    text = str(error)
    return "database is locked" in text or "lock timeout" in text or "canceling statement due to lock" in text


def _short(error: Exception) -> str:
    text = str(getattr(error, "orig", error)).strip().splitlines()
    return text[0] if text else error.__class__.__name__
