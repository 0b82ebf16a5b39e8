"""`labtrack worker` as a real process: killed with SIGKILL in the middle of a match run and
started again, the run completes exactly once, with the candidates of an undisturbed run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import create_engine
from sqlmodel import Session, select

from labtrack.models import AuditEntry, Job, Match, MatchRun, User
from labtrack.services import demo, jobs, match_runs
from labtrack.services.match_parameters import MatchParameters
from labtrack.services.worker import run_inline

ROOT = Path(__file__).resolve().parents[2]
AUDIT_LOCK_KEY = 7_203_114  # labtrack.services.audit: every audited write takes it on PostgreSQL


def _worker(database_url: str, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "LABTRACK_DATABASE_URL": database_url, "LABTRACK_INSTANCE_PATH": str(tmp_path),
           "LABTRACK_SECRET_KEY": "test-secret", "LABTRACK_WORKER_POLL_SECONDS": "0.1",
           "LABTRACK_WORKER_HEARTBEAT_SECONDS": "0.5", "LABTRACK_MATCH_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "labtrack.cli", "worker", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@contextmanager
def _all_writes_blocked(database_url: str) -> Iterator[None]:
    """Hold the database's write lock (SQLite) or the audit lock (PostgreSQL): every audited
    write of the worker waits, so the run cannot finish while we look at it and kill it."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                connection.exec_driver_sql(f"SELECT pg_advisory_lock({AUDIT_LOCK_KEY})")
            try:
                yield
            finally:
                if engine.dialect.name == "sqlite":
                    connection.exec_driver_sql("ROLLBACK")
                else:
                    connection.exec_driver_sql(f"SELECT pg_advisory_unlock({AUDIT_LOCK_KEY})")
    finally:
        engine.dispose()


def _candidates(db: Session, run_id: int) -> list[tuple[int, int, int, float, float]]:
    rows = db.exec(select(Match).where(Match.run_id == run_id)).all()
    return sorted((m.profile_id, m.family_id, m.rank, round(m.log10_lr, 9), round(m.posterior, 12)) for m in rows)


def test_sigkill_mid_run_then_restart_completes_the_run_once(app: Flask, db: Session, database_url: str,
                                                            tmp_path: Path) -> None:
    app.config["JOBS_INLINE"] = False
    demo.load_demo(db)
    analyst = db.exec(select(User).where(User.role == "analyst")).first()
    assert analyst is not None
    run = match_runs.start_run(session=db, by=analyst, params=MatchParameters(top_k=3), app=app)
    job_id = jobs.job_for(db, "match_run", run.id or 0).id  # type: ignore[union-attr]

    first = _worker(database_url, tmp_path)
    deadline = time.monotonic() + 120
    while True:
        db.rollback()
        job = db.get(Job, job_id, populate_existing=True)
        if job is not None and job.status != "queued":
            break
        assert first.poll() is None, first.communicate()[0]
        assert time.monotonic() < deadline, "the worker never claimed the job"
        time.sleep(0.01)
    with _all_writes_blocked(database_url):
        db.rollback()
        seen = db.get(MatchRun, run.id, populate_existing=True)
        assert seen is not None and seen.status in ("queued", "running"), "the run ended before it could be killed"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    db.rollback()
    killed_job = db.get(Job, job_id, populate_existing=True)
    killed_run = db.get(MatchRun, run.id, populate_existing=True)
    assert killed_job is not None and killed_run is not None
    assert (killed_job.status, killed_job.attempts) == ("running", 1)  # left running by the dead worker
    assert killed_run.status in ("queued", "running") and _candidates(db, run.id or 0) == []

    second = _worker(database_url, tmp_path, "--once")
    output = second.communicate(timeout=300)[0]
    assert second.returncode == 0, output
    assert f"job {job_id} requeued" in output
    db.rollback()
    job = db.get(Job, job_id, populate_existing=True)
    done_run = db.get(MatchRun, run.id, populate_existing=True)
    assert job is not None and done_run is not None
    assert (job.status, job.attempts, job.error) == ("done", 2, "")
    assert "stopped during the job" in job.history and "its process no longer exists" in job.history
    assert (done_run.status, done_run.progress) == ("done", 1.0)
    resumed = _candidates(db, run.id or 0)
    assert len(resumed) == done_run.n_matches >= 4
    ended = db.exec(select(AuditEntry).where(AuditEntry.entity_type == "job",
                                             AuditEntry.entity_id == str(job_id))).all()
    assert sum('"status":"done"' in e.after_json for e in ended) == 1  # ended exactly once

    # an undisturbed run of the same input finds the same candidates with the same numbers: every
    # one unchanged (one open candidate per pair: nothing new, nothing updated, nothing closed)
    app.config["JOBS_INLINE"] = True
    again = match_runs.start_run(session=db, by=analyst, params=MatchParameters(top_k=3), app=app)
    assert again.status == "done" and again.n_matches == len(resumed)
    outcome = match_runs.outcome(again)
    assert (outcome["unchanged"], outcome["new"], outcome["updated"], outcome["closed"]) == (len(resumed), 0, 0, 0)
    assert _candidates(db, run.id or 0) == resumed


def test_match_runs_start_wait_and_jobs_list(runner: FlaskCliRunner, db: Session) -> None:
    demo.load_demo(db)
    analyst = db.exec(select(User).where(User.role == "analyst")).first()
    assert analyst is not None
    result = runner.invoke(args=["match-runs", "start", "--wait", "--top-k", "2", "--prior", "0.01",
                                 "--user", analyst.username])
    assert result.exit_code == 0, result.output
    db.rollback()
    run = db.exec(select(MatchRun)).one()
    assert f"match run {run.id} queued as job" in result.output
    assert f"match run {run.id}: done, {run.n_matches} candidate(s), {run.n_remains} remains x 4 families" \
        in result.output
    assert MatchParameters.from_json(run.params_json) == MatchParameters(top_k=2, prior=0.01)
    assert {m.prior for m in db.exec(select(Match)).all()} == {0.01}
    listed = runner.invoke(args=["jobs", "list"])
    assert listed.exit_code == 0 and "\tmatch_run\tdone\t100 %\t" in listed.output
    refused = runner.invoke(args=["match-runs", "start", "--theta", "0.7"])
    assert refused.exit_code != 0 and "theta must be between 0 and 0.5" in refused.output


def test_worker_once_on_an_empty_queue_stops(app: Flask, database_url: str, tmp_path: Path) -> None:
    proc = _worker(database_url, tmp_path, "--once")
    output = proc.communicate(timeout=120)[0]
    assert proc.returncode == 0 and "stopped after 0 job(s)" in output
    assert run_inline(app) == 0
