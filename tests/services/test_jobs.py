"""The job queue and the worker, in this process: claims, cancel, dead workers, lost jobs, stops."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session, select

from labtrack.models import AuditEntry, Job, Match, MatchRun, User, utcnow
from labtrack.services import demo, jobs, match_runs
from labtrack.services.match_parameters import MatchParameters
from labtrack.services.transaction import write
from labtrack.services.worker import Worker, WorkerSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queued_app(app: Flask) -> Flask:
    """Jobs wait in the queue for a worker, as in production."""
    app.config["JOBS_INLINE"] = False
    return app


def _analyst(db: Session) -> User:
    user = db.exec(select(User).where(User.role == "analyst")).first()
    assert user is not None
    return user


def _queued_run(app: Flask, db: Session) -> tuple[MatchRun, Job]:
    demo.load_demo(db)
    run = match_runs.start_run(session=db, by=_analyst(db), params=MatchParameters(), app=app)
    job = jobs.job_for(db, "match_run", run.id or 0)
    assert run.status == "queued" and job is not None and job.status == "queued"
    return run, job


def _fresh(db: Session, model: type, key: int):  # noqa: ANN202
    db.rollback()
    return db.get(model, key, populate_existing=True)


def _matches(db: Session, run_id: int) -> list[tuple[int, int, int, float]]:
    rows = db.exec(select(Match).where(Match.run_id == run_id)).all()
    return sorted((m.profile_id, m.family_id, m.rank, round(m.log10_lr, 9)) for m in rows)


def test_a_queued_run_waits_for_a_worker_then_runs_once(queued_app: Flask, db: Session) -> None:
    run, job = _queued_run(queued_app, db)
    worker = Worker(queued_app, WorkerSettings(poll_seconds=0.01))
    assert worker.run(once=True) == 1
    job, run = _fresh(db, Job, job.id), _fresh(db, MatchRun, run.id)
    assert (job.status, job.attempts, job.progress, job.worker) == ("done", 1, 1.0, worker.name)
    assert (run.status, run.progress) == ("done", 1.0) and run.n_matches >= 4
    assert len(_matches(db, run.id)) == run.n_matches
    # the claim and the end are in the audit log; a second look finds nothing to do
    entries = db.exec(select(AuditEntry).where(AuditEntry.entity_type == "job",
                                               AuditEntry.entity_id == str(job.id))).all()
    assert {"match run queued", "job claimed", "match run progress"} <= {e.reason for e in entries}
    assert sum('"status":"done"' in e.after_json for e in entries) == 1
    assert worker.run(once=True) == 0


def test_threads_claiming_at_once_get_each_job_exactly_once(queued_app: Flask, db: Session) -> None:
    import threading

    from labtrack.db import get_engine

    for n in range(24):
        jobs.enqueue(db, kind="noop", payload={"n": n}, by="test")
    claimed: list[tuple[str, int]] = []
    lock = threading.Lock()

    def claimer(name: str) -> None:
        with Session(get_engine(queued_app), expire_on_commit=False) as session:
            while (job := jobs.claim(session, name)) is not None:
                with lock:
                    claimed.append((name, job.id or 0))

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [job_id for _, job_id in claimed]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 24
    db.rollback()
    rows = db.exec(select(Job)).all()
    assert all(j.status == "running" and j.attempts == 1 for j in rows)
    assert {j.id: j.worker for j in rows} == {job_id: name for name, job_id in claimed}


def test_processes_claiming_at_once_get_each_job_exactly_once(queued_app: Flask, db: Session,
                                                              database_url: str, tmp_path: Path) -> None:
    for n in range(30):
        jobs.enqueue(db, kind="noop", payload={"n": n}, by="test")
    script = (
        "import sys\n"
        "from labtrack import create_app\n"
        "from labtrack.db import standalone_session\n"
        "from labtrack.services import jobs\n"
        "app = create_app({'DATABASE_URL': sys.argv[1], 'SECRET_KEY': 'x'})\n"
        "with app.app_context(), standalone_session(app) as s:\n"
        "    while (job := jobs.claim(s, sys.argv[2])) is not None:\n"
        "        print(job.id, flush=True)\n"
    )
    env = {**os.environ, "LABTRACK_INSTANCE_PATH": str(tmp_path)}
    procs = [subprocess.Popen([sys.executable, "-c", script, database_url, f"p{i}"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, text=True) for i in range(3)]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    ids = [int(line) for out in outputs for line in out.split()]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 30


def test_cancel_a_queued_run_ends_it_at_once_with_who(queued_app: Flask, db: Session) -> None:
    run, job = _queued_run(queued_app, db)
    jobs.request_cancel(db, job.id or 0, by=_analyst(db))
    job, run = _fresh(db, Job, job.id), _fresh(db, MatchRun, run.id)
    assert job.status == "cancelled" and job.error == f"cancelled by {_analyst(db).username} before it started"
    assert run.status == "failed" and run.error == job.error
    assert Worker(queued_app).run(once=True) == 0  # nothing left to run
    with pytest.raises(Exception, match="already ended"):
        jobs.request_cancel(db, job.id or 0, by=_analyst(db))


def test_cancel_a_running_run_stops_it_at_its_next_step(queued_app: Flask, db: Session) -> None:
    run, job = _queued_run(queued_app, db)
    worker = Worker(queued_app)
    claimed = jobs.claim(db, worker.name)
    assert claimed is not None and claimed.id == job.id
    jobs.request_cancel(db, job.id or 0, by=_analyst(db))
    assert _fresh(db, Job, job.id).status == "running"  # a running job ends at its next step
    worker._execute(claimed)
    job, run = _fresh(db, Job, job.id), _fresh(db, MatchRun, run.id)
    assert job.status == "cancelled" and job.error.startswith(f"cancelled by {_analyst(db).username}")
    assert run.status == "failed" and "cancelled by" in run.error and _matches(db, run.id) == []


def test_a_stopping_worker_gives_its_job_back(queued_app: Flask, db: Session) -> None:
    run, job = _queued_run(queued_app, db)
    worker = Worker(queued_app)
    claimed = jobs.claim(db, worker.name)
    assert claimed is not None
    worker.stopping.set()  # SIGTERM
    worker._execute(claimed)
    job, run = _fresh(db, Job, job.id), _fresh(db, MatchRun, run.id)
    assert (job.status, job.attempts, job.worker) == ("queued", 0, "")
    assert "was stopped during the job; re-queued" in job.history
    assert (run.status, run.progress) == ("queued", 0.0)
    assert Worker(queued_app).run(once=True) == 1
    assert _fresh(db, MatchRun, run.id).status == "done"


def _set_running(db: Session, job_id: int, worker: str, beat_age: timedelta, attempts: int = 1) -> None:
    with write(db, actor="test-setup"):
        job = db.get(Job, job_id)
        assert job is not None
        job.status, job.worker, job.attempts, job.progress = "running", worker, attempts, 0.4
        job.heartbeat_at = utcnow() - beat_age
        db.add(job)


def test_recovery_requeues_or_fails_jobs_of_dead_workers_only(queued_app: Flask, db: Session) -> None:
    import socket

    alive = jobs.enqueue(db, kind="noop", payload={}, by="test")
    silent = jobs.enqueue(db, kind="noop", payload={}, by="test")
    dead_here = jobs.enqueue(db, kind="noop", payload={}, by="test")
    worn_out = jobs.enqueue(db, kind="noop", payload={}, by="test")
    _set_running(db, alive.id or 0, "elsewhere:12:aa", timedelta(seconds=5))
    _set_running(db, silent.id or 0, "elsewhere:13:bb", timedelta(minutes=10))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process of this host that has ended
    _set_running(db, dead_here.id or 0, f"{socket.gethostname()}:{gone.pid}:cc", timedelta(seconds=1))
    _set_running(db, worn_out.id or 0, "elsewhere:14:dd", timedelta(minutes=10), attempts=3)

    found = {r.job_id: r for r in jobs.recover(db, "me:1:zz", stale_seconds=60)}
    assert set(found) == {silent.id, dead_here.id, worn_out.id}
    assert _fresh(db, Job, alive.id).status == "running"
    silent_job = _fresh(db, Job, silent.id)
    assert silent_job.status == "queued" and silent_job.attempts == 1
    assert "worker elsewhere:13:bb stopped during the job at 40 % (no heartbeat since" in silent_job.history
    here = _fresh(db, Job, dead_here.id)
    assert here.status == "queued" and "its process no longer exists" in here.history
    failed = _fresh(db, Job, worn_out.id)
    assert failed.status == "failed" and failed.error.endswith("tried 3 times, not trying again")
    assert found[worn_out.id].action == "failed" and found[silent.id].action == "requeued"


def test_a_job_taken_over_stores_nothing_from_its_old_worker(queued_app: Flask, db: Session) -> None:
    """Worker A went silent and its job was handed to B: A's results are refused, B's stored once."""
    run, job = _queued_run(queued_app, db)
    first, second = Worker(queued_app, name="elsewhere:1:a"), Worker(queued_app, name="elsewhere:2:b")
    claimed_by_first = jobs.claim(db, first.name)
    assert claimed_by_first is not None
    _set_running(db, job.id or 0, first.name, timedelta(minutes=5))
    jobs.recover(db, second.name, stale_seconds=60)
    claimed_by_second = jobs.claim(db, second.name)
    assert claimed_by_second is not None and claimed_by_second.id == job.id
    first._execute(claimed_by_first)  # wakes up: its first step finds the job is not its own any more
    assert _fresh(db, Job, job.id).worker == second.name and _matches(db, run.id) == []
    second._execute(claimed_by_second)
    job, run = _fresh(db, Job, job.id), _fresh(db, MatchRun, run.id)
    assert (job.status, job.attempts) == ("done", 2) and run.status == "done"
    assert len(_matches(db, run.id)) == run.n_matches >= 4


def test_a_job_that_raises_fails_with_a_readable_reason(queued_app: Flask, db: Session) -> None:
    run, job = _queued_run(queued_app, db)
    with write(db, actor="test-setup"):
        db.delete(db.get(MatchRun, run.id))  # the run is gone before the worker takes it up
        stored = db.get(Job, job.id)
        assert stored is not None
    Worker(queued_app).run(once=True)
    job = _fresh(db, Job, job.id)
    assert job.status == "failed" and job.error == f"match run {run.id} does not exist"
