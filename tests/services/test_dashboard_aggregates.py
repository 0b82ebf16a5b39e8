"""The dashboard from SQL aggregates: distinct genotypes whatever the order alleles and loci were
stored in, funnel and MNI per site, and the analysts' work from the review queue's statuses."""

from __future__ import annotations

from sqlmodel import Session

from labtrack.services import dashboard, review
from tests import factories
from tests.factories import PASSWORD
from tests.review_factories import make_family, make_match, make_remains, make_run, make_site
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
