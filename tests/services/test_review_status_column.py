"""``match.review_status`` (kept on the match for the review queue's index) never disagrees with the
status the append-only review steps give: every review transition, a retraction, candidates
closed and reopened by matching, the migration's backfill, the database's guard and the deep
audit check."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from labtrack.core import review_rules
from labtrack.db import get_engine
from labtrack.models import Family, Match, MatchReview, MatchRun, Sample
from labtrack.models.review_status import backfill_sql, drop_review_status_guard, install_review_status_guard
from labtrack.services import audit_deep, audit_seal, demo, identification, match_runs, review, review_queue
from labtrack.services.match_parameters import MatchParameters
from tests.factories import PASSWORD, UserWithPassword, make_user
from tests.services.test_candidates import FEMUR, _retype


@pytest.fixture
def lab(db: Session) -> tuple[UserWithPassword, UserWithPassword]:
    demo.load_demo(db)
    return make_user(db, "analyst", "reviewer1"), make_user(db, "analyst", "reviewer2")


def _run(app: Flask, db: Session, by: UserWithPassword, **params: object) -> MatchRun:
    if params.get("theta"):
        params = {"mutation_model": "none", **params}
    run = match_runs.start_run(session=db, by=by.user, params=MatchParameters(**params), app=app)  # type: ignore[arg-type]
    db.rollback()
    run = match_runs.get_run(db, run.id or 0)
    assert run.status == "done", run.error
    return run


def _stored_and_derived(db: Session) -> dict[int, tuple[str, str]]:
    """match id -> (its review_status column as stored, the status its review steps give)."""
    db.rollback()  # a fresh read: what other connections wrote is seen
    db.expire_all()
    steps: dict[int, list[str]] = {}
    for match_id, step in db.exec(select(MatchReview.match_id, MatchReview.step).order_by(MatchReview.id)):
        steps.setdefault(match_id, []).append(step)
    return {m.id: (m.review_status, review_rules.review_status(steps.get(m.id or 0, [])))
            for m in db.exec(select(Match))}


def _agrees(db: Session) -> dict[int, str]:
    pairs = _stored_and_derived(db)
    assert all(stored == derived for stored, derived in pairs.values()), pairs
    assert list(audit_deep.review_status_disagreements(db)) == []
    return {match_id: stored for match_id, (stored, _derived) in pairs.items()}


def _candidate(db: Session, accession: str, family: str) -> Match:
    return db.exec(select(Match).join(Sample, Sample.id == Match.sample_id)  # type: ignore[arg-type]
                   .join(Family, Family.id == Match.family_id)  # type: ignore[arg-type]
                   .where(Sample.accession == accession, Family.code == family,
                          Match.closed_at == None)).one()  # type: ignore[arg-type]  # noqa: E711


def test_every_review_transition_keeps_the_column_equal_to_the_history(app: Flask, db: Session, lab) -> None:  # noqa: ANN001
    first, second = lab
    _run(app, db, first)
    assert set(_agrees(db).values()) == {"open"}
    femur = _candidate(db, FEMUR, "FAM-0001")
    other = next(m for m in db.exec(select(Match).join(Family, Family.id == Match.family_id)  # type: ignore[arg-type]
                                    .where(Family.code == "FAM-0002")))

    def step(action: str, match: Match, who: UserWithPassword, **kw: object) -> str:
        if action == "propose":
            review.propose(session=db, match_id=match.id or 0, by=who.user, password=PASSWORD,
                           reason="read the loci", **kw)  # type: ignore[arg-type]
        elif action == "approve":
            review.approve(session=db, match_id=match.id or 0, by=who.user, password=PASSWORD)
        else:
            review.send_back(session=db, match_id=match.id or 0, by=who.user, reason="look again")
        return _agrees(db)[match.id or 0]

    assert step("propose", other, first, decision="reject") == "proposed_reject"
    assert step("send_back", other, second) == "open"
    assert step("propose", other, first, decision="reject") == "proposed_reject"
    assert step("approve", other, second) == "rejected"
    assert step("propose", femur, first, decision="confirm") == "proposed_confirm"
    assert step("send_back", femur, second) == "open"
    assert step("propose", femur, first, decision="confirm") == "proposed_confirm"
    assert step("approve", femur, second) == "confirmed"
    # a refused step changes nothing
    with pytest.raises(Exception, match="cannot be proposed again"):
        review.propose(session=db, match_id=femur.id or 0, by=first.user, decision="reject", reason="x",
                       password=PASSWORD)
    assert _agrees(db)[femur.id or 0] == "confirmed"

    # retracting the identification leaves the review history (and so the status) as it was
    ident = identification.active_for_remains(db, femur.sample_id and db.get(Sample, femur.sample_id).remains_id)
    assert ident is not None
    identification.propose_retraction(session=db, identification_id=ident.id or 0, by=first.user,
                                      reason="mix-up", password=PASSWORD)
    identification.retract(session=db, identification_id=ident.id or 0, by=second.user, reason="mix-up",
                           password=PASSWORD)
    assert _agrees(db)[femur.id or 0] == "confirmed"

    # matching again with changed numbers reopens the rejected candidate as a new, open one
    _run(app, db, first, theta=0.02)
    statuses = _agrees(db)
    reopened = db.exec(select(Match).where(Match.previous_id == other.id)).one()
    assert statuses[reopened.id or 0] == "open" and statuses[other.id or 0] == "rejected"

    # a proposed candidate closed by matching (the remains re-typed) keeps its history's status
    proposed = reopened
    assert step("propose", proposed, first, decision="reject") == "proposed_reject"
    accession = db.get(Sample, proposed.sample_id).accession
    _retype(db, first, accession, like="NJH-00002-S01-JA")
    _run(app, db, first)
    closed = db.get(Match, proposed.id, populate_existing=True)
    assert closed is not None and closed.closed_at is not None
    assert _agrees(db)[closed.id or 0] == "proposed_reject"

    # the queue and its counts read the column
    counts = review_queue.status_counts(db)
    open_rows = review.queue(db)
    assert sum(counts.values()) == len(open_rows)
    assert all(row.status == _agrees(db)[row.match_id] for row in open_rows)


def test_the_database_refuses_a_status_its_steps_do_not_give(app: Flask, db: Session, lab) -> None:  # noqa: ANN001
    first, _second = lab
    _run(app, db, first)
    femur = _candidate(db, FEMUR, "FAM-0001")
    engine = get_engine(app)
    with pytest.raises(DBAPIError, match="review steps"), engine.begin() as connection:
        connection.execute(text("UPDATE match SET review_status = 'confirmed' WHERE id = :id"), {"id": femur.id})
    with pytest.raises(DBAPIError, match="review steps"), engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO match (run_id, profile_id, family_id, sample_id, log10_lr, posterior, prior, rank, "
            "loci_used, per_locus_json, near_miss, excluded_loci, created_at, closed_reason, review_status) "
            "SELECT run_id, profile_id, family_id, NULL, log10_lr, posterior, prior, rank, loci_used, "
            "per_locus_json, near_miss, excluded_loci, created_at, closed_reason, 'rejected' FROM match "
            "WHERE id = :id"), {"id": femur.id})
    # a step appended by another path than the review service still moves the column
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO match_review (match_id, step, reason, by_user_id, at) "
                                "VALUES (:id, 'propose_reject', 'by hand', :user, CURRENT_TIMESTAMP)"),
                           {"id": femur.id, "user": first.id})
    assert _agrees(db)[femur.id or 0] == "proposed_reject"


def test_the_backfill_and_the_deep_audit_check(app: Flask, db: Session, lab) -> None:  # noqa: ANN001
    first, second = lab
    _run(app, db, first)
    femur = _candidate(db, FEMUR, "FAM-0001")
    review.propose(session=db, match_id=femur.id or 0, by=first.user, decision="reject", reason="r",
                   password=PASSWORD)
    review.approve(session=db, match_id=femur.id or 0, by=second.user, password=PASSWORD)
    before = _agrees(db)
    engine = get_engine(app)
    seal = audit_seal.seal_of(engine)
    assert audit_deep.deep_verify(db, seal=seal).ok
    db.rollback()  # the session's read ends (PostgreSQL: it holds locks that DDL would wait for)
    with engine.begin() as connection:  # a column out of step, as before the migration (guard off)
        drop_review_status_guard(connection)
        connection.execute(text("UPDATE match SET review_status = 'open'"))
    db.rollback()
    found = list(audit_deep.review_status_disagreements(db))
    assert found == [(femur.id, "open", "rejected")]
    assert [str(d) for d in audit_deep.deep_verify(db, seal=seal).discrepancies] == [
        f"match {femur.id}: review_status is 'open' but its review steps give 'rejected'"]
    db.rollback()
    with engine.begin() as connection:  # the migration's backfill, then its guard
        connection.execute(text(backfill_sql()))
        install_review_status_guard(connection)
    assert _agrees(db) == before
