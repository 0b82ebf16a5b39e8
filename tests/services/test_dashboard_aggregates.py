"""The dashboard from SQL aggregates: distinct genotypes whatever the order alleles and loci were
stored in, funnel and MNI per site, and the analysts' work from the review queue's statuses."""

from __future__ import annotations

from sqlmodel import Session, col, select

from labtrack.core import ids
from labtrack.models import Profile, Remains, Sample
from labtrack.services import dashboard, review
from labtrack.services.transaction import write
from tests import factories
from tests.factories import PASSWORD
from tests.review_factories import SETUP, make_family, make_match, make_remains, make_run, make_site
from tests.services.test_direct_matches import _add_profile


def test_unique_profiles_ignore_storage_order(db: Session) -> None:
    site = make_site(db, "NJH")
    bodies = [make_remains(db, site) for _ in range(3)]
    _add_profile(db, bodies[0].id, {"TH01": ("6", "9.3"), "FGA": ("21", "22"), "vWA": ("16", "17")}, 2)
    _add_profile(db, bodies[1].id, {"vWA": ("17", "16"), "TH01": ("9.3", "6"), "FGA": ("22", "21")}, 2)
    _add_profile(db, bodies[2].id, {"TH01": ("6", "9.3"), "FGA": ("21", "22"), "vWA": ("16", "18")}, 2)
    row = next(s for s in dashboard.summary(db).sites if s.site_code == "NJH")
    # the three builders' profiles share one genotype, plus the two distinct genotypes added
    assert row.unique_profiles == 3
    assert row.funnel["recovered"] == row.funnel["sampled"] == row.funnel["profiled"] == 3
    assert row.funnel["matched"] == row.funnel["identified"] == row.funnel["returned"] == 0
    assert row.mni == 3


def test_an_empty_site_and_the_analysts_work(db: Session) -> None:
    first, second = factories.make_user(db, "analyst", "ana1"), factories.make_user(db, "analyst", "ana2")
    make_site(db, "ZZZ")
    site = make_site(db, "QTF")
    run = make_run(db, first.user)
    matches = [make_match(db, run=run, remains=make_remains(db, site), family=make_family(db)) for _ in range(3)]
    review.propose(session=db, match_id=matches[0].id, by=first.user, decision="reject", reason="no", password=PASSWORD)
    review.propose(session=db, match_id=matches[1].id, by=first.user, decision="reject", reason="no", password=PASSWORD)
    review.approve(session=db, match_id=matches[1].id, by=second.user, password=PASSWORD)
    data = dashboard.summary(db)
    empty = next(s for s in data.sites if s.site_code == "ZZZ")
    assert empty.funnel == dict.fromkeys(dashboard.STAGES, 0) and empty.mni == 0 and empty.unique_profiles == 0
    assert data.work["analyst"] == {"matches to review": 1, "proposals awaiting a second analyst": 1}
    assert data.work["technician"] == {"samples not yet profiled": 0}
    assert next(s for s in data.sites if s.site_code == "QTF").funnel["matched"] == 3


def test_each_stage_counts_remains_once_whatever_their_samples_profiles_and_candidates(db: Session) -> None:
    """The funnel counts remains, not rows: two samples, two profiles or two candidates of one
    remains count once; a superseded profile does not make remains profiled; remains without a
    sample are only recovered; another site's remains stay out."""
    analyst = factories.make_user(db, "analyst", "ana1")
    site, other = make_site(db, "KHR"), make_site(db, "NJH")
    run = make_run(db, analyst.user)
    twice = make_remains(db, site)  # two typed samples, candidates for two families
    _add_profile(db, twice.id, {"TH01": ("6", "9.3")}, 2)
    for _ in range(2):
        make_match(db, run=run, remains=twice, family=make_family(db))
    retyped = make_remains(db, site)  # its only profile superseded
    unsampled = Remains(accession=ids.remains_id("KHR", 90), site_id=site.id, number=90,
                        remains_type="isolated_part", est_sex="U")
    with write(db, actor=SETUP, reason="test"):
        profile = db.exec(select(Profile).join(Sample, col(Sample.id) == col(Profile.sample_id))
                          .where(Sample.remains_id == retyped.id)).one()
        profile.superseded = True
        db.add_all([profile, unsampled])
        db.flush()
        # sampled, not yet profiled (the technicians' work)
        db.add(Sample(accession=ids.sample_id(unsampled.accession, 1), remains_id=unsampled.id, number=1,
                      sample_type="tooth", state="collected"))
    no_sample = Remains(accession=ids.remains_id("KHR", 91), site_id=site.id, number=91,
                        remains_type="isolated_part", est_sex="U")
    with write(db, actor=SETUP, reason="test"):
        db.add(no_sample)
    make_match(db, run=run, remains=make_remains(db, other), family=make_family(db))

    data = dashboard.summary(db)
    row = next(s for s in data.sites if s.site_code == "KHR")
    assert row.funnel == {"recovered": 4, "sampled": 3, "profiled": 1, "matched": 1, "identified": 0,
                          "returned": 0}
    assert row.mni == 4
    assert next(s for s in data.sites if s.site_code == "NJH").funnel["matched"] == 1
    assert data.totals["matched"] == 2 and data.totals["recovered"] == 5
    assert data.work["technician"] == {"samples not yet profiled": 1}
