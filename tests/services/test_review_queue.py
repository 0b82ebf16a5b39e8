"""The review queue read model (services/review_queue.py): statuses, competing candidates and
standing identifications computed in SQL agree with the per-match rules; the queue page pages,
sorts, filters and exports on the server."""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from labtrack.core import review_rules
from labtrack.services import review
from tests import factories
from tests.factories import PASSWORD
from tests.review_factories import make_family, make_match, make_remains, make_run, make_site


@pytest.fixture
def analysts(db: Session) -> tuple[factories.UserWithPassword, factories.UserWithPassword]:
    return factories.make_user(db, "analyst", "ana1"), factories.make_user(db, "analyst", "ana2")


@pytest.fixture
def grid(db: Session, analysts):
    """Three remains x three families, a candidate for six of the nine pairs, reviewed in every way."""
    first, second = analysts
    site = make_site(db, "QTF")
    remains = [make_remains(db, site) for _ in range(3)]
    families = [make_family(db) for _ in range(3)]
    run = make_run(db, first.user)
    pairs = [(0, 0), (0, 1), (1, 1), (1, 2), (2, 0), (2, 2)]
    matches = {pair: make_match(db, run=run, remains=remains[pair[0]], family=families[pair[1]],
                                log10_lr=2.0 + 1.5 * n, posterior=0.9999 + 0.00001 * n)
               for n, pair in enumerate(pairs)}

    def propose(pair, decision="confirm", who=first) -> None:
        review.propose(session=db, match_id=matches[pair].id, by=who.user, decision=decision,
                       reason="per-locus table read", password=PASSWORD)

    propose((0, 1), "reject")                      # proposed_reject
    propose((1, 1))                                 # proposed_confirm
    propose((1, 2), "reject")
    review.approve(session=db, match_id=matches[(1, 2)].id, by=second.user, password=PASSWORD)  # rejected
    propose((2, 0))
    review.send_back(session=db, match_id=matches[(2, 0)].id, by=second.user, reason="look again")  # open again
    return matches, remains, families, first, second


def _brute_force_competing(db: Session, rows: list[review.QueueRow]) -> dict[int, int]:
    """The rule of the old quadratic loop, pair by pair."""
    contexts = {r.match_id: review.load(db, r.match_id) for r in rows}
    open_ones = [c for c in contexts.values() if c.status in review_rules.UNRESOLVED]
    counts = {}
    for match_id, ctx in contexts.items():
        if ctx.status not in review_rules.UNRESOLVED:
            counts[match_id] = 0
            continue
        mine = ctx.missing_person.id if ctx.missing_person else None
        counts[match_id] = sum(1 for other in open_ones
                               if (other.remains.id == ctx.remains.id)
                               != ((other.missing_person.id if other.missing_person else None) == mine))
    return counts


def test_statuses_and_competing_counts_agree_with_the_rules(db: Session, grid) -> None:
    matches, *_ = grid
    rows = review.queue(db)
    assert {r.match_id for r in rows} == {m.id for m in matches.values()}
    for row in rows:
        assert row.status == review.load(db, row.match_id).status, row
        assert row.strength == review_rules.strength(row.log10_lr)
    statuses = {pair: next(r.status for r in rows if r.match_id == m.id) for pair, m in matches.items()}
    assert statuses == {(0, 0): "open", (0, 1): "proposed_reject", (1, 1): "proposed_confirm",
                        (1, 2): "rejected", (2, 0): "open", (2, 2): "open"}
    assert {r.match_id: r.competing for r in rows} == _brute_force_competing(db, rows)
    # remains 0 has two unresolved candidates (families 0 and 1); family 0's person two (remains 0 and 2)
    assert next(r.competing for r in rows if r.match_id == matches[(0, 0)].id) == 2
    assert next(r.competing for r in rows if r.match_id == matches[(1, 2)].id) == 0  # rejected: none


def test_an_identification_flags_the_remains_other_candidates(db: Session, grid) -> None:
    matches, remains, families, first, second = grid
    review.approve(session=db, match_id=matches[(0, 1)].id, by=second.user, password=PASSWORD)  # rejected
    review.approve(session=db, match_id=matches[(1, 1)].id, by=second.user, password=PASSWORD)  # identified
    ident = review.identification_of_match(db, matches[(1, 1)].id)
    assert ident is not None
    later = make_match(db, run=make_run(db, first.user), remains=remains[1], family=families[0], log10_lr=5.0)
    rows = {r.match_id: r for r in review.queue(db)}
    assert rows[matches[(1, 1)].id].status == "confirmed" and rows[matches[(1, 1)].id].identified_by is None
    assert rows[later.id].status == "open" and rows[later.id].identified_by == ident.id
    assert all(r.identified_by is None for m, r in rows.items() if m != later.id)
    assert {m: r.competing for m, r in rows.items()} == _brute_force_competing(db, list(rows.values()))


def test_the_queue_order_and_filters(db: Session, grid) -> None:
    matches, *_ = grid
    by_lr = sorted(matches.values(), key=lambda m: -m.log10_lr)
    assert [r.match_id for r in review.queue(db)] == [m.id for m in by_lr]
    assert [r.match_id for r in review.queue(db, status="open")] == [
        m.id for m in by_lr if m in (matches[(0, 0)], matches[(2, 0)], matches[(2, 2)])]
    assert [r.match_id for r in review.queue(db, strength="weak")] == []
    assert len(review.queue(db, limit=2)) == 2


def _csv(answer) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_queue_page_pages_sorts_filters_and_exports(client: FlaskClient, db: Session, grid, login_as) -> None:
    matches, *_ = grid
    login_as("analyst")
    html = client.get("/review/?per=25").get_data(as_text=True)
    assert "Rows 1–6 of 6" in html
    for match in matches.values():
        assert f'data-match="{match.id}"' in html
    weakest_first = client.get("/review/?sort=log10_lr").get_data(as_text=True)
    assert weakest_first.index(f'data-match="{matches[(0, 0)].id}"') < weakest_first.index(
        f'data-match="{matches[(2, 2)].id}"')
    # competing candidates counted on the page as in the service
    for row in review.queue(db):
        if row.competing:
            assert f'data-match="{row.match_id}"' in html and f'⚠ <bdi dir="ltr">{row.competing}</bdi>' in html
    only_open = client.get("/review/?status=open").get_data(as_text=True)
    assert only_open.count('data-match="') == 3 and "Rows 1–3 of 3" in only_open
    rows = _csv(client.get("/review/?status=open&export=csv"))
    assert sorted(int(r["match_id"]) for r in rows) == sorted(m.id for p, m in matches.items()
                                                              if p in ((0, 0), (2, 0), (2, 2)))
    assert {r["status"] for r in rows} == {"open"}
    # bad parameters: a calm page with a notice, never a 500
    for query in ("sort=nonsense", "page=99999", "status=wizard", "per=-1", "q=%27%3B--", "site=%00"):
        answer = client.get(f"/review/?{query}")
        assert answer.status_code == 200, query


def test_technicians_do_not_see_the_queue(client: FlaskClient, db: Session, grid, login_as) -> None:
    login_as("technician")
    assert client.get("/review/").status_code == 403
    assert client.get("/review/?export=csv").status_code == 403


def test_pairs_in_order(grid) -> None:  # the fixture's pairs cover both kinds of rival
    matches, *_ = grid
    pairs = list(matches)
    assert any(a[0] == b[0] for a, b in itertools.combinations(pairs, 2))
    assert any(a[1] == b[1] for a, b in itertools.combinations(pairs, 2))


@pytest.mark.parametrize("params", [{}, {"sort": "posterior"}, {"sort": "-posterior"}, {"sort": "status"},
                                    {"sort": "-created_at"}, {"status": "proposed_reject"},
                                    {"strength": "moderate", "sort": "match_id"}, {"site": "QTF"},
                                    {"site": "NJH", "sort": "-posterior"},
                                    {"site": "QTF", "status": "proposed_reject", "sort": "run_id"}])
def test_the_lean_path_lists_exactly_the_rows_of_the_whole_query(db: Session, analysts, params) -> None:
    """A page read through the queue's lean statement (keys on the match table, then the page's
    rows) has the same total and the same rows, in the same order, as the whole query paged."""
    from dataclasses import replace

    from labtrack.services import listing, review_queue

    first, _ = analysts
    remains = [make_remains(db, site) for site in (make_site(db, "QTF"), make_site(db, "NJH")) for _ in range(9)]
    families = [make_family(db) for _ in range(3)]
    run = make_run(db, first.user)
    made = [make_match(db, run=run, remains=r, family=f, log10_lr=float(2 + (n % 4)), posterior=0.9 + (n % 3) / 100)
            for n, (r, f) in enumerate(itertools.product(remains, families))]  # many ties: the tie-breaker decides
    for match in made[::4]:
        review.propose(session=db, match_id=match.id, by=first.user, decision="reject", reason="r", password=PASSWORD)
    whole = replace(review_queue.QUEUE, seek=None)
    for page in (1, 2):
        request = listing.parse(review_queue.QUEUE, {**params, "per": "25", "page": str(page)}, identities=True)
        assert review_queue.QUEUE.seek is not None and review_queue.QUEUE.prepare is not None
        assert review_queue.QUEUE.seek(review_queue.QUEUE.prepare(db, request)) is not None
        fast = listing.page(db, review_queue.QUEUE, request, identities=True)
        slow = listing.page(db, whole, request, identities=True)
        assert fast.total == slow.total > 0
        assert [r.match_id for r in fast.rows] == [r.match_id for r in slow.rows]
        assert fast.rows == slow.rows
    assert listing.page(db, review_queue.QUEUE, listing.parse(review_queue.QUEUE, {}, identities=True),
                        identities=True).total == len(made)
    for code, expected in (("QTF", len(made) // 2), ("NJH", len(made) // 2), ("NONE", 0)):  # no such site: none
        request = listing.parse(review_queue.QUEUE, {"site": code}, identities=True)
        assert listing.page(db, review_queue.QUEUE, request, identities=True).total == expected
        assert listing.page(db, whole, request, identities=True).total == expected
