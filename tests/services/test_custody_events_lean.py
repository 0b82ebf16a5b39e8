"""The custody-events list's lean path (``ListSpec.seek`` on the event table alone) lists exactly
the rows of the whole query (with its joins), with the same total, in the same order."""

from __future__ import annotations

import pytest
from flask import Flask

from benchmarks import pages_at_scale
from labtrack.services import listing, lists
from tests.services.test_lists_lean import assert_lean_path_lists_the_whole_querys_rows


@pytest.mark.parametrize("params", [{}, {"sort": "at"}, {"sort": "-at"}, {"sort": "id"}, {"action": "store"},
                                    {"action": "receive", "method": "scanned", "sort": "-at"},
                                    {"batch_ref": "B-00000"}, {"page": "4"}])
def test_the_lean_path_lists_exactly_the_rows_of_the_whole_query(app: Flask, params: dict[str, str]) -> None:
    pages_at_scale.build(app, pages_at_scale.SCALES["tiny"])  # 300 events chained over 100 items
    assert_lean_path_lists_the_whole_querys_rows(app, lists.CUSTODY_EVENTS, params)


def test_a_text_search_or_a_joined_filter_takes_the_whole_query() -> None:
    spec = lists.CUSTODY_EVENTS
    for params in ({"q": "SAA"}, {"kind": "sample"}, {"sort": "accession"}, {"recorded_by": "technician"}):
        assert spec.seek is not None and spec.seek(listing.parse(spec, params, identities=True)) is None
