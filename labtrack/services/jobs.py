"""The job queue in the database (SQLite and PostgreSQL alike, no other server).

Claiming is one write transaction: PostgreSQL picks the oldest queued job with
``SELECT ... FOR UPDATE SKIP LOCKED`` (workers never wait on each other's job); SQLite write
transactions begin ``IMMEDIATE`` (``labtrack.db``), so one claimer at a time reads and updates
the row. Either way a job is handed to exactly one worker. Every state change (claim, progress,
cancel, re-queue, end) goes through ``transaction.write`` and so into the audit log; the
heartbeat alone is a plain UPDATE of ``heartbeat_at`` (liveness, not a record).

A worker that dies leaves its job ``running``; ``recover`` (run by every worker at start and
between jobs) re-queues such a job, or fails it after ``max_attempts`` tries, with a reason a
person can read. A job is dead when its heartbeat is older than ``stale_seconds``, or at once
when its worker ran on this host and that process no longer exists.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, select

from labtrack.core.errors import Conflict, NotFound
from labtrack.core.messages import msg, nmsg, term, to_data, to_json
from labtrack.models import JOB_ENDED, Job, User, utcnow
from labtrack.services.transaction import write

DEFAULT_HEARTBEAT_SECONDS = 5.0
DEFAULT_STALE_SECONDS = 60.0
_JOB_TABLE = Job.__table__  # type: ignore[attr-defined]


class JobCancelled(Exception):
    """Raised inside a job when somebody asked to cancel it."""


class JobLost(Exception):
    """Raised inside a job when it is no longer this worker's (re-queued as stale, or ended)."""


class WorkerStopping(Exception):
    """Raised inside a job when the worker was asked to stop (SIGTERM): the job is re-queued."""


def worker_name() -> str:
    """``host:pid:random`` — unique per worker process; host and pid tell whether it still lives."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def enqueue(session: Session, *, kind: str, payload: dict[str, Any], by: User | str,
            subject_type: str = "", subject_id: int | None = None, dedupe_key: str | None = None,
            max_attempts: int = 3) -> Job:
    """Queue a job. With ``dedupe_key``, a job with the same key still waiting is returned instead
    of a second one (repeated requests coalesce)."""
    with write(session, actor=by, reason=f"{kind} job queued"):
        if dedupe_key is not None:
            waiting = session.exec(select(Job).where(Job.dedupe_key == dedupe_key, Job.status == "queued")).first()
            if waiting is not None:
                return waiting
        job = Job(kind=kind, payload_json=json.dumps(payload, sort_keys=True), subject_type=subject_type,
                  subject_id=subject_id, dedupe_key=dedupe_key, max_attempts=max_attempts,
                  created_by_id=by.id if isinstance(by, User) else None)
        session.add(job)
    return job


def claim(session: Session, worker: str, kinds: tuple[str, ...] | None = None) -> Job | None:
    """Hand the oldest queued job to ``worker`` (``running``), or None when none waits."""
    with write(session, actor=f"worker {worker}", reason="job claimed"):
        statement = select(Job).where(Job.status == "queued")
        if kinds:
            statement = statement.where(Job.kind.in_(kinds))  # type: ignore[attr-defined]
        job = session.exec(statement.order_by(Job.id).limit(1)  # type: ignore[arg-type]
                           .with_for_update(skip_locked=True)).first()
        if job is None:
            return None
        now = utcnow()
        job.status, job.worker, job.attempts = "running", worker, job.attempts + 1
        job.started_at, job.heartbeat_at, job.progress, job.stage = now, now, 0.0, ""
        session.add(job)
    return job


def heartbeat(engine: Engine, job_id: int, worker: str) -> tuple[bool, bool]:
    """Mark the job alive; returns (still this worker's job, cancel requested)."""
    from labtrack.db import WRITE_OPTION, writer_lock

    with writer_lock(engine), engine.connect().execution_options(**{WRITE_OPTION: True}) as connection:
        result = connection.execute(
            update(_JOB_TABLE)
            .where(_JOB_TABLE.c.id == job_id, _JOB_TABLE.c.worker == worker, _JOB_TABLE.c.status == "running")
            .values(heartbeat_at=utcnow())
            .returning(_JOB_TABLE.c.cancel_requested)
        ).first()
        connection.commit()
    return (result is not None, bool(result[0]) if result is not None else False)


def locked_own_job(session: Session, job_id: int, worker: str) -> Job:
    """The job, re-read under a row lock inside the caller's write; ``JobLost`` when it is no
    longer running for ``worker``; ``JobCancelled`` when a cancel was asked for."""
    job = session.exec(select(Job).where(Job.id == job_id).with_for_update()
                       .execution_options(populate_existing=True)).first()
    if job is None or job.status != "running" or job.worker != worker:
        raise JobLost(f"job {job_id} is no longer run by {worker}")
    if job.cancel_requested:
        raise JobCancelled(f"job {job_id} was cancelled")
    return job


def set_progress(session: Session, job_id: int, worker: str, value: float, stage: str) -> None:
    """Store how far the job is; ``stage`` (what it is doing) a message for people."""
    with write(session, actor=f"worker {worker}", reason="job progress"):
        job = locked_own_job(session, job_id, worker)
        job.progress, job.stage, job.heartbeat_at = min(1.0, max(0.0, round(value, 3))), stage[:40], utcnow()
        job.stage_json = to_json(stage)
        session.add(job)


def set_error(job: Job, reason: str) -> None:
    """Why the job ended: the English text (CLI, logs) and the message (pages, in the reader's language)."""
    job.error, job.error_json = reason[:2000], to_json(reason)


def mark_done(session: Session, job_id: int, worker: str) -> None:
    """End the job as done; call inside the write that stores the job's results, so that the
    results and the end are one transaction (a lost job stores nothing)."""
    with write(session, actor=f"worker {worker}", reason="job done"):
        job = locked_own_job(session, job_id, worker)
        job.status, job.progress, job.finished_at, job.dedupe_key = "done", 1.0, utcnow(), None
        session.add(job)


def end(session: Session, job_id: int, worker: str, *, status: str, reason: str) -> Job | None:
    """End a running job as ``failed`` or ``cancelled`` with ``reason`` (nothing when it is no
    longer this worker's: whoever took it over ends it)."""
    assert status in ("failed", "cancelled")
    with write(session, actor=f"worker {worker}", reason=f"job {status}"):
        job = session.exec(select(Job).where(Job.id == job_id).with_for_update()
                           .execution_options(populate_existing=True)).first()
        if job is None or job.status != "running" or job.worker != worker:
            return None
        job.status, job.finished_at, job.dedupe_key = status, utcnow(), None
        set_error(job, reason)
        session.add(job)
        _follow(session, job)
    return job


def requeue(session: Session, job_id: int, worker: str, *, reason: str, count_attempt: bool = False) -> None:
    """Give a running job back to the queue (the worker is stopping)."""
    with write(session, actor=f"worker {worker}", reason="job re-queued"):
        job = session.exec(select(Job).where(Job.id == job_id).with_for_update()
                           .execution_options(populate_existing=True)).first()
        if job is None or job.status != "running" or job.worker != worker:
            return
        _back_to_queue(session, job, reason, count_attempt=count_attempt)
        session.add(job)
        _follow(session, job)


def _back_to_queue(session: Session, job: Job, reason: str, *, count_attempt: bool) -> None:
    if job.dedupe_key is not None and session.exec(
            select(Job.id).where(Job.dedupe_key == job.dedupe_key, Job.status == "queued")).first() is not None:
        job.status, job.finished_at, job.dedupe_key = "cancelled", utcnow(), None
        set_error(job, msg("%(reason)s; not re-queued: the same work is queued again already", reason=reason))
        return
    if not count_attempt:
        job.attempts = max(0, job.attempts - 1)
    at = f"{utcnow():%Y-%m-%d %H:%M:%S} UTC"
    entries = [{"at": when, "reason": to_data(why)} for when, why in job.history_lines]
    job.history_json = json.dumps(entries + [{"at": at, "reason": to_data(reason)}], ensure_ascii=False)
    job.history = (job.history + "\n" if job.history else "") + f"{at}: {reason}"
    job.status, job.worker, job.heartbeat_at, job.progress, job.stage = "queued", "", None, 0.0, ""
    job.stage_json = ""


def request_cancel(session: Session, job_id: int, *, by: User | str) -> Job:
    """A queued job is cancelled at once; a running one at its next progress step."""
    with write(session, actor=by, reason="job cancel requested"):
        job = session.get(Job, job_id, with_for_update=True, populate_existing=True)
        if job is None:
            raise NotFound(msg("no job %(id)s", id=job_id))
        if job.status in JOB_ENDED:
            raise Conflict(msg("job %(id)s has already ended (%(status)s)", id=job_id, status=term(job.status)))
        who = by.username if isinstance(by, User) else str(by)
        job.cancel_requested, job.cancelled_by_id = True, by.id if isinstance(by, User) else None
        if job.status == "queued":
            job.status, job.finished_at, job.dedupe_key = "cancelled", utcnow(), None
            set_error(job, msg("cancelled by %(user)s before it started", user=who))
        session.add(job)
        _follow(session, job)
    return job


def _follow(session: Session, job: Job) -> None:
    """Bring the job's subject (e.g. its match run) in line with the job, in the same write."""
    if job.subject_type == "match_run" and job.subject_id is not None:
        from labtrack.services import match_runs

        match_runs.follow_job(session, job)


def _process_gone(worker: str) -> bool:
    """True when ``worker`` ran on this host and its process no longer exists."""
    host, _, rest = worker.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # a job of an earlier process that had our pid: not us
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class Recovered:
    job_id: int
    action: str  # "requeued" | "failed"
    reason: str


def recover(session: Session, worker: str, *, stale_seconds: float = DEFAULT_STALE_SECONDS,
            now: datetime | None = None) -> list[Recovered]:
    """Re-queue (or fail, after ``max_attempts``) every running job whose worker is dead."""
    now = now or utcnow()
    limit = now - timedelta(seconds=stale_seconds)
    running = session.exec(select(Job.id, Job.worker, Job.heartbeat_at).where(Job.status == "running")).all()
    session.rollback()  # end the read before writing
    done: list[Recovered] = []
    for job_id, owner, beat in running:
        gone = _process_gone(owner)
        if not gone and beat is not None and _aware(beat) >= limit:
            continue
        why = msg("its process no longer exists") if gone else msg(
            "no heartbeat since %(time)s", time=str(_aware(beat)) if beat else "-")
        with write(session, actor=f"worker {worker}", reason="job of a dead worker recovered"):
            job = session.exec(select(Job).where(Job.id == job_id).with_for_update()
                               .execution_options(populate_existing=True)).first()
            if job is None or job.status != "running" or job.worker != owner:
                continue
            stopped = msg("worker %(worker)s stopped during the job at %(percent)s %% (%(why)s)",
                          worker=owner, percent=round(job.progress * 100), why=why)
            if job.attempts >= job.max_attempts:
                job.status, job.finished_at, job.dedupe_key = "failed", now, None
                set_error(job, nmsg("%(stopped)s; tried once, not trying again",
                                    "%(stopped)s; tried %(num)d times, not trying again", job.attempts,
                                    stopped=stopped))
                action = "failed"
            else:
                _back_to_queue(session, job, msg("%(stopped)s; re-queued", stopped=stopped), count_attempt=True)
                action = "requeued" if job.status == "queued" else job.status
            session.add(job)
            _follow(session, job)
            done.append(Recovered(job_id=job_id, action=action, reason=job.error or job.history.splitlines()[-1]))
    return done


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def get_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        raise NotFound(msg("no job %(id)s", id=job_id))
    return job


def job_for(session: Session, subject_type: str, subject_id: int) -> Job | None:
    """The latest job about a subject (e.g. a match run)."""
    return session.exec(select(Job).where(Job.subject_type == subject_type, Job.subject_id == subject_id)
                        .order_by(Job.id.desc())  # type: ignore[union-attr]
                        .execution_options(populate_existing=True)).first()


def list_jobs(session: Session, *, status: str | None = None, limit: int = 100) -> list[Job]:
    statement = select(Job)
    if status:
        statement = statement.where(Job.status == status)
    return list(session.exec(statement.order_by(Job.id.desc()).limit(limit)))  # type: ignore[union-attr]
