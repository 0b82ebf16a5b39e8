"""The dashboard's SQL read model gives what its definitions say: every figure compared with the
same figure worked out row by row in Python from the whole tables, on a lab with several sites,
re-typed samples (superseded profiles), candidates, identifications (one retracted), a
re-associated part and remains returned to their families."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest
from sqlmodel import Session, select

from labtrack.core import ids
from labtrack.models import (
    CustodyEvent,
    CustodyItem,
    Identification,
    Match,
    Profile,
    ProfileAllele,
    Remains,
    Sample,
    Site,
)
from labtrack.services import dashboard, handover, identification, review
from labtrack.services.transaction import write
from tests import factories
from tests.factories import PASSWORD
from tests.review_factories import SETUP, make_family, make_match, make_remains, make_run, make_site
from tests.services.test_direct_matches import _add_profile


def _identify(db: Session, match_id: int, first, second) -> Identification:
    review.propose(session=db, match_id=match_id, by=first.user, decision="confirm", reason="ok", password=PASSWORD)
    approval = review.approve(session=db, match_id=match_id, by=second.user, password=PASSWORD)
    assert approval.identification is not None
    return approval.identification


def _by_definition(db: Session) -> dict[str, dict[str, int]]:
    """Site code -> every funnel stage, the MNI and the unique profiles, from the rows themselves."""
    remains = db.exec(select(Remains)).all()
    samples = db.exec(select(Sample).where(Sample.remains_id != None)).all()  # noqa: E711
    profiles = db.exec(select(Profile)).all()
    alleles: dict[int, list[ProfileAllele]] = defaultdict(list)
    for allele in db.exec(select(ProfileAllele)).all():
        alleles[allele.profile_id].append(allele)
    matches = db.exec(select(Match)).all()
    idents = db.exec(select(Identification)).all()
    items = {i.id: i for i in db.exec(select(CustodyItem)).all()}
    events = db.exec(select(CustodyEvent)).all()

    samples_of: dict[int, list[Sample]] = defaultdict(list)
    for sample in samples:
        samples_of[sample.remains_id or 0].append(sample)
    current = {p.sample_id: p for p in profiles if not p.superseded and p.sample_id is not None}
    matched_samples = {m.sample_id for m in matches}
    retracted = {i.retracts_id for i in idents if i.retraction}
    identified = {i.remains_id for i in idents if not i.retraction and i.id not in retracted}
    released = {items[e.item_id].remains_id for e in events if e.action == "release"}

    def genotype(profile: Profile) -> tuple[tuple[str, str, str], ...]:
        return tuple(sorted((a.locus, *sorted((a.allele1, a.allele2))) for a in alleles[profile.id or 0]))

    figures: dict[str, dict[str, int]] = {}
    for site in db.exec(select(Site)).all():
        here = [r for r in remains if r.site_id == site.id]
        own = [s for r in here for s in samples_of[r.id or 0]]
        figures[site.code] = {
            "recovered": len(here),
            "sampled": sum(1 for r in here if samples_of[r.id or 0]),
            "profiled": sum(1 for r in here if any(s.id in current for s in samples_of[r.id or 0])),
            "matched": sum(1 for r in here if any(s.id in matched_samples for s in samples_of[r.id or 0])),
            "identified": sum(1 for r in here if r.id in identified),
            "returned": sum(1 for r in here if r.id in released),
            "mni": len({r.individual_id for r in here if r.individual_id is not None})
            + sum(1 for r in here if r.individual_id is None),
            "unique_profiles": len({genotype(current[s.id]) for s in own if s.id in current}),
        }
    return figures


@pytest.fixture
def lab(db: Session) -> dict[str, int]:
    """Three sites (one empty) and every case a stage can meet; returns the numbers built."""
    first, second = factories.make_user(db, "analyst", "ana1"), factories.make_user(db, "analyst", "ana2")
    coordinator = factories.make_user(db, "coordinator")
    qtf, njh = make_site(db, "QTF"), make_site(db, "NJH")
    make_site(db, "ZZZ")
    run = make_run(db, first.user)

    # QTF: identified and released; identified then retracted; identified, with a later part
    # re-associated to the same individual; a candidate only; profiled only
    released = make_remains(db, qtf)
    _identify(db, make_match(db, run=run, remains=released, family=make_family(db)).id, first, second)
    handover.release_to_family(session=db, remains_id=released.id, to_party="Mariam, mother", by=coordinator.user)
    wrong = make_remains(db, qtf)
    ident = _identify(db, make_match(db, run=run, remains=wrong, family=make_family(db)).id, first, second)
    identification.propose_retraction(session=db, identification_id=ident.id, by=first.user, reason="mix-up",
                                      password=PASSWORD)
    identification.retract(session=db, identification_id=ident.id, by=second.user, reason="mix-up",
                           password=PASSWORD)
    body, family = make_remains(db, qtf), make_family(db)
    _identify(db, make_match(db, run=run, remains=body, family=family).id, first, second)
    part = make_remains(db, qtf, remains_type="isolated_part", est_sex="U", est_stature_cm=None)
    _identify(db, make_match(db, run=run, remains=part, family=family).id, first, second)
    make_match(db, run=run, remains=make_remains(db, qtf), family=make_family(db))
    typed = make_remains(db, qtf)
    _add_profile(db, typed.id, {"TH01": ("9.3", "6"), "FGA": ("22", "21")}, 2)  # a second sample, its own genotype

    # NJH: re-typed (the older profile superseded, the newer current); only superseded; a sample
    # not yet profiled; no sample at all; the same genotype as QTF's in another allele order
    retyped = make_remains(db, njh)
    _add_profile(db, retyped.id, {"TH01": ("6", "9.3"), "FGA": ("21", "22")}, 2)
    only_old = make_remains(db, njh)
    with write(db, actor=SETUP, reason="test"):
        for sample_of in (retyped, only_old):
            old = db.exec(select(Profile).join(Sample, Sample.id == Profile.sample_id)  # type: ignore[arg-type]
                          .where(Sample.remains_id == sample_of.id, Sample.number == 1)).one()
            old.superseded = True
            db.add(old)
        waiting = Remains(accession=ids.remains_id("NJH", 90), site_id=njh.id, number=90,
                          remains_type="isolated_part", est_sex="U")
        bare = Remains(accession=ids.remains_id("NJH", 91), site_id=njh.id, number=91,
                       remains_type="isolated_part", est_sex="U")
        db.add_all([waiting, bare])
        db.flush()
        db.add(Sample(accession=ids.sample_id(waiting.accession, 1), remains_id=waiting.id, number=1,
                      sample_type="tooth", state="collected"))
    return {"retraction": ident.id}


def test_every_figure_is_its_definition(db: Session, lab: dict[str, int]) -> None:
    expected = _by_definition(db)
    # the lab has each case the definitions tell apart (so that the comparison is not vacuous)
    assert expected["QTF"] == {"recovered": 6, "sampled": 6, "profiled": 6, "matched": 5, "identified": 3,
                               "returned": 1, "mni": 5, "unique_profiles": 2}
    assert expected["NJH"] == {"recovered": 4, "sampled": 3, "profiled": 1, "matched": 0, "identified": 0,
                               "returned": 0, "mni": 4, "unique_profiles": 1}
    assert expected["ZZZ"] == dict.fromkeys(expected["ZZZ"], 0)

    data = dashboard.summary(db)
    got = {s.site_code: {**s.funnel, "mni": s.mni, "unique_profiles": s.unique_profiles} for s in data.sites}
    assert got == expected
    assert [s.site_code for s in data.sites] == ["NJH", "QTF", "ZZZ"]
    assert data.work["technician"] == {"samples not yet profiled": 1}


def test_turnaround_counts_the_oldest_standing_identification_of_remains_with_a_recovery_date(
        db: Session, lab: dict[str, int]) -> None:
    first, second = factories.make_user(db, "analyst", "ana3"), factories.make_user(db, "analyst", "ana4")
    run = make_run(db, first.user)
    site = make_site(db, "NJH")
    early = make_remains(db, site, recovered_on=date(2024, 1, 10))
    _identify(db, make_match(db, run=run, remains=early, family=make_family(db)).id, first, second)
    undated = make_remains(db, site, recovered_on=None)
    _identify(db, make_match(db, run=run, remains=undated, family=make_family(db)).id, first, second)

    oldest: dict[int, Identification] = {}
    for ident in identification.active(db):  # oldest first
        oldest.setdefault(ident.remains_id, ident)
    days: dict[str, list[int]] = defaultdict(list)
    for remains_id, ident in oldest.items():
        remains = db.get(Remains, remains_id)
        site_of = db.get(Site, remains.site_id)
        if remains.recovered_on is not None:
            days[site_of.code].append((ident.at.date() - remains.recovered_on).days)
    assert sorted(len(v) for v in days.values()) == [1, 3]  # the retracted and the undated left out

    data = dashboard.summary(db)
    assert {s.site_code: s.turnaround for s in data.sites} == {
        code: dashboard.Turnaround.of(sorted(days.get(code, []))) for code in ("NJH", "QTF", "ZZZ")}
    njh = next(s for s in data.sites if s.site_code == "NJH").turnaround
    assert njh.identified == 1 and njh.min_days == njh.max_days == (oldest[early.id].at.date() - date(2024, 1, 10)).days
