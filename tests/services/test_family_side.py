"""The family side kept in the worker between runs of one new remains: a hit searches exactly what a
run built from scratch searches (same candidates, same stored input hash); every change of the
family side (reference profile, pedigree, consent, frequency table), whatever path wrote it, makes
the next run read it again."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import text
from sqlmodel import Session, select

from labtrack.kinship.candidates import find_candidates
from labtrack.models import (
    ConsentRecord,
    Donor,
    Family,
    FrequencyEntry,
    Match,
    MatchRun,
    PedigreeMember,
    Profile,
    ProfileAllele,
    Sample,
    User,
)
from labtrack.services import consent, demo, match_runs, pedigree_corrections, samples
from labtrack.services.family_side import FamilySideCache, current_version, remains_search
from labtrack.services.match_parameters import MatchParameters
from labtrack.services.search_input import build_search_input
from labtrack.services.worker import Worker, WorkerSettings
from tests.factories import UserWithPassword, make_remains, make_user
from tests.services.test_candidates import FEMUR, _retype

FATHER = "REF-00002-A-KP"  # D-0002, the typed father of FAM-0001 (FEMUR is his son)


@pytest.fixture
def lab(app: Flask, db: Session) -> Iterator[UserWithPassword]:
    app.config["CONTINUOUS_MATCHING"] = True
    app.config["JOBS_INLINE"] = False  # a worker works off the queue, as in production
    demo.load_demo(db)
    _work(app, db)
    match_runs.FAMILY_SIDE_CACHE.clear()
    match_runs.TABLE_CACHE.clear()
    yield make_user(db, "analyst", "familyside1")
    match_runs.FAMILY_SIDE_CACHE.clear()
    match_runs.TABLE_CACHE.clear()


def _work(app: Flask, db: Session) -> int:
    db.rollback()
    ran = Worker(app, WorkerSettings(poll_seconds=0.01)).run(once=True)
    db.rollback()
    return ran


def _new_remains_like(app: Flask, db: Session, analyst: UserWithPassword, like: str) -> tuple[str, MatchRun]:
    """A new remains sample typed with the alleles of ``like``; continuous matching queues its run,
    which a worker then runs. Returns (its accession, the run)."""
    technician = db.exec(select(User).where(User.role == "technician")).first()
    assert technician is not None
    remains = make_remains(db, technician)
    sample = samples.take_sample(session=db, remains_accession=remains.accession, sample_type="tooth",  # type: ignore[attr-defined]
                                 by=technician)
    _retype(db, analyst, sample.accession, like=like)
    assert _work(app, db) == 1
    run = db.exec(select(MatchRun).order_by(MatchRun.id.desc())).first()  # type: ignore[union-attr]
    assert run is not None and run.status == "done", run.error if run else None
    assert json.loads(run.scope_json) == {"remains": [sample.accession]}
    return sample.accession, run


def _stored(db: Session, accession: str) -> set[tuple[str, float, float, bool, str]]:
    """The open candidates of a remains sample: (family, log10 LR, posterior, near miss, per-locus)."""
    rows = db.exec(select(Family.code, Match.log10_lr, Match.posterior, Match.near_miss, Match.per_locus_json)
                   .join(Match, Match.family_id == Family.id)  # type: ignore[arg-type]
                   .join(Sample, Sample.id == Match.sample_id)  # type: ignore[arg-type]
                   .where(Sample.accession == accession, Match.closed_at == None)).all()  # noqa: E711
    return {(code, lr, posterior, near, json.dumps(json.loads(per_locus), sort_keys=True))
            for code, lr, posterior, near, per_locus in rows}


def _from_scratch(db: Session, run: MatchRun, accession: str) -> tuple[str, set[tuple[str, float, float, bool, str]]]:
    """(input SHA-256, candidates) of the same search with everything read afresh and no cache."""
    searched = build_search_input(session=db, frequency_table_id=run.frequency_table_id, remains=[accession])
    engine = searched.engine_input()
    found = find_candidates(engine.table, engine.pedigrees, engine.genotypes, engine.remains,
                            **MatchParameters.from_json(run.params_json).engine_kwargs(),
                            remains_dropout=engine.remains_dropout)
    return searched.sha256(), {(c.family_id, c.log10_lr, c.posterior, c.near_miss,
                                json.dumps(c.per_locus, sort_keys=True)) for c in found}


def test_a_kept_family_side_searches_exactly_what_a_fresh_read_does(app: Flask, db: Session,
                                                                    lab: UserWithPassword) -> None:
    cache, tables = match_runs.FAMILY_SIDE_CACHE, match_runs.TABLE_CACHE
    start = (cache.builds, cache.hits, tables.builds, tables.hits)
    first, first_run = _new_remains_like(app, db, lab, FEMUR)
    assert (cache.builds, cache.hits, tables.builds, tables.hits) == (start[0] + 1, start[1], start[2] + 1, start[3])
    version = current_version(db)
    second, second_run = _new_remains_like(app, db, lab, FEMUR)
    assert current_version(db) == version  # a new remains sample and its profile leave the family side alone
    # nothing of the families read again, no table rebuilt
    assert (cache.builds, cache.hits, tables.builds, tables.hits) == (start[0] + 1, start[1] + 1, start[2] + 1,
                                                                      start[3] + 1)
    for accession, run in ((first, first_run), (second, second_run)):
        sha, found = _from_scratch(db, run, accession)
        assert run.input_sha256 == sha
        assert _stored(db, accession) == found
        assert any(code == "FAM-0001" and lr > 10 for code, lr, *_ in found)
    assert _stored(db, first) == {(c, *rest) for c, *rest in _stored(db, second)}  # the same alleles


def test_the_composed_input_is_the_fresh_input(db: Session) -> None:
    demo.load_demo(db)
    chosen = [FEMUR, "NJH-00001-S01-BJ", "NJH-00001-S02-MU", "QTF-00004-S01-LU"]  # some not searchable
    table_id = build_search_input(session=db).frequency_table_id
    cache = FamilySideCache()
    for _ in range(2):  # built, then kept
        composed = remains_search(db, cache, table_id, chosen)
        fresh = build_search_input(session=db, frequency_table_id=table_id, remains=chosen)
        engine = fresh.engine_input()
        assert composed is not None and composed.sha256 == fresh.sha256()
        assert composed.engine.genotypes == engine.genotypes
        assert composed.engine.remains == engine.remains and FEMUR in engine.remains and len(engine.remains) >= 2
        assert [p.family_id for p in composed.engine.pedigrees] == [p.family_id for p in engine.pedigrees]
        assert [p.sample_of() for p in composed.engine.pedigrees] == [p.sample_of() for p in engine.pedigrees]
    assert (cache.builds, cache.hits) == (1, 1)
    # a reference sample in the list: the run reads everything instead
    assert remains_search(db, cache, table_id, [FEMUR, FATHER]) is None


def _new_reference_profile(db: Session, analyst: UserWithPassword) -> None:
    _retype(db, analyst, FATHER, like="REF-00004-A-54")  # the father re-typed: another man's alleles


def _pedigree_edit(db: Session, analyst: UserWithPassword) -> None:
    father = pedigree_corrections.find_member(db, "FAM-0001", "F")
    admin = db.exec(select(User).where(User.role == "admin")).first()
    assert admin is not None
    pedigree_corrections.correct_member(session=db, member_id=father.id or 0, by=admin, reason="wrong donor linked",
                                        donor_code="")


def _consent_withdrawn(db: Session, analyst: UserWithPassword) -> None:
    coordinator = db.exec(select(User).where(User.role == "coordinator")).first()
    donor = db.exec(select(Donor).where(Donor.code == "D-0002")).one()
    grant = db.exec(select(ConsentRecord).where(ConsentRecord.donor_id == donor.id)).one()
    assert coordinator is not None
    consent.withdraw(session=db, grant_id=grant.id or 0, by=coordinator, note="withdrawn")


def _frequency_changed(db: Session, analyst: UserWithPassword) -> None:
    # any path that writes counts, here plain SQL: at D3S1358 the son's first allele and the
    # commonest other allele swap their frequencies
    (allele,) = db.exec(select(ProfileAllele.allele1).join(Profile, Profile.id == ProfileAllele.profile_id)  # type: ignore[arg-type]
                        .join(Sample, Sample.id == Profile.sample_id)  # type: ignore[arg-type]
                        .where(Sample.accession == FEMUR, ProfileAllele.locus == "D3S1358")).all()
    entries = {a: (entry_id, f) for entry_id, a, f in db.exec(
        select(FrequencyEntry.id, FrequencyEntry.allele, FrequencyEntry.frequency)
        .where(FrequencyEntry.marker == "D3S1358")).all()}
    other = max((a for a in entries if a != allele), key=lambda a: entries[a][1])
    assert entries[other][1] != entries[allele][1]
    for mine, theirs in ((allele, other), (other, allele)):
        db.exec(text("UPDATE frequency_entry SET frequency = :f WHERE id = :id").bindparams(  # type: ignore[call-overload]
            f=entries[theirs][1], id=entries[mine][0]))
    db.commit()


@pytest.mark.parametrize("change", [_new_reference_profile, _pedigree_edit, _consent_withdrawn, _frequency_changed],
                         ids=["reference profile", "pedigree edit", "consent withdrawn", "frequency table"])
def test_a_change_of_the_family_side_is_never_served_from_the_cache(
        app: Flask, db: Session, lab: UserWithPassword, change: Callable[[Session, UserWithPassword], None]) -> None:
    cache = match_runs.FAMILY_SIDE_CACHE
    first, first_run = _new_remains_like(app, db, lab, FEMUR)
    before = {code: lr for code, lr, *_ in _from_scratch(db, first_run, first)[1]}
    version = current_version(db)
    change(db, lab)
    _work(app, db)  # what the change itself queued (a run of the family)
    assert current_version(db) != version
    builds = cache.builds
    accession, run = _new_remains_like(app, db, lab, FEMUR)
    assert cache.builds == builds + 1  # read again
    sha, found = _from_scratch(db, run, accession)
    assert run.input_sha256 == sha and _stored(db, accession) == found
    after = {code: lr for code, lr, *_ in found}
    assert after.get("FAM-0001") != before["FAM-0001"]  # the change reached the search
    if change in (_pedigree_edit, _consent_withdrawn):  # the father is not searched any more
        assert not any(FATHER in p.sample_of().values() for p in build_search_input(
            session=db, remains=[accession]).engine_input().pedigrees)


def test_the_version_moves_with_any_writer_and_is_not_trusted_without_its_triggers(db: Session) -> None:
    demo.load_demo(db)
    version = current_version(db)
    assert version is not None and version > 0
    db.exec(text("UPDATE profile SET searchable = searchable WHERE origin = 'remains'"))  # type: ignore[call-overload]
    db.exec(text("UPDATE sample SET state = state WHERE donor_id IS NULL"))  # type: ignore[call-overload]
    db.commit()
    assert current_version(db) == version  # remains rows do not count
    db.exec(text("UPDATE profile SET searchable = searchable WHERE origin = 'reference'"))  # type: ignore[call-overload]
    db.commit()
    moved = current_version(db)
    assert moved is not None and moved > version  # (SQLite counts rows, PostgreSQL statements)
    member = db.exec(select(PedigreeMember)).first()
    assert member is not None
    db.exec(text(f"UPDATE pedigree_member SET relation_label = 'x' WHERE id = {member.id}"))  # type: ignore[call-overload]
    db.rollback()  # rolled back with the change
    assert current_version(db) == moved
    dialect = db.get_bind().dialect.name
    db.exec(text("DROP TRIGGER family_side_consent_record_insert" if dialect == "sqlite"  # type: ignore[call-overload]
                 else "DROP TRIGGER family_side_consent_record ON consent_record"))
    db.commit()
    assert current_version(db) is None
    cache, table_id = FamilySideCache(), build_search_input(session=db).frequency_table_id
    remains_search(db, cache, table_id, [FEMUR])
    remains_search(db, cache, table_id, [FEMUR])
    assert (cache.builds, cache.hits) == (2, 0)  # read every time
