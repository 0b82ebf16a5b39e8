"""The screening-band benchmark counts the slots a match run would recompute exactly and checks the
search's score against the exact LR on a sample of them (its figures are for
``benchmarks/README.md``; the test checks that they are what they say)."""

from __future__ import annotations

import pytest

from benchmarks import screening_band
from labtrack.kinship.candidates import SCREEN_MARGIN_LOG10


def test_it_counts_the_screened_slots_and_compares_them_with_the_exact_lr() -> None:
    figures = screening_band.run(400, 120, sample=25, loci=12)
    slots = figures["slots_per_remains"]
    assert figures["top_k"] >= slots[">=1.5"] >= slots[">=2"] >= slots[">=2.5"] >= slots[">=3"] > 0
    band = figures["band"]
    assert band["slots"] == pytest.approx((slots[">=2"] - slots[">=3"]) * figures["remains"], abs=0.5)
    assert 0 < band["sampled"] <= min(25, band["slots"])
    # the search's score and the exact case LR agree far within the margin on simulated data
    assert abs(band["exact_minus_search_min"]) < SCREEN_MARGIN_LOG10 / 2
    assert abs(band["exact_minus_search_max"]) < SCREEN_MARGIN_LOG10 / 2
