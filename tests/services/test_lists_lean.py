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
