"""Verification of the audit chain by the worker, incremental from a verified high-water mark.

The page only queues a job and shows stored results; the worker (its real claim loop) walks the
chain. An incremental run re-checks the mark's entry and walks the entries after it: tampering
above the mark is caught, re-hashing from below the mark is caught by the mark's own hash check,
and an in-place edit below the mark is caught only by a full verification (this is exactly what
an incremental verification cannot see, and the page says so)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, func, select

from labtrack.core.messages import msg
from labtrack.db import get_engine
from labtrack.models import AuditEntry, AuditVerification, Job, Site, utcnow
from labtrack.services import audit, audit_verification, jobs
from labtrack.services.transaction import write
from labtrack.services.worker import Worker, WorkerSettings
from tests.conftest import login
from tests.services.test_audit_tamper import _drop_guards, _rehash_from, _sql


@pytest.fixture
def worker_app(app: Flask) -> Flask:
    app.config["JOBS_INLINE"] = False  # as in production: only a worker verifies
    return app


@pytest.fixture
def verified_mark(
        worker_app: Flask, client: FlaskClient, db: Session, users: dict) -> Callable[[int], AuditVerification]:
    """An admin logged in, ``count`` sites A00... added and a first incremental run: the verified mark."""

    def make(count: int) -> AuditVerification:
        login(client, users["admin"])
        _add_sites(db, count, "A")
        _request(client, full=False)
        return _work(worker_app, db)

    return make


@pytest.fixture
def tamper(worker_app: Flask, db: Session) -> Callable[..., None]:
    """Run SQL on the audit log with its append-only guards dropped, as someone with the database can."""

    def run(statement: str, **params: object) -> None:
        db.rollback()  # no read transaction of the test may hold the table (PostgreSQL: DROP TRIGGER waits)
        _drop_guards(worker_app)
        _sql(worker_app, statement, **params)

    return run


def _rename_site(tamper: Callable[..., None], seq: int, code: str) -> None:
    """Edit the audit entry ``seq`` in place: site ``code`` becomes X01, its hash left as it was."""
    tamper(f"UPDATE audit_entry SET after_json = replace(after_json, '{code}', 'X01') WHERE seq = :s", s=seq)


def _add_sites(db: Session, count: int, prefix: str) -> None:
    for n in range(count):
        with write(db, actor="tester", reason="test"):
            db.add(Site(code=f"{prefix}{n:02d}", name_en=f"Site {prefix}{n}"))


def _seq_of_site(db: Session, code: str) -> int:
    db.rollback()
    return db.exec(select(AuditEntry.seq).where(AuditEntry.entity_type == "site",
                                                col(AuditEntry.after_json).contains(f'"{code}"'))).one()


def _request(client: FlaskClient, *, full: bool) -> None:
    response = client.post("/admin/audit/verify", data={"full": "1" if full else "0"})
    assert response.status_code == 302 and response.location.endswith("/admin/audit")


def _work(app: Flask, db: Session) -> AuditVerification:
    db.rollback()
    assert Worker(app, WorkerSettings(poll_seconds=0.01)).run(once=True) == 1
    db.rollback()
    latest = audit_verification.latest(db)
    assert latest is not None
    return latest


def _page(client: FlaskClient) -> str:
    response = client.get("/admin/audit")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_page_queues_the_job_and_the_worker_verifies_from_the_mark(
        worker_app: Flask, client: FlaskClient, db: Session, users: dict) -> None:
    login(client, users["admin"])
    _add_sites(db, 5, "A")
    _request(client, full=False)
    db.rollback()
    queued = db.exec(select(Job).where(Job.kind == audit_verification.JOB_KIND)).one()
    assert queued.status == "queued"  # nothing verified in the request
    assert db.exec(select(func.count()).select_from(AuditVerification)).one() == 0
    assert "A verification is queued: 0 % done" in _page(client)

    first = _work(worker_app, db)
    assert first.ok and first.from_seq == 0 and first.job_id == queued.id
    entry = db.exec(select(AuditEntry).where(AuditEntry.seq == first.to_seq)).one()
    assert (first.to_entry_id, first.to_hash) == (entry.id, entry.entry_hash)
    assert first.entries == first.to_seq  # the first run had no mark: it walked the whole chain
    assert db.get(Job, queued.id).status == "done"  # type: ignore[union-attr]
    page = _page(client)
    assert f"Verified up to entry {first.to_seq} (id {entry.id})" in page
    assert "only a full verification" in page

    _add_sites(db, 3, "B")
    _request(client, full=False)
    second = _work(worker_app, db)
    head = db.exec(select(func.max(AuditEntry.seq))).one()
    assert second.ok and second.from_seq == first.to_seq
    assert second.entries == second.to_seq - first.to_seq < head  # only the entries after the mark
    assert f"{second.entries} new entries checked after the verified mark at entry {first.to_seq}" in _page(client)
    # every run is kept, and audited
    assert [v.id for v in db.exec(select(AuditVerification))] == [first.id, second.id]
    assert db.exec(select(AuditEntry).where(AuditEntry.entity_type == "audit_verification")).all()


def test_stored_progress_is_shown_while_the_job_runs(worker_app: Flask, client: FlaskClient, db: Session,
                                                     users: dict) -> None:
    login(client, users["admin"])
    _request(client, full=True)
    db.rollback()
    job = jobs.claim(db, "w-test")
    assert job is not None and job.kind == audit_verification.JOB_KIND
    jobs.set_progress(db, job.id or 0, "w-test", 0.4, msg("entry %(seq)s of %(head)s", seq=40, head=100))
    assert "A verification is running: 40 % done (entry 40 of 100)." in _page(client)
    client.get("/language/ar")
    assert "التحقق قيد التشغيل: أُنجز 40 % (القيد 40 من 100)." in _page(client)


def test_tampering_above_the_mark_is_caught_by_the_incremental_run(
        worker_app: Flask, client: FlaskClient, db: Session, verified_mark, tamper) -> None:
    mark = verified_mark(3)
    _add_sites(db, 3, "B")
    target = _seq_of_site(db, "B01")
    assert target > mark.to_seq
    _rename_site(tamper, target, "B01")
    _request(client, full=False)
    found = _work(worker_app, db)
    assert not found.ok and found.from_seq == mark.to_seq
    assert found.break_seq == target and "content does not match its hash" in found.problem
    assert found.to_seq == target - 1 and found.mac is None  # a broken run is no mark
    page = _page(client)
    assert "The audit chain is broken:" in page and f"entry {target} (id" in page
    assert f"The last verified mark: entry {mark.to_seq}" in page


def test_rehashing_from_below_the_mark_is_caught_by_the_mark_hash_check(
        worker_app: Flask, client: FlaskClient, db: Session, verified_mark, tamper) -> None:
    mark = verified_mark(4)
    target = _seq_of_site(db, "A01")
    assert target < mark.to_seq
    _rename_site(tamper, target, "A01")
    _rehash_from(worker_app, target)  # every later hash recomputed, the mark's entry's too
    _request(client, full=False)
    found = _work(worker_app, db)
    assert not found.ok and found.entries == 0  # nothing after the mark was trusted
    assert found.break_seq == mark.to_seq
    assert f"differs from the hash recorded by verification #{mark.id}" in found.problem


def test_an_edit_below_the_mark_left_unhashed_is_seen_only_by_a_full_verification(
        worker_app: Flask, client: FlaskClient, db: Session, verified_mark, tamper) -> None:
    mark = verified_mark(4)
    target = _seq_of_site(db, "A01")
    _rename_site(tamper, target, "A01")
    # the incremental run does not read below the mark: this is what it cannot see
    _request(client, full=False)
    incremental = _work(worker_app, db)
    assert incremental.ok and incremental.from_seq == mark.to_seq
    # the full run (here as a job, and on the command line) names the entry
    _request(client, full=True)
    full = _work(worker_app, db)
    assert not full.ok and full.full and full.from_seq == 0
    assert full.break_seq == target and "content does not match its hash" in full.problem
    result = worker_app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"seq {target}" in result.output


def test_a_forged_mark_is_not_trusted(worker_app: Flask, client: FlaskClient, db: Session, verified_mark) -> None:
    mark = verified_mark(2)
    # a mark written without the audit key (by someone with the database) is not trusted
    with get_engine(worker_app).begin() as connection:
        connection.execute(AuditVerification.__table__.insert(), {  # type: ignore[attr-defined]
            "full": False, "from_seq": 0, "ok": True, "entries": 0, "to_seq": mark.to_seq + 2, "to_hash": "f" * 64,
            "mac": "0" * 64, "problem": "", "verified_at": utcnow()})
    _request(client, full=False)
    forged = _work(worker_app, db)
    assert not forged.ok and "is not signed with the audit key" in forged.problem


def test_a_deleted_mark_entry_is_reported(
        worker_app: Flask, client: FlaskClient, db: Session, verified_mark, tamper) -> None:
    mark = verified_mark(2)
    tamper("DELETE FROM audit_entry WHERE seq = :s", s=mark.to_seq)
    _request(client, full=False)
    found = _work(worker_app, db)
    assert not found.ok and found.break_seq == mark.to_seq and found.entries == 0
    assert "the log has no such entry now: entries were deleted" in found.problem


def test_verification_records_are_append_only(worker_app: Flask, client: FlaskClient, db: Session,
                                              users: dict) -> None:
    login(client, users["admin"])
    _request(client, full=True)
    _work(worker_app, db)
    with pytest.raises(Exception, match="append-only"), get_engine(worker_app).begin() as connection:
        connection.exec_driver_sql("UPDATE audit_verification SET to_seq = 999999")


def test_the_cli_full_verification_still_walks_everything(app: Flask, db: Session) -> None:
    _add_sites(db, 3, "A")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and f"OK: {audit.verify_chain(db).entries} audit entries" in result.output
