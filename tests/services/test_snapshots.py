"""Reviews that hold: each computation keeps a snapshot of its exact inputs; proposing and
approving refuse when an input changed afterwards (profile re-typed, consent withdrawn, pedigree
edited) and check consent at signing; a candidate is reproduced bit for bit from its snapshot."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlmodel import Session, select

from labtrack.core.errors import Conflict
from labtrack.documents.wording import catalogue
from labtrack.models import ConsentRecord, Donor, Family, Identification, MatchEvidence, PedigreeMember
from labtrack.services import consent, families, review, snapshots
from tests.factories import PASSWORD, UserWithPassword, make_user
from tests.services.test_candidates import FEMUR, _open, _retype, _run


@pytest.fixture
def lab(db: Session) -> tuple[UserWithPassword, UserWithPassword]:
    from labtrack.services import demo

    demo.load_demo(db)
    return make_user(db, "analyst", "reviewer1"), make_user(db, "analyst", "reviewer2")


def _femur(app: Flask, db: Session, analyst) -> int:  # noqa: ANN001
    _run(app, db, analyst)
    return _open(db)[(FEMUR, "FAM-0001")].id or 0


def test_each_computation_keeps_the_snapshot_of_its_inputs(app: Flask, db: Session, lab) -> None:  # noqa: ANN001
    analyst, _ = lab
    match_id = _femur(app, db, analyst)
    evidence = db.exec(select(MatchEvidence).where(MatchEvidence.match_id == match_id)).one()
    snapshot = json.loads(evidence.inputs_json)
    assert snapshots.digest(snapshot) == evidence.inputs_sha256
    assert snapshot["remains"]["sample"] == FEMUR and snapshot["remains"]["profile"]["version"] == 1
    assert snapshot["remains"]["profile"]["alleles"]["D3S1358"] == ["16", "17"]
    members = {m["person"]: m for m in snapshot["family"]["members"]}
    typed = [m for m in members.values() if m["profile"]]
    assert snapshot["family"]["code"] == "FAM-0001" and len(typed) == 2 and all(m["consent"] for m in typed)
    assert [m["missing"] for m in members.values()].count(True) == 1
    assert snapshot["frequency_table"]["name"] and len(snapshot["frequency_table"]["entries_sha256"]) == 64
    assert snapshot["parameters"]["top_k"] == 5 and snapshot["engine"].startswith("labtrack-kinship")


def test_proposing_is_refused_after_the_remains_profile_is_retyped(app: Flask, db: Session, lab) -> None:  # noqa: ANN001
    analyst, _ = lab
    match_id = _femur(app, db, analyst)
    _retype(db, analyst, FEMUR, like="NJH-00002-S01-JA")
    with pytest.raises(Conflict, match=r"changed after it was computed \(the remains profile\)") as refused:
        review.propose(session=db, match_id=match_id, by=analyst.user, decision="confirm", reason="ok",
                       password=PASSWORD)
    # an Arabic reader sees which input changed in Arabic, not the English label
    arabic = refused.value.message.render(catalogue("ar"))
    assert "(الملف الوراثي للرفات)" in arabic and "the remains profile" not in arabic


def test_approving_is_refused_after_consent_is_withdrawn(app: Flask, db: Session, lab) -> None:  # noqa: ANN001
    first, second = lab
    match_id = _femur(app, db, first)
    review.propose(session=db, match_id=match_id, by=first.user, decision="confirm", reason="consistent",
                   password=PASSWORD)
    father = db.exec(select(Donor).where(Donor.code == "D-0002")).one()
    grant = db.exec(select(ConsentRecord).where(ConsentRecord.donor_id == father.id)).one()
    consent.withdraw(session=db, grant_id=grant.id or 0, by=first.user, note="the father withdrew")
    with pytest.raises(Conflict, match="consent is not active for donor\\(s\\) D-0002 of family FAM-0001"):
        review.approve(session=db, match_id=match_id, by=second.user, password=PASSWORD)
    assert db.exec(select(Identification)).all() == []


def test_approving_is_refused_after_a_pedigree_edit(app: Flask, db: Session, lab) -> None:  # noqa: ANN001
    first, second = lab
    match_id = _femur(app, db, first)
    review.propose(session=db, match_id=match_id, by=first.user, decision="confirm", reason="consistent",
                   password=PASSWORD)
    family = db.exec(select(Family).where(Family.code == "FAM-0001")).one()
    families.add_member(session=db, family_id=family.id or 0, by=first.user, person_code="UNCLE", sex="M")
    with pytest.raises(Conflict, match=r"changed after it was computed \(the pedigree, its reference profiles"):
        review.approve(session=db, match_id=match_id, by=second.user, password=PASSWORD)
    # a new computation takes the edit in; the proposal must then be made again on it
    _run(app, db, first)
    with pytest.raises(Conflict, match="changed after it was proposed"):
        review.approve(session=db, match_id=match_id, by=second.user, password=PASSWORD)


def test_a_candidate_is_reproduced_bit_for_bit_from_its_snapshot(app: Flask, db: Session, lab,  # noqa: ANN001
                                                                 runner: FlaskCliRunner) -> None:
    analyst, _ = lab
    match_id = _femur(app, db, analyst)
    again = snapshots.reproduce(db, match_id)
    assert again.identical and again.recomputed_log10_lr == again.stored_log10_lr > 10
    result = runner.invoke(args=["kinship", "reproduce", str(match_id)])
    assert result.exit_code == 0 and f"match {match_id} reproduced bit for bit" in result.output
    # the snapshot outlives the data: re-typing the remains does not change what is reproduced
    _retype(db, analyst, FEMUR, like="NJH-00002-S01-JA")
    assert snapshots.reproduce(db, match_id).identical
    missing = runner.invoke(args=["kinship", "reproduce", "9999"])
    assert missing.exit_code != 0 and "has no snapshot of its inputs" in missing.output


def test_an_input_changed_while_the_run_computed_is_not_stored_as_its_snapshot(app: Flask, db: Session,  # noqa: ANN001
                                                                               lab) -> None:
    """A run reads its input, the femur is re-typed meanwhile: its numbers (from the old typing) are
    not stored under a snapshot of the new typing; the change has queued its own computation."""
    from labtrack.kinship.candidates import find_candidates
    from labtrack.models import Match, MatchRun
    from labtrack.services import candidates
    from labtrack.services.match_parameters import MatchParameters
    from labtrack.services.search_input import build_search_input
    from labtrack.services.transaction import write

    analyst, _ = lab
    match_id = _femur(app, db, analyst)
    before = build_search_input(session=db).engine_input()  # what a run read before the re-typing
    _retype(db, analyst, FEMUR, like="NJH-00002-S01-JA")
    found = find_candidates(before.table, before.pedigrees, before.genotypes, before.remains,
                            **MatchParameters.from_json(db.exec(select(MatchRun)).one().params_json).engine_kwargs())
    run = db.exec(select(MatchRun)).one()
    with write(db, actor=analyst.user, reason="test: a late store"):
        outcome = candidates.store(db, run, found, candidates.Scope(full=True),
                                   searched=(before.genotypes, {p.family_id: p for p in before.pedigrees}))
    assert f"{FEMUR} / FAM-0001: an input changed while the run computed; the change queued a new computation" \
        in outcome.skipped
    from labtrack.web.messages import text

    [skipped] = [s for s in outcome.skipped if FEMUR in s]
    with app.test_request_context(headers={"Accept-Language": "ar"}):  # a message: Arabic on the run page
        assert text(skipped) == f"{FEMUR} / FAM-0001: تغيّر أحد المدخلات أثناء حساب التشغيل؛ وأُدرج حساب جديد " \
            "في قائمة الانتظار بسبب التغيير"
    femur = db.get(Match, match_id, populate_existing=True)
    assert femur is not None and femur.closed_at is None  # neither closed nor updated: the next run decides
    assert len(db.exec(select(MatchEvidence).where(MatchEvidence.match_id == match_id)).all()) == 1


def test_a_per_marker_rate_table_is_kept_by_its_numbers(app: Flask, db: Session, lab,  # noqa: ANN001
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A run names a shipped rate table; the snapshot keeps the table's numbers, so a later edit of
    the file is a changed input for the review, and the candidate is still reproduced with the
    numbers it was computed with."""
    from labtrack.imports.mutation_rates import MutationRates
    from labtrack.services import mutation_rate_tables

    first, _ = lab
    _run(app, db, first, mutation_model="stepwise", mutation_rate_table="aabb2003_strbase")
    match_id = _open(db)[(FEMUR, "FAM-0001")].id or 0
    evidence = db.exec(select(MatchEvidence).where(MatchEvidence.match_id == match_id)).one()
    kept = json.loads(evidence.inputs_json)["mutation_rates"]
    shipped = mutation_rate_tables.load_table("aabb2003_strbase")
    assert kept["name"] == "aabb2003_strbase" and kept["male"]["FGA"] == shipped.male["FGA"] > 0
    assert kept["female"] == dict(sorted(shipped.female.items()))
    assert snapshots.reproduce(db, match_id).identical

    # the shipped file changes (a new release with other numbers): review refuses, reproduction holds
    edited = MutationRates(female={m: r * 10 for m, r in shipped.female.items()},
                           male={m: r * 10 for m, r in shipped.male.items()})
    from labtrack.services import match_parameters

    monkeypatch.setattr(mutation_rate_tables, "load_table", lambda name: edited)
    monkeypatch.setattr(match_parameters, "load_table", lambda name: edited)
    assert match_parameters.MatchParameters(mutation_model="stepwise", mutation_rate_table="aabb2003_strbase") \
        .mutation().male_rate["FGA"] == edited.male["FGA"]  # type: ignore[union-attr, index]
    with pytest.raises(Conflict, match=r"changed after it was computed \(the per-marker mutation-rate table\)"):
        review.propose(session=db, match_id=match_id, by=first.user, decision="confirm", reason="ok",
                       password=PASSWORD)
    assert snapshots.reproduce(db, match_id).identical


def test_a_run_without_a_rate_table_keeps_no_rates(app: Flask, db: Session, lab) -> None:  # noqa: ANN001
    analyst, _ = lab
    match_id = _femur(app, db, analyst)
    evidence = db.exec(select(MatchEvidence).where(MatchEvidence.match_id == match_id)).one()
    assert "mutation_rates" not in json.loads(evidence.inputs_json)


def test_snapshot_parts_read_in_chunks_are_those_read_at_once(db: Session, lab,  # noqa: ANN001
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A full run at 100,000 families asks for more ids than one statement takes (PostgreSQL's
    driver: 65,535 parameters): the parts are read in chunks, and each family keeps its own members."""
    from labtrack.models import Sample

    family_ids = sorted(db.exec(select(Family.id)).all())
    sample_ids = sorted(db.exec(select(Sample.id).where(Sample.remains_id != None)).all())  # noqa: E711
    assert len(family_ids) >= 3 and len(sample_ids) >= 3
    at_once = snapshots.Parts(db)
    whole = (at_once.families(family_ids), at_once.remains(sample_ids))
    monkeypatch.setattr(snapshots, "_CHUNK", 2)
    in_chunks = snapshots.Parts(db)
    assert (in_chunks.families(family_ids), in_chunks.remains(sample_ids)) == whole
    codes = dict(db.exec(select(Family.id, Family.code)).all())
    for family_id, part in whole[0].items():
        assert part["code"] == codes[family_id] and part["members"]
        donors = {m["donor"] for m in part["members"] if m["donor"]}
        owned = set(db.exec(select(Donor.code).join(PedigreeMember, PedigreeMember.donor_id == Donor.id)
                            .where(PedigreeMember.family_id == family_id)).all())
        assert donors == owned
    assert sum(1 for part in whole[1].values() if part["profile"]) >= 3
