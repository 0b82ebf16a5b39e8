"""The dashboard as a stored read model: the worker computes the figures, the page reads them.

Why: the figures are aggregates over every remains, sample, profile, candidate, identification
and release of the lab (``services.dashboard``): at Syria's scale (150,000 remains, 400,000
profiles, 1,000,000 custody events) that is a second of database work, linear in the lab's size,
and counting distinct genotypes reads every allele row. A web request must not do that, and an
operations overview does not need to be exact to the second. So:

- the ``dashboard_refresh`` job (``labtrack worker``) computes ``dashboard.summary`` and stores it
  with the time it was computed (``dashboard_snapshot``; only the newest is kept, and it is not
  audited row by row: it is derived from audited rows and recomputed at will; the job's queueing
  and end are audited);
- the page and its exports show the stored figures "as of" that time, one read of one row;
- when the figures are older than ``DASHBOARD_MAX_AGE_SECONDS`` (default 300) or there are none
  yet, a view queues a refresh, at most one at a time: none is queued while one is queued or
  running (the job queue's unique key on queued jobs holds it for concurrent views);
- before the first computation the page says the figures are being computed.

    latest(session) -> Stored | None
    current(session, by=..., app=..., max_age=...) -> Current   # the page's call
    request(session, by=..., app=...) -> Job                    # queue a refresh (coalesced)
    refresh(session, job_id=None) -> Stored                     # compute and store now (job, CLI)
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from flask import Flask
from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from labtrack.core.errors import Conflict
from labtrack.db import standalone_session
from labtrack.models import DashboardSnapshot, Job, User, utcnow
from labtrack.services import dashboard, jobs
from labtrack.services.transaction import write

if TYPE_CHECKING:
    from labtrack.services.worker import JobContext

JOB_KIND = "dashboard_refresh"
ACTOR = "dashboard refresh"
DEFAULT_MAX_AGE_SECONDS = 300.0
_TABLE = DashboardSnapshot.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Stored:
    """The stored figures and when they were computed (UTC), and in how many seconds."""

    dashboard: dashboard.Dashboard
    computed_at: datetime
    seconds: float

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or utcnow()) - self.computed_at


@dataclass(frozen=True)
class Current:
    """What the page shows: the stored figures (None before the first computation) and the
    refresh queued or running (None when none is)."""

    stored: Stored | None
    pending: Job | None


def latest(session: Session) -> Stored | None:
    """The newest stored figures, or None when none were computed yet."""
    row = session.exec(select(DashboardSnapshot).order_by(col(DashboardSnapshot.id).desc()).limit(1)).first()
    if row is None:
        return None
    at = row.computed_at if row.computed_at.tzinfo is not None else row.computed_at.replace(tzinfo=UTC)
    return Stored(dashboard.from_data(json.loads(row.data_json)), at, row.seconds)


def pending(session: Session) -> Job | None:
    """The refresh queued or running, if any."""
    return session.exec(select(Job).where(Job.kind == JOB_KIND, col(Job.status).in_(("queued", "running")))
                        .order_by(col(Job.id)).execution_options(populate_existing=True)).first()


def request(session: Session, *, by: User | str, app: Flask | None = None) -> Job:
    """Queue a refresh, unless one is queued or running already (then that one is returned).
    With ``app.config["JOBS_INLINE"]`` queued jobs run at once in this process (tests, demo)."""
    waiting = pending(session)
    if waiting is not None:
        return waiting
    job = jobs.enqueue(session, kind=JOB_KIND, payload={}, by=by, subject_type="dashboard", dedupe_key=JOB_KIND)
    if app is not None and app.config.get("JOBS_INLINE"):
        from labtrack.services.worker import run_inline

        run_inline(app)
    return job


def current(session: Session, *, by: User | str, app: Flask | None = None,
            max_age: float = DEFAULT_MAX_AGE_SECONDS) -> Current:
    """The stored figures for the page; a refresh is queued when there are none or they are
    older than ``max_age`` seconds. The page never computes the figures itself: when the queue
    cannot be written to just now (another write holds the database), the stored figures are
    shown and the next view asks again."""
    stored = latest(session)
    waiting = pending(session)
    if waiting is None and (stored is None or stored.age() > timedelta(seconds=max_age)):
        try:
            request(session, by=by, app=app)
        except Conflict:  # Busy, or a concurrent view queued it first (the queue's unique key)
            session.rollback()
        stored, waiting = latest(session), pending(session)
    return Current(stored, waiting)


def store(session: Session, figures: dashboard.Dashboard, *, seconds: float, job_id: int | None) -> None:
    """Keep ``figures`` as the newest (inside the caller's write); the older ones go."""
    connection = session.connection()
    connection.execute(delete(_TABLE))
    connection.execute(insert(_TABLE).values(job_id=job_id, computed_at=utcnow(), seconds=round(seconds, 3),
                                             data_json=json.dumps(dashboard.to_data(figures), ensure_ascii=False,
                                                                  sort_keys=True)))


def _computed(session: Session) -> tuple[dashboard.Dashboard, float]:
    """The figures and the seconds they took; the read ends before the caller writes."""
    started = time.perf_counter()
    figures = dashboard.summary(session)
    seconds = time.perf_counter() - started
    session.rollback()
    return figures, seconds


def refresh(session: Session, *, by: User | str = ACTOR) -> Stored:
    """Compute the figures now and store them, outside the job queue (the benchmark; a test)."""
    figures, seconds = _computed(session)
    with write(session, actor=by, reason="dashboard figures computed"):
        store(session, figures, seconds=seconds, job_id=None)
    stored = latest(session)
    assert stored is not None
    return stored


def run_job(context: JobContext) -> None:
    """The worker's handler: compute the figures, then store them and end the job in one write."""
    app = context.app
    with app.app_context(), standalone_session(app) as session:
        figures, seconds = _computed(session)
        context.check()
        with write(session, actor=ACTOR, reason="dashboard figures computed"):
            store(session, figures, seconds=seconds, job_id=context.job_id)
            context.done(session)
