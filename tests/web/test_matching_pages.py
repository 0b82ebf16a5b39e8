"""The match-run pages: a queued run waits for a worker and can be cancelled; the prior of
identity is set per run and shown with its meaning (English and Arabic)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.models import Job, Match, MatchRun
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
    assert re.search(r"1 / number of families searched = 1/4 = 0\.25", text)
    assert "the posterior of each candidate combines it with the likelihood ratio" in text
    chosen = client.post("/matching/", data={"top_k": "3", "report_log10_lr": "3", "prior": "0.001"},
                         follow_redirects=True).get_data(as_text=True)
    assert "0.001 — set for this run" in chosen
    db.rollback()
    runs = db.exec(select(MatchRun).order_by(MatchRun.id)).all()  # type: ignore[arg-type]
    priors = [{m.prior for m in db.exec(select(Match).where(Match.run_id == r.id)).all()} for r in runs]
    assert priors == [{0.25}, {0.001}]
    bad = client.post("/matching/", data={"top_k": "3", "report_log10_lr": "3", "prior": "1.5"})
    assert bad.status_code == 422
    client.get("/language/ar")
    arabic = client.get(f"/matching/runs/{runs[1].id}").get_data(as_text=True)
    assert "الاحتمال المسبق للتطابق" in arabic and "محدد لهذه العملية" in arabic
