"""Continuous matching: new evidence queues the comparisons it touches, and the worker turns them
into candidates without anyone starting a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session, select

from labtrack.models import ConsentRecord, Donor, Family, Job, Match, MatchRun, Sample, User
from labtrack.services import consent, demo, match_runs, samples
from labtrack.services.match_parameters import MatchParameters
from labtrack.services.search_input import build_search_input
from labtrack.services.worker import Worker, WorkerSettings
from tests.factories import make_remains, make_user
from tests.services.test_candidates import FEMUR, _open, _retype


@pytest.fixture
def continuous_app(app: Flask) -> Flask:
    app.config["CONTINUOUS_MATCHING"] = True
    app.config["JOBS_INLINE"] = False  # the worker below works off the queue, as in production
    return app


def _work(app: Flask, db: Session) -> int:
    db.rollback()  # the test session's read ends: it sees what the worker writes
    ran = Worker(app, WorkerSettings(poll_seconds=0.01)).run(once=True)
    db.rollback()
    return ran


def _queued(db: Session) -> list[dict]:
    db.rollback()
    runs = []
    for job in db.exec(select(Job).where(Job.status == "queued").order_by(Job.id)).all():  # type: ignore[arg-type]
        run = db.get(MatchRun, job.subject_id)
        assert run is not None
        runs.append(json.loads(run.scope_json))
    return runs


def test_the_demo_is_matched_as_it_is_loaded(continuous_app: Flask, db: Session) -> None:
    demo.load_demo(db)
    scopes = _queued(db)
    assert scopes and all("full" not in scope for scope in scopes)
    assert _work(continuous_app, db) == len(scopes)
    found = _open(db)
    assert (FEMUR, "FAM-0001") in found and ("NJH-00001-S01-BJ", "FAM-0003") in found
    assert db.exec(select(MatchRun).where(MatchRun.scope_json == '{"full": true}')).all() == []


def test_a_new_profile_of_the_true_son_becomes_a_candidate_without_a_run(continuous_app: Flask, db: Session,
                                                                          tmp_path: Path) -> None:
    demo.load_demo(db)
    _work(continuous_app, db)
    analyst = make_user(db, "analyst", "continuous1")
    technician = db.exec(select(User).where(User.role == "technician")).first()
    assert technician is not None
    remains = make_remains(db, technician)
    sample = samples.take_sample(session=db, remains_accession=remains.accession, sample_type="tooth",  # type: ignore[attr-defined]
                                 by=technician)
    assert _queued(db) == []
    _retype(db, analyst, sample.accession, like=FEMUR)  # the son's profile, typed from a new tooth
    assert _queued(db) == [{"remains": [sample.accession]}]
    assert _work(continuous_app, db) == 1
    candidate = _open(db)[(sample.accession, "FAM-0001")]
    assert candidate.log10_lr > 10 and candidate.posterior > 0.9995
    run = db.get(MatchRun, candidate.run_id)
    assert run is not None and run.n_remains == 1 and run.n_families == 4 and run.started_by_id == analyst.id
    searched = build_search_input(session=db, remains=[sample.accession])
    assert run.input_sha256 == searched.sha256() and searched.remains == [sample.accession]
    # the rows went to the engine straight from the database: the same search from the exchange
    # files of that input gives the same numbers
    searched.write(tmp_path)
    from_files, n_remains, n_families = match_runs.run_on_files(tmp_path, MatchParameters.from_json(run.params_json))
    assert (n_remains, n_families) == (1, 4)
    again = next(c for c in from_files if c.family_id == "FAM-0001")
    assert (again.log10_lr, again.posterior, again.per_locus) == (candidate.log10_lr, candidate.posterior,
                                                                 json.loads(candidate.per_locus_json))


def test_consent_withdrawn_queues_the_family_and_closes_its_candidate(continuous_app: Flask,
                                                                      db: Session) -> None:
    demo.load_demo(db)
    _work(continuous_app, db)
    candidate = next(m for (_, code), m in _open(db).items() if code == "FAM-0002")
    coordinator = db.exec(select(User).where(User.role == "coordinator")).first()
    assert coordinator is not None
    daughter = db.exec(select(Donor).where(Donor.code == "D-0003")).one()
    grant = db.exec(select(ConsentRecord).where(ConsentRecord.donor_id == daughter.id)).one()
    consent.withdraw(session=db, grant_id=grant.id or 0, by=coordinator, note="withdrawn")
    assert _queued(db) == [{"families": ["FAM-0002"]}]
    consent.grant(session=db, donor_id=daughter.id or 0, by=coordinator)  # a second change coalesces
    consent.withdraw(session=db, grant_id=db.exec(select(ConsentRecord.id).where(
        ConsentRecord.donor_id == daughter.id).order_by(ConsentRecord.id.desc())).first() or 0,  # type: ignore[union-attr]
        by=coordinator)
    assert _queued(db) == [{"families": ["FAM-0002"]}]
    assert _work(continuous_app, db) == 1
    closed = db.get(Match, candidate.id, populate_existing=True)
    assert closed is not None and closed.closed_at is not None
    assert "a donor of the family has no active consent" in closed.closed_reason
    run = db.get(MatchRun, closed.closed_by_run_id)
    assert run is not None and json.loads(run.scope_json) == {"families": ["FAM-0002"]}
    # a family run weighs each remains against every family of the lab: the prior stays 1/4
    assert json.loads(run.outcome_json)["prior"] == 0.25


def test_a_retyped_remains_is_recomputed(continuous_app: Flask, db: Session) -> None:
    demo.load_demo(db)
    _work(continuous_app, db)
    before = _open(db)[(FEMUR, "FAM-0001")]
    analyst = make_user(db, "analyst", "continuous2")
    _retype(db, analyst, FEMUR, like="NJH-00002-S01-JA")
    assert _queued(db) == [{"remains": [FEMUR]}]
    _work(continuous_app, db)
    closed = db.get(Match, before.id, populate_existing=True)
    assert closed is not None and "superseded by a new typing" in closed.closed_reason
    families = {f.code for f in db.exec(select(Family)).all()}
    assert families == {"FAM-0001", "FAM-0002", "FAM-0003", "FAM-0004"}
    assert db.exec(select(Sample).where(Sample.accession == FEMUR)).one() is not None


def test_a_bulk_change_queues_one_full_run(continuous_app: Flask, db: Session,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from labtrack.services import continuous

    monkeypatch.setattr(continuous, "FULL_RUN_ABOVE", 3)  # the demo's 8 remains profiles are "a bulk import"
    demo.load_demo(db)
    scopes = _queued(db)
    assert {"full": True} in scopes and not any("remains" in scope for scope in scopes)
    assert _work(continuous_app, db) == len(scopes)
    assert (FEMUR, "FAM-0001") in _open(db)
