"""The dashboard as a stored read model: the worker computes the figures, the page and its
exports show them "as of" the time they were computed, a view of missing or old figures queues
one refresh (never two), and no web request computes them."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import update
from sqlmodel import Session, col, select

from labtrack.models import DashboardSnapshot, Job, utcnow
from labtrack.services import dashboard, dashboard_snapshot, review
from labtrack.services.worker import run_inline
from tests import factories
from tests.review_factories import make_candidate, make_remains, make_site
from tests.services.test_dashboard_definitions import lab  # noqa: F401 - the fixture


def _jobs(db: Session, *statuses: str) -> list[Job]:
    db.rollback()  # a fresh read: the requests wrote in their own sessions
    return list(db.exec(select(Job).where(Job.kind == dashboard_snapshot.JOB_KIND, col(Job.status).in_(statuses))
                        .execution_options(populate_existing=True)))


def test_the_stored_figures_are_the_computed_ones(db: Session, lab: dict[str, int]) -> None:  # noqa: F811
    assert dashboard_snapshot.latest(db) is None
    stored = dashboard_snapshot.refresh(db)
    live = dashboard.summary(db)
    assert stored.dashboard == live  # every site's funnel, MNI, unique profiles, turnaround; the work
    qtf = next(s for s in stored.dashboard.sites if s.site_code == "QTF")
    assert qtf.funnel["identified"] == 3 and qtf.funnel["returned"] == 1 and qtf.turnaround.identified == 3
    assert stored.dashboard.work["technician"] == {"samples not yet profiled": 1}
    assert stored.age() < timedelta(minutes=1) and stored.seconds >= 0
    # only the newest is kept
    dashboard_snapshot.refresh(db)
    assert len(db.exec(select(DashboardSnapshot)).all()) == 1


def test_a_view_shows_stored_figures_and_queues_one_refresh(app: Flask, client: FlaskClient, db: Session,
                                                            login_as, monkeypatch: pytest.MonkeyPatch) -> None:
    app.config["JOBS_INLINE"] = False  # a real deployment: the worker runs the job, not the request
    analyst = factories.make_user(db, "analyst", "ana1")
    make_candidate(db, analyst.user)

    def computed_in_a_request(_session: Session) -> None:
        raise AssertionError("the dashboard was computed inside a web request")

    login_as("technician")
    with monkeypatch.context() as inside:
        inside.setattr(dashboard, "summary", computed_in_a_request)
        page = client.get("/dashboard/").get_data(as_text=True)
        assert "The figures are being computed by the worker" in page and 'id="funnel"' not in page
        assert client.get("/dashboard/export?table=funnel&format=csv").status_code == 503
        client.get("/dashboard/")
        assert len(_jobs(db, "queued")) == 1  # views while one is queued do not queue another

    assert run_inline(app) == 1  # the worker
    assert [j.status for j in _jobs(db, "done")] == ["done"]
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Figures as of" in page and 'data-site="QTF"' in page and "Newer figures" not in page
    assert _jobs(db, "queued", "running") == []  # fresh figures: nothing queued

    # the lab moves on; the figures are old: the page shows them and queues one refresh
    make_remains(db, make_site(db, "NJH"))
    db.exec(update(DashboardSnapshot).values(computed_at=utcnow() - timedelta(hours=1)))  # type: ignore[call-overload]
    db.commit()
    with monkeypatch.context() as inside:
        inside.setattr(dashboard, "summary", computed_in_a_request)
        page = client.get("/dashboard/").get_data(as_text=True)
        assert "Newer figures are being computed" in page and 'data-site="NJH"' not in page
        client.get("/dashboard/")
        assert len(_jobs(db, "queued")) == 1
        csv_text = client.get("/dashboard/export?table=funnel&format=csv").data.decode("utf-8-sig")
        assert csv_text.splitlines()[1].startswith("QTF,QTF mass grave,1,")  # the stored figures
    run_inline(app)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert 'data-site="NJH"' in page and "Newer figures" not in page
    book = load_workbook(io.BytesIO(client.get("/dashboard/export?table=funnel&format=xlsx").data))
    assert [row[0] for row in book.active.iter_rows(values_only=True)] == ["site", "NJH", "QTF"]


def test_a_refresh_queued_or_running_is_not_queued_again(app: Flask, db: Session) -> None:
    app.config["JOBS_INLINE"] = False
    admin = factories.make_user(db, "admin", "boss")
    first = dashboard_snapshot.request(db, by=admin.user)
    assert dashboard_snapshot.request(db, by=admin.user).id == first.id
    with __import__("labtrack.services.transaction", fromlist=["write"]).write(db, actor="test"):
        job = db.get(Job, first.id)
        job.status, job.worker = "running", "elsewhere:1:x"
        db.add(job)
    assert dashboard_snapshot.request(db, by=admin.user).id == first.id
    assert dashboard_snapshot.current(db, by=admin.user, max_age=0).pending.id == first.id
    assert len(_jobs(db, "queued", "running")) == 1


def test_the_work_list_is_shown_in_the_readers_language_from_the_stored_figures(
        client: FlaskClient, db: Session, login_as) -> None:
    first, second = factories.make_user(db, "analyst", "ana1"), factories.make_user(db, "analyst", "ana2")
    c = make_candidate(db, first.user)
    review.propose(session=db, match_id=c.match.id, by=first.user, decision="reject", reason="no",
                   password=factories.PASSWORD)
    dashboard_snapshot.refresh(db)
    assert second is not None
    login_as("coordinator")
    page = client.get("/dashboard/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "مطابقات بانتظار المراجعة" in page and "matches to review" not in page


def test_refresh_now_queues_one_computation_for_the_worker(app: Flask, client: FlaskClient, db: Session,
                                                           login_as) -> None:
    """The page's button queues a refresh (the worker computes it), never a second while one waits."""
    app.config["JOBS_INLINE"] = False
    dashboard_snapshot.refresh(db)
    login_as("technician")
    page = client.get("/dashboard/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'id="refresh-figures"' in page and "احسب الأرقام من جديد الآن" in page
    assert _jobs(db, "queued") == []  # fresh figures: nothing queued by the view
    answer = client.post("/dashboard/refresh", follow_redirects=True)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "Newer figures are being computed" in page and 'id="refresh-figures"' not in page
    client.post("/dashboard/refresh")
    assert len(_jobs(db, "queued")) == 1
    assert run_inline(app) == 1
    assert [j.status for j in _jobs(db, "done")] == ["done"]
    assert 'id="refresh-figures"' in client.get("/dashboard/").get_data(as_text=True)
