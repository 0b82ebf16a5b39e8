"""The match-run pages: a queued run waits for a worker and can be cancelled; the prior of
identity is set per run and shown with its meaning (English and Arabic)."""

from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.models import Job, Match, MatchEvidence, MatchRun, Sample
from labtrack.services import demo


def test_a_queued_run_shows_its_job_and_can_be_cancelled(app: Flask, client: FlaskClient, db: Session,
                                                         login_as) -> None:  # noqa: ANN001
    app.config["JOBS_INLINE"] = False
    demo.load_demo(db)
    analyst = login_as("analyst")
    started = client.post("/matching/", data={"theta": "0", "top_k": "3", "report_log10_lr": "3"})
    assert started.status_code == 302
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert 'data-status="queued"' in page and "Waiting for a worker (labtrack worker)." in page
    assert 'data-job-status="queued"' in page and "Cancel this run" in page
    run_id = int(started.headers["Location"].rstrip("/").split("/")[-1])
    cancelled = client.post(f"/matching/runs/{run_id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "Cancel requested" in cancelled and 'data-job-status="cancelled"' in cancelled
    assert f"cancelled by {analyst.username} before it started" in cancelled and "Cancel this run" not in cancelled
    again = client.post(f"/matching/runs/{run_id}/cancel", follow_redirects=True)
    assert again.status_code == 200
    assert "This run has ended; there is nothing to cancel." in again.get_data(as_text=True)
    db.rollback()
    assert db.exec(select(Job)).one().status == "cancelled"
    assert db.get(MatchRun, run_id).status == "failed"  # type: ignore[union-attr]
    assert client.post("/matching/runs/999/cancel").status_code == 404


def test_the_prior_is_set_per_run_and_shown_with_its_meaning(client: FlaskClient, db: Session,
                                                             login_as) -> None:  # noqa: ANN001
    demo.load_demo(db)
    login_as("analyst")
    form = client.get("/matching/").get_data(as_text=True)
    assert "Prior probability of identity" in form and "each family alike" in form
    default = client.post("/matching/", data={"top_k": "3", "report_log10_lr": "3"}, follow_redirects=True)
    text = default.get_data(as_text=True)
    assert "0.25 = 1 / number of families in the database" in text and "every remains against every family" in text
    assert "the posterior of each candidate combines it with the likelihood ratio" in text
    chosen = client.post("/matching/", data={"top_k": "3", "report_log10_lr": "3", "prior": "0.001"},
                         follow_redirects=True).get_data(as_text=True)
    assert "0.001 — set for this run" in chosen
    db.rollback()
    runs = db.exec(select(MatchRun).order_by(MatchRun.id)).all()  # type: ignore[arg-type]
    priors = [{e.prior for e in db.exec(select(MatchEvidence).where(MatchEvidence.run_id == r.id)).all()}
              for r in runs]
    assert priors == [{0.25}, {0.001}]  # the second run updated the same candidates: new prior, new numbers
    assert {m.prior for m in db.exec(select(Match)).all()} == {0.001}
    bad = client.post("/matching/", data={"top_k": "3", "report_log10_lr": "3", "prior": "1.5"})
    assert bad.status_code == 422
    client.get("/language/ar")
    arabic = client.get(f"/matching/runs/{runs[1].id}").get_data(as_text=True)
    assert "الاحتمال المسبق للتطابق" in arabic and "محدد لهذه العملية" in arabic


def test_run_and_match_pages_show_updates_history_and_closures(client: FlaskClient, db: Session,
                                                                login_as) -> None:  # noqa: ANN001
    from tests.services.test_candidates import FEMUR, _retype

    demo.load_demo(db)
    analyst = login_as("analyst")
    client.post("/matching/", data={"top_k": "3", "report_log10_lr": "3"})
    second = client.post("/matching/", data={"top_k": "3", "report_log10_lr": "3", "theta": "0.02",
                                                       "mutation_model": "none"},
                         follow_redirects=True).get_data(as_text=True)
    assert re.search(r"Candidates: 0 new, [1-9]\d* updated, \d+ unchanged, 0 reopened after a rejection", second)
    db.rollback()
    femur = db.exec(select(Match).join(Sample, Sample.id == Match.sample_id)  # type: ignore[arg-type]
                    .where(Sample.accession == FEMUR)).one()
    page = client.get(f"/review/matches/{femur.id}").get_data(as_text=True)
    assert "Earlier computations" in page and page.count('href="/matching/runs/') >= 2
    _retype(db, analyst, FEMUR, like="NJH-00002-S01-JA")
    third = client.post("/matching/", data={"top_k": "3", "report_log10_lr": "3", "theta": "0.02",
                                                       "mutation_model": "none"},
                        follow_redirects=True).get_data(as_text=True)
    assert "Closed by this run" in third and "was superseded by a new typing" in third
    closed_page = client.get(f"/review/matches/{femur.id}").get_data(as_text=True)
    assert "This candidate is closed: it no longer holds and cannot be reviewed." in closed_page
    assert "the remains profile (version 1) was superseded by a new typing" in closed_page
    db.rollback()
    closed = db.get(Match, femur.id, populate_existing=True)
    assert closed is not None and json.loads(closed.closed_reason_json)["msg"] == "match run %(run)s: %(why)s"
    assert json.loads(closed.closed_reason_json)["params"]["why"] == {
        "msg": "the remains profile (version %(version)s) was superseded by a new typing", "params": {"version": 1}}
    client.get("/language/ar")
    arabic = client.get(f"/review/matches/{femur.id}")
    assert arabic.status_code == 200 and "هذا المرشح مغلق" in arabic.get_data(as_text=True)
    assert f"تشغيل المطابقة رقم {closed.closed_by_run_id}: حلّ تنميط جديد محل الملف الوراثي للرفات (النسخة 1)" \
        in arabic.get_data(as_text=True)
    run_page = client.get(f"/matching/runs/{closed.closed_by_run_id}").get_data(as_text=True)
    assert "حلّ تنميط جديد محل الملف الوراثي للرفات" in run_page and "superseded by a new typing" not in run_page


def test_the_api_cancels_a_queued_run_and_shows_what_it_searched(app: Flask, client: FlaskClient, db: Session,
                                                                 login_as) -> None:  # noqa: ANN001
    demo.load_demo(db)
    login_as("analyst")
    done = client.post("/api/v1/match-runs", json={"top_k": 2}).get_json()
    assert done["status"] == "done" and json.loads(done["scope_json"]) == {"full": True}
    assert len(done["input_sha256"]) == 64 and json.loads(done["outcome_json"])["reported"] == done["n_matches"]
    app.config["JOBS_INLINE"] = False
    queued = client.post("/api/v1/match-runs", json={"top_k": 2}).get_json()
    assert queued["status"] == "queued"
    cancelled = client.post(f"/api/v1/match-runs/{queued['id']}/cancel")
    assert cancelled.status_code == 202 and cancelled.get_json()["status"] == "failed"
    assert "before it started" in cancelled.get_json()["error"]
    again = client.post(f"/api/v1/match-runs/{queued['id']}/cancel")
    assert again.status_code == 409 and "already ended" in again.get_json()["message"]
