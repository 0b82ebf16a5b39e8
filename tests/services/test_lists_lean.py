"""The lean paths of the samples, profiles, missing persons, donors, families and audit-log lists
(``ListSpec.seek`` on the list's own table) list exactly the rows of the whole query (with its
joins and subqueries), with the same total, in the same order; a request they cannot serve takes the whole query."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask
from sqlmodel import Session

from benchmarks import pages_at_scale
from labtrack.db import get_engine
from labtrack.services import listing, lists

CASES = [
    (lists.SAMPLES, {}), (lists.SAMPLES, {"sort": "-accession"}), (lists.SAMPLES, {"state": "profiled"}),
    (lists.SAMPLES, {"sample_type": "femur", "sort": "state"}), (lists.SAMPLES, {"sort": "-collected_on"}),
    (lists.PROFILES, {}), (lists.PROFILES, {"origin": "reference", "sort": "version"}),
    (lists.PROFILES, {"kit": "GlobalFiler", "sort": "-searchable", "page": "3"}),
    (lists.MISSING_PERSONS, {}), (lists.MISSING_PERSONS, {"sort": "-name_latin", "page": "3"}),
    (lists.MISSING_PERSONS, {"status": "missing", "sort": "birth_year"}),
    (lists.MISSING_PERSONS, {"sex": "M", "sort": "name_ar"}),
    (lists.MISSING_PERSONS, {"disappearance_place": "Aleppo"}),
    (lists.DONORS, {}), (lists.DONORS, {"sex": "F", "sort": "birth_year"}), (lists.DONORS, {"sort": "-name_latin"}),
    (lists.FAMILIES, {}), (lists.FAMILIES, {"sort": "-code", "page": "2"}),
    (lists.AUDIT_LOG, {}), (lists.AUDIT_LOG, {"sort": "seq"}), (lists.AUDIT_LOG, {"entity_type": "remains"}),
    (lists.AUDIT_LOG, {"actor": "import", "sort": "-entity_id"}), (lists.AUDIT_LOG, {"page": "5"}),
]


@pytest.mark.parametrize(("spec", "params"), CASES, ids=[f"{s.name}-{p}" for s, p in CASES])
def test_the_lean_path_lists_exactly_the_rows_of_the_whole_query(app: Flask, spec: listing.ListSpec,
                                                                 params: dict[str, str]) -> None:
    # 60 samples (40 of remains, 20 reference kits: not in the list), 100 profiles (60 current), 40 missing
    # persons, 90 donors, 30 families, ~200 audit entries
    pages_at_scale.build(app, pages_at_scale.SCALES["tiny"])
    assert_lean_path_lists_the_whole_querys_rows(app, spec, params)


def assert_lean_path_lists_the_whole_querys_rows(app: Flask, spec: listing.ListSpec, params: dict[str, str]) -> None:
    """The list's lean path (``seek``) takes the request, and its pages 1, 2 and the asked one hold
    the same total and rows as the whole query's."""
    whole = replace(spec, seek=None)
    with Session(get_engine(app)) as db:
        for page in ("1", "2", params.get("page", "1")):
            request = listing.parse(spec, {"per": "25", **params, "page": page}, identities=True)
            assert spec.seek is not None and spec.seek(request) is not None
            fast = listing.page(db, spec, request, identities=True)
            slow = listing.page(db, whole, request, identities=True)
            assert fast.total == slow.total > 0
            assert fast.rows == slow.rows and len(fast.rows) > 0


@pytest.mark.parametrize(("spec", "params"), [
    (lists.SAMPLES, {"q": "SAA"}), (lists.SAMPLES, {"site": "SAA"}), (lists.SAMPLES, {"sort": "site"}),
    (lists.PROFILES, {"sort": "owner"}), (lists.PROFILES, {"qc_remark": next(iter(lists.QC_REMARK_KINDS))}),
    (lists.MISSING_PERSONS, {"q": "Halabi"}), (lists.DONORS, {"q": "D-"}),
    (lists.FAMILIES, {"sort": "members"}), (lists.FAMILIES, {"q": "FAM"}),
    (lists.AUDIT_LOG, {"q": "bulk"}),
])
def test_a_text_search_or_a_joined_column_takes_the_whole_query(spec: listing.ListSpec,
                                                                 params: dict[str, str]) -> None:
    assert spec.seek is not None and spec.seek(listing.parse(spec, params, identities=True)) is None


@pytest.mark.parametrize(("spec", "sort", "index"), [
    (lists.MISSING_PERSONS, "-name_latin", "ix_missing_person_name_latin_id"),
    (lists.MISSING_PERSONS, "name_ar", "ix_missing_person_name_ar_id"),
    (lists.DONORS, "name_latin", "ix_donor_name_latin_id"),
    (lists.DONORS, "-name_ar", "ix_donor_name_ar_id"),
])
def test_a_page_sorted_by_name_reads_its_keys_in_order_from_an_index(app: Flask, spec: listing.ListSpec, sort: str,
                                                                      index: str) -> None:
    """SQLite's plan of the page's keys (the lean statement, sorted by the name and the id, skipped
    to a far page) walks the (name, id) index: no sort of every row (a far page by name at 100,000
    missing persons sorted them all; on PostgreSQL the sort spilled to disk)."""
    from sqlalchemy import select, text

    request = listing.parse(spec, {"sort": sort, "page": "3"}, identities=True)
    assert spec.seek is not None
    lean = spec.seek(request)
    assert lean is not None
    keys = lean.subquery()
    order = (keys.c.sort_key.desc(), keys.c.tiebreak.desc()) if request.descending else \
        (keys.c.sort_key.asc(), keys.c.tiebreak.asc())
    query = select(keys.c.tiebreak).order_by(*order).limit(50).offset(100)
    with Session(get_engine(app)) as db:
        connection = db.connection()
        if connection.dialect.name != "sqlite":
            pytest.skip("the plan is checked on SQLite (PostgreSQL's depends on its statistics)")
        compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
        plan = " | ".join(str(row[-1]) for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert index in plan and "TEMP B-TREE" not in plan, plan
