"""One open candidate per (remains sample, family) pair: repeated runs add nothing, newer numbers
update the candidate and keep the earlier ones, candidates that no longer hold are closed with the
reason, decided candidates are never rewritten, and a proposal does not survive changed evidence."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func
from sqlmodel import Session, select

from labtrack.core.errors import Conflict
from labtrack.models import (
    ConsentRecord,
    Donor,
    Family,
    Match,
    MatchEvidence,
    MatchRun,
    Profile,
    ProfileAllele,
    Sample,
)
from labtrack.services import consent, demo, match_runs, profile_import, review
from labtrack.services.match_parameters import MatchParameters
from tests.factories import PASSWORD, UserWithPassword, make_user

FEMUR = "QTF-00001-S01-S0"  # the demo's true son of FAM-0001


@pytest.fixture
def lab(db: Session) -> tuple[UserWithPassword, UserWithPassword]:
    demo.load_demo(db)
    return make_user(db, "analyst", "reviewer1"), make_user(db, "analyst", "reviewer2")


def _run(app: Flask, db: Session, by: UserWithPassword, **params: object) -> MatchRun:
    if params.get("theta"):  # theta changes the numbers; alone it is fast (with mutation: test_real_bone_matching)
        params = {"mutation_model": "none", **params}
    run = match_runs.start_run(session=db, by=by.user, params=MatchParameters(**params), app=app)  # type: ignore[arg-type]
    db.rollback()
    run = match_runs.get_run(db, run.id or 0)
    assert run.status == "done", run.error
    return run


def _open(db: Session) -> dict[tuple[str, str], Match]:
    rows = db.exec(select(Match, Sample.accession, Family.code)
                   .join(Sample, Sample.id == Match.sample_id)  # type: ignore[arg-type]
                   .join(Family, Family.id == Match.family_id)  # type: ignore[arg-type]
                   .where(Match.closed_at == None)).all()  # type: ignore[arg-type]  # noqa: E711
    pairs = [(accession, code) for _, accession, code in rows]
    assert len(pairs) == len(set(pairs)), "two open candidates for one pair"
    return {(accession, code): match for match, accession, code in rows}


def _retype(db: Session, by: UserWithPassword, accession: str, like: str) -> None:
    """Re-type ``accession`` with the alleles of sample ``like`` (a new profile version)."""
    rows = db.exec(select(ProfileAllele.locus, ProfileAllele.allele1, ProfileAllele.allele2)
                   .join(Profile, Profile.id == ProfileAllele.profile_id)  # type: ignore[arg-type]
                   .join(Sample, Sample.id == Profile.sample_id)  # type: ignore[arg-type]
                   .where(Sample.accession == like, Profile.superseded == False)).all()  # noqa: E712
    text = "sample_id,marker,allele1,allele2\n" + "".join(f"{accession},{m},{a},{b}\n" for m, a, b in rows)
    profile_import.import_profiles(session=db, raw=text.encode(), filename=f"retype-{accession}.csv", by=by.user)


def test_repeated_runs_keep_one_open_candidate_per_pair(app: Flask, db: Session, lab) -> None:  # noqa: ANN001
    first_analyst, _ = lab
    first = _run(app, db, first_analyst)
    found = _open(db)
    assert (FEMUR, "FAM-0001") in found and first.n_matches == len(found) >= 4
    second = _run(app, db, first_analyst)
    assert _open(db).keys() == found.keys()
    assert db.exec(select(func.count()).select_from(Match)).one() == len(found)
    outcome = match_runs.outcome(second)
    assert len(outcome["messages"]["skipped"]) == len(outcome["skipped"])  # each also as a message
    assert outcome | {"skipped": [], "messages": {}} == {
        "new": 0, "updated": 0, "unchanged": len(found), "after_review": 0, "reopened": 0, "closed": 0,
        "reported": len(found), "skipped": [], "prior": 0.25, "problems": [], "messages": {}}
    assert outcome["messages"]["problems"] == []
    assert second.n_matches == len(found)


def test_newer_numbers_update_the_candidate_and_keep_the_earlier_ones(app: Flask, db: Session,
                                                                      lab) -> None:  # noqa: ANN001
    analyst, _ = lab
    first = _run(app, db, analyst)
    before = _open(db)[(FEMUR, "FAM-0001")]
    first_numbers = (before.log10_lr, before.posterior)
    second = _run(app, db, analyst, theta=0.02)
    after = _open(db)[(FEMUR, "FAM-0001")]
    assert after.id == before.id and after.run_id == second.id and after.log10_lr != first_numbers[0]
    history = db.exec(select(MatchEvidence).where(MatchEvidence.match_id == after.id)
                      .order_by(MatchEvidence.id)).all()  # type: ignore[arg-type]
    assert [(e.run_id, e.change) for e in history] == [(first.id, "new"), (second.id, "updated")]
    assert (history[0].log10_lr, history[0].posterior) == first_numbers
    assert history[1].log10_lr == after.log10_lr and '"theta": 0.02' in history[1].params_json
    assert match_runs.outcome(second)["updated"] >= 1


def test_a_superseded_profile_closes_its_candidate_with_the_reason(app: Flask, db: Session,
                                                                   lab) -> None:  # noqa: ANN001
    analyst, _ = lab
    _run(app, db, analyst)
    femur = _open(db)[(FEMUR, "FAM-0001")]
    _retype(db, analyst, FEMUR, like="NJH-00002-S01-JA")  # now unrelated to every family
    run = _run(app, db, analyst)
    assert (FEMUR, "FAM-0001") not in _open(db)
    closed = db.get(Match, femur.id, populate_existing=True)
    assert closed is not None and closed.closed_by_run_id == run.id
    assert closed.closed_reason == (f"match run {run.id}: the remains profile (version 1) was superseded "
                                    "by a new typing")
    assert match_runs.outcome(run)["closed"] == 1
    page_reason = closed.closed_reason
    with pytest.raises(Conflict, match="was closed"):
        review.propose(session=db, match_id=femur.id or 0, by=analyst.user, decision="confirm",
                       reason="looks right", password=PASSWORD)
    assert page_reason  # shown on the run page and the match page (web test)


def test_withdrawn_consent_closes_the_family_candidate_with_the_reason(app: Flask, db: Session,
                                                                       lab) -> None:  # noqa: ANN001
    analyst, _ = lab
    _run(app, db, analyst)
    candidate = next(m for (accession, code), m in _open(db).items() if code == "FAM-0002")
    daughter = db.exec(select(Donor).where(Donor.code == "D-0003")).one()
    grant = db.exec(select(ConsentRecord).where(ConsentRecord.donor_id == daughter.id)).one()
    consent.withdraw(session=db, grant_id=grant.id or 0, by=analyst.user, note="asked to withdraw")
    run = _run(app, db, analyst)
    closed = db.get(Match, candidate.id, populate_existing=True)
    assert closed is not None and closed.closed_at is not None
    assert closed.closed_reason == (f"match run {run.id}: a donor of the family has no active consent "
                                    "(withdrawn): the family's evidence changed")


def test_a_proposal_does_not_survive_changed_evidence(app: Flask, db: Session, lab) -> None:  # noqa: ANN001
    first_analyst, second_analyst = lab
    _run(app, db, first_analyst)
    femur = _open(db)[(FEMUR, "FAM-0001")]
    review.propose(session=db, match_id=femur.id or 0, by=first_analyst.user, decision="reject",
                   reason="checking the refusal", password=PASSWORD)
    _run(app, db, first_analyst, theta=0.02)  # the numbers change under the pending proposal
    with pytest.raises(Conflict, match="changed after it was proposed"):
        review.approve(session=db, match_id=femur.id or 0, by=second_analyst.user, password=PASSWORD)
    review.send_back(session=db, match_id=femur.id or 0, by=second_analyst.user, reason="numbers changed")
    review.propose(session=db, match_id=femur.id or 0, by=first_analyst.user, decision="reject",
                   reason="on the new numbers", password=PASSWORD)
    approval = review.approve(session=db, match_id=femur.id or 0, by=second_analyst.user, password=PASSWORD)
    assert approval.review.step == "approve"


def test_a_rejected_candidate_is_reopened_only_when_its_evidence_changes(app: Flask, db: Session,
                                                                         lab) -> None:  # noqa: ANN001
    first_analyst, second_analyst = lab
    _run(app, db, first_analyst)
    femur = _open(db)[(FEMUR, "FAM-0001")]
    review.propose(session=db, match_id=femur.id or 0, by=first_analyst.user, decision="reject",
                   reason="test", password=PASSWORD)
    review.approve(session=db, match_id=femur.id or 0, by=second_analyst.user, password=PASSWORD)
    same = _run(app, db, first_analyst)
    assert _open(db)[(FEMUR, "FAM-0001")].id == femur.id and match_runs.outcome(same)["reopened"] == 0
    changed = _run(app, db, first_analyst, theta=0.02)
    reopened = _open(db)[(FEMUR, "FAM-0001")]
    assert reopened.id != femur.id and reopened.previous_id == femur.id and reopened.run_id == changed.id
    old = db.get(Match, femur.id, populate_existing=True)
    assert old is not None and old.closed_reason == (f"new evidence in match run {changed.id}: a new candidate "
                                                     "was opened for review")
    assert match_runs.outcome(changed)["reopened"] == 1


def test_a_confirmed_candidate_keeps_its_numbers(app: Flask, db: Session, lab) -> None:  # noqa: ANN001
    first_analyst, second_analyst = lab
    _run(app, db, first_analyst)
    femur = _open(db)[(FEMUR, "FAM-0001")]
    # the other sample of the same remains competes (same remains, same family: not a rival)
    review.propose(session=db, match_id=femur.id or 0, by=first_analyst.user, decision="confirm",
                   reason="all loci consistent", password=PASSWORD)
    approval = review.approve(session=db, match_id=femur.id or 0, by=second_analyst.user, password=PASSWORD)
    assert approval.identification is not None
    numbers = (femur.log10_lr, femur.posterior, femur.run_id)
    changed = _run(app, db, first_analyst, theta=0.02)
    kept = db.get(Match, femur.id, populate_existing=True)
    assert kept is not None and kept.closed_at is None and (kept.log10_lr, kept.posterior, kept.run_id) == numbers
    recorded = db.exec(select(MatchEvidence).where(MatchEvidence.match_id == femur.id,
                                                   MatchEvidence.run_id == changed.id)).one()
    assert recorded.change == "after_review" and recorded.log10_lr != numbers[0]


def test_the_migration_keeps_one_open_candidate_per_pair_of_older_runs(app: Flask, db: Session, lab) -> None:  # noqa: ANN001
    """Before 0006 every run added rows: the migration's backfill fills each row's sample, keeps
    the newest of a pair open, closes the others, and records each row's numbers as a computation."""
    import importlib
    from types import SimpleNamespace

    from sqlalchemy import text

    from labtrack.db import get_engine

    migration = importlib.import_module("labtrack.migrations.versions.0006_candidates")
    analyst, _ = lab
    _run(app, db, analyst)
    n_matches = db.exec(select(func.count()).select_from(Match)).one()
    n_evidence = db.exec(select(func.count()).select_from(MatchEvidence)).one()
    db.rollback()
    with get_engine(app).begin() as connection:  # the state a second run left before 0006
        connection.execute(text("DROP INDEX uq_match_open_pair"))
        connection.execute(text(
            "INSERT INTO match_run (started_by_id, status, progress, frequency_table_id, params_json, "
            "engine_version, n_remains, n_families, n_matches, error, scope_json, input_sha256, outcome_json, "
            "created_at) SELECT started_by_id, status, progress, frequency_table_id, params_json, engine_version, "
            "n_remains, n_families, n_matches, error, scope_json, input_sha256, outcome_json, created_at "
            "FROM match_run"))
        connection.execute(text(
            "INSERT INTO match (run_id, profile_id, family_id, log10_lr, posterior, prior, rank, loci_used, "
            "per_locus_json, near_miss, excluded_loci, closed_reason, created_at) SELECT (SELECT MAX(id) FROM "
            "match_run), profile_id, family_id, log10_lr, posterior, prior, rank, loci_used, per_locus_json, "
            "near_miss, excluded_loci, '', created_at FROM match"))
        connection.execute(text("UPDATE match SET sample_id = NULL, computed_at = NULL"))
        original_op = migration.op
        migration.op = SimpleNamespace(get_bind=lambda: connection)
        try:
            migration._backfill()
        finally:
            migration.op = original_op
    rows = db.exec(select(Match).order_by(Match.id)).all()  # type: ignore[arg-type]
    assert len(rows) == 2 * n_matches and all(m.sample_id is not None and m.computed_at for m in rows)
    older, newer = rows[:n_matches], rows[n_matches:]
    assert all(m.closed_at is None for m in newer)
    assert [m.closed_reason for m in older] == [
        f"one open candidate per pair: candidate {m.id} holds this pair" for m in newer]
    assert db.exec(select(func.count()).select_from(MatchEvidence)).one() == n_evidence + 2 * n_matches


def test_a_store_written_in_batches_keeps_every_candidate_its_evidence_and_audit(
        app: Flask, db: Session, lab, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """A full run at 100,000 × 100,000 stores its candidates a batch at a time (memory); batches
    of 2 must store what one flush stores: each candidate with one "new" evidence row of its own,
    each row audited, and numbers a second run (one flush) finds unchanged."""
    from labtrack.models import AuditEntry
    from labtrack.services import candidates

    analyst, _ = lab
    monkeypatch.setattr(candidates, "_STORE_BATCH", 2)
    run = _run(app, db, analyst)
    found = _open(db)
    assert (FEMUR, "FAM-0001") in found and len(found) == run.n_matches >= 5  # more than two batches
    evidence = db.exec(select(MatchEvidence)).all()
    assert sorted(e.match_id for e in evidence) == sorted(m.id for m in found.values())
    assert {e.change for e in evidence} == {"new"} and all(e.inputs_sha256 and e.inputs_json for e in evidence)
    for table, ids in (("match", {m.id for m in found.values()}), ("match_evidence", {e.id for e in evidence})):
        audited = db.exec(select(AuditEntry.entity_id).where(AuditEntry.entity_type == table,
                                                             AuditEntry.action == "create")).all()
        assert {int(i) for i in audited} == ids
    monkeypatch.setattr(candidates, "_STORE_BATCH", 2000)
    again = match_runs.outcome(_run(app, db, analyst))
    assert (again["unchanged"], again["new"], again["updated"]) == (len(found), 0, 0)


def test_a_store_that_fails_after_some_batches_leaves_nothing(app: Flask, db: Session, lab,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """Batches are flushed, not committed: a store that fails half-way stores no candidate."""
    from labtrack.services import candidates, snapshots

    analyst, _ = lab
    monkeypatch.setattr(candidates, "_STORE_BATCH", 2)
    built = snapshots.build
    calls = []

    def build_then_fail(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 4:  # after the first batch was flushed
            raise RuntimeError("disk gone")
        return built(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(snapshots, "build", build_then_fail)
    run = match_runs.start_run(session=db, by=analyst.user, params=MatchParameters(), app=app)  # type: ignore[arg-type]
    db.rollback()
    run = match_runs.get_run(db, run.id or 0)
    assert run.status == "failed" and "disk gone" in run.error and len(calls) == 4
    assert db.exec(select(func.count()).select_from(Match)).one() == 0
    assert db.exec(select(func.count()).select_from(MatchEvidence)).one() == 0
