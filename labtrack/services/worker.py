"""``labtrack worker``: claims jobs from the database and runs them, one at a time.

Several workers may run (on one host or several); each job is claimed by exactly one
(``labtrack.services.jobs.claim``). While a job runs, a thread writes the heartbeat and notices
a cancel request; the job's own progress steps check both and end it at the next step. Every
end is written once, with a reason: ``done`` (in the same transaction as the job's results),
``failed`` (the error, readable), ``cancelled`` (who cancelled it), or back to ``queued`` when
the worker is stopped with SIGTERM/SIGINT (a SIGKILLed worker's job is recovered by the next
worker to start or to look: see ``jobs.recover``).
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from labtrack.core.errors import Conflict, DomainError, InputProblem
from labtrack.core.messages import Message, joined, message_of, msg, nmsg
from labtrack.db import WriterBusy, get_engine, standalone_session
from labtrack.models import Job, User
from labtrack.services import jobs

log = logging.getLogger("labtrack.worker")

Handler = Callable[["JobContext"], None]


def handlers() -> dict[str, Handler]:
    """Job kinds and the functions that run them."""
    from labtrack.services import (
        audit_verification,
        dashboard_snapshot,
        dvi_events,
        family_power,
        match_runs,
        reassociation,
        uploads,
    )

    return {match_runs.JOB_KIND: match_runs.run_job, family_power.JOB_KIND: family_power.run_job,
            dvi_events.JOB_KIND: dvi_events.run_job, uploads.JOB_KIND: uploads.run_job,
            audit_verification.JOB_KIND: audit_verification.run_job, reassociation.JOB_KIND: reassociation.run_job,
            dashboard_snapshot.JOB_KIND: dashboard_snapshot.run_job}


@dataclass(frozen=True)
class WorkerSettings:
    poll_seconds: float = 1.0
    heartbeat_seconds: float = jobs.DEFAULT_HEARTBEAT_SECONDS
    stale_seconds: float = jobs.DEFAULT_STALE_SECONDS

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> WorkerSettings:
        return cls(poll_seconds=float(config.get("WORKER_POLL_SECONDS", 1.0)),
                   heartbeat_seconds=float(config.get("WORKER_HEARTBEAT_SECONDS", jobs.DEFAULT_HEARTBEAT_SECONDS)),
                   stale_seconds=float(config.get("WORKER_STALE_SECONDS", jobs.DEFAULT_STALE_SECONDS)))


class JobContext:
    """What a running job sees: its payload, the app, and progress steps that end it early
    when it was cancelled, when the worker stops, or when it is no longer this worker's."""

    def __init__(self, app: Flask, job: Job, worker: str, stopping: threading.Event) -> None:
        self.app, self.job_id, self.worker = app, job.id or 0, worker
        self.payload: dict[str, Any] = json.loads(job.payload_json or "{}")
        self.stopping = stopping
        self.cancelled = threading.Event()
        self.lost = threading.Event()

    def check(self) -> None:
        if self.lost.is_set():
            raise jobs.JobLost(f"job {self.job_id} is no longer run by {self.worker}")
        if self.cancelled.is_set():
            raise jobs.JobCancelled(f"job {self.job_id} was cancelled")
        if self.stopping.is_set():
            raise jobs.WorkerStopping(f"worker {self.worker} is stopping")

    def progress(self, session: Session, value: float, stage: str) -> None:
        """Store the progress (inside the caller's write, or in its own)."""
        self.check()
        jobs.set_progress(session, self.job_id, self.worker, value, stage)

    def done(self, session: Session) -> None:
        """End the job as done inside the write that stores its results."""
        jobs.mark_done(session, self.job_id, self.worker)


class Worker:
    def __init__(self, app: Flask, settings: WorkerSettings | None = None, name: str | None = None) -> None:
        self.app = app
        self.settings = settings or WorkerSettings.from_config(app.config)
        self.name = name or jobs.worker_name()
        self.stopping = threading.Event()

    # -- the loop -------------------------------------------------------------------------
    def run(self, *, once: bool = False, handle_signals: bool = False) -> int:
        """Claim and run jobs until stopped (``once``: until the queue is empty). Returns the
        number of jobs run."""
        if handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: self.stopping.set())
        self._safe_recover()
        ran = 0
        while not self.stopping.is_set():
            try:
                job = self.run_one()
            except (DBAPIError, Conflict) as error:  # the database is locked or away for a while
                log.warning("worker %s: cannot claim a job (%s); retrying", self.name, error)
                self.stopping.wait(self.settings.poll_seconds)
                continue
            if job is not None:
                ran += 1
                continue
            if once:
                break
            self.stopping.wait(self.settings.poll_seconds)
            self._safe_recover()
        return ran

    def recover(self) -> list[jobs.Recovered]:
        with self.app.app_context(), standalone_session(self.app) as session:
            found = jobs.recover(session, self.name, stale_seconds=self.settings.stale_seconds)
        for item in found:
            log.warning("job %s %s: %s", item.job_id, item.action, item.reason)
        return found

    def _safe_recover(self) -> None:
        try:
            self.recover()
        except (DBAPIError, Conflict) as error:
            log.warning("worker %s: recovery deferred (%s)", self.name, error)

    def run_one(self) -> Job | None:
        """Claim one job and run it to its end; None when no job waits."""
        with self.app.app_context(), standalone_session(self.app) as session:
            job = jobs.claim(session, self.name, tuple(handlers()))
        if job is None:
            return None
        log.info("worker %s: job %s (%s) claimed, attempt %s", self.name, job.id, job.kind, job.attempts)
        self._execute(job)
        return job

    # -- one job --------------------------------------------------------------------------
    def _execute(self, job: Job) -> None:
        context = JobContext(self.app, job, self.name, self.stopping)
        beating = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(context, beating), daemon=True,
                                name=f"heartbeat-{job.id}")
        beat.start()
        try:
            handlers()[job.kind](context)
            self._finish(context)
        except jobs.JobLost:
            log.warning("job %s was taken from worker %s (stale heartbeat); left to its new worker",
                        job.id, self.name)
        except jobs.JobCancelled:
            self._end(context, "cancelled", self._cancel_reason(context))
        except jobs.WorkerStopping:
            self._requeue(context)
        except Exception as error:  # noqa: BLE001 - the job records why it failed
            log.exception("job %s failed", job.id)
            self._end(context, "failed", readable_error(error))
        finally:
            beating.set()
            beat.join(timeout=self.settings.heartbeat_seconds + 5)

    def _heartbeat(self, context: JobContext, finished: threading.Event) -> None:
        engine = get_engine(self.app)
        while not finished.wait(self.settings.heartbeat_seconds):
            try:
                ours, cancel = jobs.heartbeat(engine, context.job_id, self.name)
            except (DBAPIError, WriterBusy) as error:  # another write of this process holds the lock
                log.warning("heartbeat of job %s deferred (%s)", context.job_id, error)
                continue
            if not ours:
                context.lost.set()
            if cancel:
                context.cancelled.set()

    def _finish(self, context: JobContext) -> None:
        with self.app.app_context(), standalone_session(self.app) as session:
            job = session.get(Job, context.job_id, populate_existing=True)
            if job is not None and job.status == "running" and job.worker == self.name:
                jobs.mark_done(session, context.job_id, self.name)

    def _end(self, context: JobContext, status: str, reason: str) -> None:
        with self.app.app_context(), standalone_session(self.app) as session:
            jobs.end(session, context.job_id, self.name, status=status, reason=reason)

    def _requeue(self, context: JobContext) -> None:
        with self.app.app_context(), standalone_session(self.app) as session:
            jobs.requeue(session, context.job_id, self.name,
                         reason=msg("worker %(worker)s was stopped during the job; re-queued", worker=self.name))

    def _cancel_reason(self, context: JobContext) -> str:
        with self.app.app_context(), standalone_session(self.app) as session:
            job = session.get(Job, context.job_id, populate_existing=True)
            who = session.get(User, job.cancelled_by_id) if job and job.cancelled_by_id else None
            user = who.username if who else msg("a user")
            if job is None:
                return msg("cancelled by %(user)s", user=user)
            return msg("cancelled by %(user)s at %(percent)s %%", user=user, percent=round(job.progress * 100))


#: Problems named in a failed job's reason (the English text is cut at 2,000 characters anyway).
MAX_PROBLEMS_SAID = 50


def readable_error(error: BaseException) -> str:
    """One line a person can read (a message: in the reader's language on the pages): the domain
    message and its problems, or the error's text."""
    problems = getattr(error, "problems", None)
    if problems:
        said = [_described(p) for p in problems[:MAX_PROBLEMS_SAID]]
        if len(problems) > MAX_PROBLEMS_SAID:
            rest = len(problems) - MAX_PROBLEMS_SAID
            said.append(nmsg("and one more problem", "and %(num)d more problems", rest))
        if isinstance(error, DomainError):
            return msg("%(message)s: %(problems)s", message=error.message, problems=joined(said))
        return nmsg("one problem in the input: %(problems)s", "%(num)d problems in the input: %(problems)s",
                    len(problems), problems=joined(said))
    said_as = message_of(error)
    if isinstance(said_as, Message):
        return said_as
    return said_as.strip() or type(error).__name__


def _described(problem: object) -> str:
    """A problem (an ``InputProblem``: file, row, field, message) as a message."""
    return problem.describe() if isinstance(problem, InputProblem) else str(problem)


def run_inline(app: Flask) -> int:
    """Run every queued job in this process now (tests, and ``LABTRACK_JOBS_INLINE=1`` for a
    single-process demo). Production runs ``labtrack worker`` instead."""
    return Worker(app, WorkerSettings(poll_seconds=0.05)).run(once=True)
