"""The custody-events list's lean path (``ListSpec.seek`` on the event table alone) lists exactly
the rows of the whole query (with its joins), with the same total, in the same order."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask
from sqlmodel import Session

from benchmarks import pages_at_scale
from labtrack.db import get_engine
from labtrack.services import listing, lists


@pytest.mark.parametrize("params", [{}, {"sort": "at"}, {"sort": "-at"}, {"sort": "id"}, {"action": "store"},
                                    {"action": "receive", "method": "scanned", "sort": "-at"},
                                    {"batch_ref": "B-00000"}, {"page": "4"}])
def test_the_lean_path_lists_exactly_the_rows_of_the_whole_query(app: Flask, params: dict[str, str]) -> None:
    pages_at_scale.build(app, pages_at_scale.SCALES["tiny"])  # 300 events chained over 100 items
    spec = lists.CUSTODY_EVENTS
    whole = replace(spec, seek=None)
    with Session(get_engine(app)) as db:
        for page in ("1", "2", params.get("page", "1")):
            request = listing.parse(spec, {"per": "25", **params, "page": page}, identities=True)
            assert spec.seek is not None and spec.seek(request) is not None
            fast = listing.page(db, spec, request, identities=True)
            slow = listing.page(db, whole, request, identities=True)
            assert fast.total == slow.total > 0
            assert fast.rows == slow.rows and len(fast.rows) > 0


def test_a_text_search_or_a_joined_filter_takes_the_whole_query() -> None:
    spec = lists.CUSTODY_EVENTS
    for params in ({"q": "SAA"}, {"kind": "sample"}, {"sort": "accession"}, {"recorded_by": "technician"}):
        assert spec.seek is not None and spec.seek(listing.parse(spec, params, identities=True)) is None
