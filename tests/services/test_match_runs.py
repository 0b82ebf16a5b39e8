"""Match runs over the stored demo data: background job, progress, candidates stored for review."""

from __future__ import annotations

import json
import math

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.core.errors import ValidationFailed
from labtrack.models import AuditEntry, Family, Match, Profile, Sample, User
from labtrack.services import demo, match_runs


@pytest.fixture
def demo_db(db: Session) -> Session:
    demo.load_demo(db)
    return db


def _analyst(db: Session) -> User:
    user = db.exec(select(User).where(User.role == "analyst")).first()
    assert user is not None
    return user


def _matches(db: Session, run_id: int) -> dict[tuple[str, str], Match]:
    found = {}
    for match in db.exec(select(Match).where(Match.run_id == run_id)).all():
        profile = db.get(Profile, match.profile_id)
        sample = db.get(Sample, profile.sample_id) if profile else None
        family = db.get(Family, match.family_id)
        assert sample is not None and family is not None
        found[(sample.accession, family.code)] = match
    return found


def test_run_finds_the_demo_son_of_family_1_with_evidence(app: Flask, demo_db: Session) -> None:
    run = match_runs.start_run(session=demo_db, by=_analyst(demo_db), params=match_runs.RunParameters(),
                               app=app)
    run = match_runs.get_run(demo_db, run.id or 0)
    assert (run.status, run.error) == ("done", "") and run.progress == 1.0
    assert run.n_families == 4 and run.n_remains >= 4
    assert json.loads(run.params_json)["top_k"] == 5 and run.engine_version.startswith("labtrack-kinship")
    found = _matches(demo_db, run.id or 0)
    femur = next(accession for accession, family in found if family == "FAM-0001" and accession.startswith("QTF-00001"))
    best = found[(femur, "FAM-0001")]
    assert best.rank == 1 and best.log10_lr > 10 and best.posterior > 0.9995
    rows = json.loads(best.per_locus_json)
    assert {"marker", "remains", "relatives", "lr", "log10_lr", "flag"} <= set(rows[0])
    total = sum(r["log10_lr"] for r in rows if r["log10_lr"] is not None)
    assert math.isclose(total, best.log10_lr, abs_tol=1e-6)
    assert all(m.log10_lr >= 3.0 for m in found.values())
    # progress was written while it ran, and each write is in the audit log
    progress_entries = demo_db.exec(select(AuditEntry).where(AuditEntry.reason == "match run progress")).all()
    assert len(progress_entries) >= 3


def test_a_run_that_fails_records_why(app: Flask, db: Session) -> None:
    demo.load_demo(db)
    from labtrack.models import FrequencyEntry
    from labtrack.services.transaction import write

    # an empty frequency table: the search input cannot be read
    entries = db.exec(select(FrequencyEntry)).all()
    with write(db, actor="test-setup"):
        for entry in entries:
            db.delete(entry)
    run = match_runs.start_run(session=db, by=_analyst(db), params=match_runs.RunParameters(), app=app)
    assert run.status == "failed" and run.error
    assert db.exec(select(Match)).all() == []


def test_bad_parameters_are_refused(app: Flask, demo_db: Session) -> None:
    with pytest.raises(ValidationFailed) as info:
        match_runs.start_run(session=demo_db, by=_analyst(demo_db),
                             params=match_runs.RunParameters(theta=0.7, top_k=0), app=app)
    assert {p.field for p in info.value.problems} == {"theta", "top_k"}


def test_run_from_the_page_and_the_api(client: FlaskClient, demo_db: Session, login_as) -> None:  # noqa: ANN001
    login_as("analyst")
    response = client.post("/matching/", data={"theta": "0", "top_k": "3", "report_log10_lr": "3"})
    assert response.status_code == 302
    run_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-status="done"' in run_page
    api = client.post("/api/v1/match-runs", json={"top_k": 2})
    assert api.status_code == 202
    run_id = api.get_json()["id"]
    status = client.get(f"/api/v1/match-runs/{run_id}").get_json()
    assert status["status"] == "done" and status["n_matches"] >= 4
    bad = client.post("/api/v1/match-runs", json={"theta": 2})
    assert bad.status_code == 422 and bad.get_json()["problems"][0]["field"] == "theta"


def test_threads_change_nothing_but_speed(tmp_path) -> None:
    """An in-process run uses LABTRACK_MATCH_THREADS threads (default: one per core); the
    candidates are the same with one thread or several."""
    from labtrack.config import from_environment
    from labtrack.imports.exchange import read_freqs
    from labtrack.kinship.simulate import simulate

    assert from_environment(tmp_path, {"LABTRACK_MATCH_THREADS": "3"})["MATCH_THREADS"] == 3
    assert from_environment(tmp_path, {})["MATCH_THREADS"] == 0
    freqs = read_freqs(match_runs.Path(__file__).resolve().parents[2] / "fixtures" / "freqs" / "nist1036.csv")
    simulate(120, 60, 15, 7, freqs).write(tmp_path / "set")
    params = match_runs.RunParameters(top_k=3, report_log10_lr=2.0)
    one, n_remains, n_families = match_runs.run_on_files(tmp_path / "set", params, n_threads=1)
    many, _, _ = match_runs.run_on_files(tmp_path / "set", params, n_threads=3)
    every_core, _, _ = match_runs.run_on_files(tmp_path / "set", params, n_threads=0)
    assert (n_remains, n_families) == (60, 120) and len(one) > 20
    key = [(c.remains_sample_id, c.family_id, c.rank, c.log10_lr) for c in one]
    assert [(c.remains_sample_id, c.family_id, c.rank, c.log10_lr) for c in many] == key
    assert [(c.remains_sample_id, c.family_id, c.rank, c.log10_lr) for c in every_core] == key


def test_runs_of_one_remains_reuse_the_family_tables_of_the_worker(app: Flask, demo_db: Session) -> None:
    """Continuous matching's runs of one new remains against every family build the family
    tables once per worker process; the candidates are those of runs that build them afresh."""
    analyst, params = _analyst(demo_db), match_runs.RunParameters()
    match_runs.TABLE_CACHE.clear()
    builds, hits = match_runs.TABLE_CACHE.builds, match_runs.TABLE_CACHE.hits
    runs = [match_runs.start_run(session=demo_db, by=analyst, params=params, app=app, scope={"remains": [accession]})
            for accession in ("QTF-00001-S01-S0", "QTF-00002-S01-5F", "NJH-00001-S01-BJ")]
    assert (match_runs.TABLE_CACHE.builds - builds, match_runs.TABLE_CACHE.hits - hits) == (1, 2)
    cached = [{key: (m.log10_lr, m.rank, m.per_locus_json) for key, m in _matches(demo_db, run.id or 0).items()}
              for run in runs]
    assert any(cached)
    app.config["MATCH_TABLE_CACHE"] = False
    match_runs.TABLE_CACHE.clear()
    for run, numbers in zip(runs, cached, strict=True):
        again = match_runs.start_run(session=demo_db, by=analyst, params=params, app=app,
                                     scope=match_runs.scope(run))
        outcome = match_runs.outcome(match_runs.get_run(demo_db, again.id or 0))
        # built afresh: the same candidates with the same numbers and inputs (nothing new or updated)
        assert (outcome["unchanged"], outcome["new"], outcome["updated"]) == (len(numbers), 0, 0)
    assert match_runs.TABLE_CACHE.tables is None  # off: nothing kept


def test_a_long_stage_writes_its_progress_at_least_every_half_minute(app: Flask, demo_db: Session) -> None:
    """Between the 5 % steps, progress is written once 30 s have passed (a 20-minute evidence step
    is a tenth of the bar), not at every candidate."""
    run = match_runs.start_run(session=demo_db, by=_analyst(demo_db), params=match_runs.RunParameters(),
                               app=app)
    written: list[tuple[float, str]] = []

    class Context:
        def check(self) -> None:
            pass

        def progress(self, session: Session, value: float, stage: str) -> None:
            written.append((round(value, 4), stage))

    now = [0.0]
    progress = match_runs._Progress(demo_db, run, "test", Context(), clock=lambda: now[0])  # type: ignore[arg-type]
    for seconds, done in ((1, 1), (10, 2), (29, 3), (31, 4), (40, 5), (62, 6), (63, 600)):
        now[0] = seconds
        progress("evidence", done, 1000)
    assert [value for value, _ in written] == [0.9001, 0.9004, 0.9006, 0.96]
    assert {stage for _, stage in written} == {"exact likelihood ratios"}
    assert match_runs.get_run(demo_db, run.id or 0).progress == 0.96
