"""What the worker stores about a job (why it ended, what it is doing, why it was re-queued) is kept
as message ids with their parameters, and shown in the reader's language on the pages and in the
API; rows written before (plain English) still read as they were."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from labtrack.core.errors import InputProblem, ValidationFailed
from labtrack.core.messages import from_json, msg, to_json
from labtrack.models import Job, MatchRun, User, utcnow
from labtrack.services import demo, jobs, match_runs
from labtrack.services.match_parameters import MatchParameters
from labtrack.services.transaction import write
from labtrack.services.worker import Worker, readable_error
from labtrack.web.messages import problem_line, text

ARABIC = {"Accept-Language": "ar"}
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def queued(app: Flask, db: Session, login_as) -> tuple[User, MatchRun, Job]:  # noqa: ANN001
    """A match run waiting for a worker, and its job; an analyst logged in."""
    app.config["JOBS_INLINE"] = False
    demo.load_demo(db)
    analyst = login_as("analyst").user
    run = match_runs.start_run(session=db, by=analyst, params=MatchParameters(), app=app)
    job = jobs.job_for(db, "match_run", run.id or 0)
    assert job is not None
    return analyst, run, job


def _fresh(db: Session, model: type, key: int):  # noqa: ANN202
    db.rollback()
    return db.get(model, key, populate_existing=True)


def test_a_cancelled_run_says_who_cancelled_it_in_the_readers_language(
        client: FlaskClient, db: Session, queued) -> None:  # noqa: ANN001
    analyst, run, job = queued
    jobs.request_cancel(db, job.id or 0, by=analyst)
    job, run = _fresh(db, Job, job.id), _fresh(db, MatchRun, run.id)
    stored = {"msg": "cancelled by %(user)s before it started", "params": {"user": analyst.username}}
    assert json.loads(job.error_json) == stored and json.loads(run.error_json) == stored
    assert job.error == run.error == f"cancelled by {analyst.username} before it started"  # the CLI's text

    arabic = client.get(f"/matching/runs/{run.id}", headers=ARABIC).get_data(as_text=True)
    assert f"ألغاها {analyst.username} قبل أن تبدأ" in arabic and "before it started" not in arabic
    english = client.get(f"/matching/runs/{run.id}", headers=ENGLISH).get_data(as_text=True)
    assert f"cancelled by {analyst.username} before it started" in english
    api = client.get(f"/api/v1/match-runs/{run.id}", headers=ARABIC).get_json()
    assert api["error"] == f"ألغاها {analyst.username} قبل أن تبدأ"
    assert client.get(f"/api/v1/match-runs/{run.id}", headers=ENGLISH).get_json()["error"] == job.error


def test_a_row_written_before_messages_were_kept_reads_as_written(
        client: FlaskClient, db: Session, queued) -> None:  # noqa: ANN001
    _analyst, run, job = queued
    with write(db, actor="test-setup"):
        for row in (db.get(Job, job.id), db.get(MatchRun, run.id)):
            assert row is not None
            row.status, row.error, row.error_json = "failed" if isinstance(row, MatchRun) else "cancelled", \
                "cancelled by an old hand before it started", ""
            db.add(row)
        stored = db.get(Job, job.id)
        assert stored is not None
        stored.history, stored.history_json = "2026-01-02 03:04:05 UTC: an old re-queue", ""
        db.add(stored)
    page = client.get(f"/matching/runs/{run.id}", headers=ARABIC).get_data(as_text=True)
    assert "cancelled by an old hand before it started" in page and "an old re-queue" in page
    assert client.get(f"/api/v1/match-runs/{run.id}", headers=ARABIC).get_json()["error"] == \
        "cancelled by an old hand before it started"


def test_the_stage_of_a_running_job_is_shown_in_the_readers_language(
        client: FlaskClient, db: Session, queued) -> None:  # noqa: ANN001
    _analyst, run, job = queued
    claimed = jobs.claim(db, "elsewhere:1:a")
    assert claimed is not None and claimed.id == job.id
    with write(db, actor="test-setup"):
        stored = db.get(MatchRun, run.id)
        assert stored is not None
        stored.status = "running"
        db.add(stored)
    jobs.set_progress(db, job.id or 0, "elsewhere:1:a", 0.5, match_runs.STAGE_TEXTS["search"])
    job = _fresh(db, Job, job.id)
    assert (job.stage, json.loads(job.stage_json)) == ("searching", {"msg": "searching", "params": {}})
    arabic = client.get(f"/matching/runs/{run.id}", headers=ARABIC).get_data(as_text=True)
    assert "(البحث)" in arabic and "(searching)" not in arabic
    assert "(searching)" in client.get(f"/matching/runs/{run.id}", headers=ENGLISH).get_data(as_text=True)


def test_a_run_says_it_is_storing_its_candidates_while_it_stores_them(
        app: Flask, db: Session, queued, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """Storing a full run's candidates takes minutes at Syria's size: the job says so meanwhile."""
    from labtrack.services import candidates

    _analyst, run, job = queued
    seen: list[tuple[str, str]] = []
    store = candidates.store

    def watched(session: Session, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        stored = session.get(Job, job.id, populate_existing=True)
        seen.append((stored.status, stored.stage_json))
        return store(session, *args, **kwargs)

    monkeypatch.setattr(candidates, "store", watched)
    db.rollback()
    assert Worker(app).run(once=True) == 1
    assert [(status, json.loads(stage)) for status, stage in seen] == [
        ("running", {"msg": "storing the candidates", "params": {}})]
    job, run = _fresh(db, Job, job.id), _fresh(db, MatchRun, run.id)
    assert job.status == "done" and run.status == "done" and run.n_matches > 0
    with app.test_request_context(headers=ARABIC):
        assert text(from_json(seen[0][1], "")) == "حفظ المرشحين"


def test_a_job_of_a_dead_worker_says_why_it_was_requeued_and_failed_in_arabic(
        client: FlaskClient, db: Session, queued) -> None:  # noqa: ANN001
    _analyst, run, job = queued
    for attempt in (1, 2, 3):
        with write(db, actor="test-setup"):
            stored = db.get(Job, job.id)
            assert stored is not None
            stored.status, stored.worker, stored.attempts, stored.progress = "running", "elsewhere:9:z", attempt, 0.4
            stored.heartbeat_at, stored.max_attempts = utcnow() - timedelta(minutes=10), 3
            db.add(stored)
        jobs.recover(db, "me:1:zz", stale_seconds=60)
    job = _fresh(db, Job, job.id)
    assert job.status == "failed" and job.error.endswith("tried 3 times, not trying again")
    history = json.loads(job.history_json)
    assert len(history) == 2 and history[0]["reason"]["msg"] == "%(stopped)s; re-queued"
    stopped = history[0]["reason"]["params"]["stopped"]
    assert stopped["msg"] == "worker %(worker)s stopped during the job at %(percent)s %% (%(why)s)"
    assert stopped["params"]["worker"] == "elsewhere:9:z" and stopped["params"]["percent"] == 40
    assert stopped["params"]["why"]["msg"] == "no heartbeat since %(time)s"
    error = json.loads(job.error_json)
    assert (error["msg"], error["num"]) == ("%(stopped)s; tried once, not trying again", 3)

    page = client.get(f"/matching/runs/{run.id}", headers=ARABIC).get_data(as_text=True)
    assert page.count("توقفت العملية العاملة elsewhere:9:z أثناء المهمة عند 40 % (لا نبضة منذ") == 3
    assert "؛ أُعيدت إلى قائمة الانتظار" in page and "جُرِّبت 3 مرات، ولن تُعاد المحاولة" in page
    assert "stopped during the job" not in page and "re-queued" not in page


def test_a_failed_job_keeps_its_problems_as_messages(app: Flask) -> None:
    error = ValidationFailed(msg("The input has problems"), [
        InputProblem(message=msg("frequency %(value)s is not a number", value="'x'"), field="frequency", row=3,
                     file="freqs.csv")])
    reason = readable_error(error)
    assert reason == "The input has problems: freqs.csv, row 3, field frequency: frequency 'x' is not a number"
    data = json.loads(to_json(reason))
    assert data["msg"] == "%(message)s: %(problems)s"
    problem = data["params"]["problems"]["joined"][0]
    assert problem["msg"] == "%(where)s: %(message)s"
    assert problem["params"]["where"] == {"listed": ["freqs.csv", {"msg": "row %(row)s", "params": {"row": 3}},
                                                     {"msg": "field %(field)s", "params": {"field": "frequency"}}]}
    with app.test_request_context(headers=ARABIC):
        arabic = text(from_json(to_json(reason), "unused"))
    assert arabic.startswith("في المدخلات مشكلات: freqs.csv، السطر 3، الحقل frequency: ")
    assert readable_error(RuntimeError("  disk full ")) == "disk full"


def test_a_job_that_raises_keeps_its_message(app: Flask, db: Session, queued) -> None:  # noqa: ANN001
    _analyst, run, job = queued
    with write(db, actor="test-setup"):
        db.delete(db.get(MatchRun, run.id))  # the run is gone before the worker takes it up
    Worker(app).run_one()
    job = _fresh(db, Job, job.id)
    assert job.status == "failed" and job.error == f"match run {run.id} does not exist"
    assert json.loads(job.error_json) == {"msg": "match run %(id)s does not exist", "params": {"id": run.id}}
    with app.test_request_context(headers=ARABIC):
        assert text(job.error_message) == f"تشغيل المطابقة رقم {run.id} غير موجود"


def test_a_pedigree_problem_names_its_family_in_the_readers_language(app: Flask) -> None:
    from labtrack.imports.pedigrees import PedigreeRow, validate_family

    rows = [PedigreeRow("F7", "S", "S", "", "M", "", True, 4)]  # their own father
    [problem] = [p for p in validate_family(rows, filename="p.csv") if p.field == "father_id"]
    assert problem.message == "family F7: S is their own father"  # the English, as before
    with app.test_request_context(headers=ARABIC):
        assert text(problem.message) == "العائلة F7: S مسجَّل أباً لنفسه"


def test_a_flashed_problem_says_where_in_the_request_language(app: Flask) -> None:
    """A form's or an upload's problem line is the problem's own description: the same English as
    ``str(problem)``, and in Arabic the places listed with the Arabic comma."""
    problem = InputProblem(message=msg("frequency %(value)s is not a number", value="'x'"), field="frequency",
                           row=3, file="freqs.csv")
    with app.test_request_context():
        english = problem_line(problem)
    assert english == str(problem) == "freqs.csv, row 3, field frequency: frequency 'x' is not a number"
    with app.test_request_context(headers=ARABIC):
        arabic = problem_line(problem)
    assert arabic.startswith("freqs.csv، السطر 3، الحقل frequency: ") and "is not a number" not in arabic
