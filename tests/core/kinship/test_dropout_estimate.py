"""The drop-out estimate of a profile recovers the drop-out of simulated degraded profiles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labtrack.imports.exchange import read_freqs
from labtrack.kinship.dropout_estimate import describe, estimate_dropout

FREQS = Path(__file__).resolve().parents[3] / "fixtures" / "freqs" / "nist1036.csv"


@pytest.fixture(scope="module")
def table():
    return read_freqs(FREQS)


def _degraded(table, d: float, rng: np.random.Generator) -> dict[str, tuple[str, ...]]:  # noqa: ANN001
    """One profile at every marker of the table: the true genotype drawn from the frequencies,
    each allele of a heterozygote dropping out with d, a homozygote's with d^2; a single peak
    is written as one allele seen."""
    profile: dict[str, tuple[str, ...]] = {}
    for marker in table.marker_names()[:20]:
        freqs = table.for_case(marker, [])
        a, b = rng.choice(len(freqs.alleles), size=2, p=freqs.freqs / freqs.freqs.sum())
        if a == b:
            if rng.random() >= d**2:
                profile[marker] = (freqs.alleles[a],)
            continue
        kept = [x for x in (a, b) if rng.random() >= d]
        if kept:
            profile[marker] = tuple(freqs.alleles[x] for x in kept)
    return profile


@pytest.mark.parametrize("d", [0.0, 0.15, 0.3])
def test_the_estimate_recovers_the_drop_out_of_simulated_profiles(table, d: float) -> None:  # noqa: ANN001
    rng = np.random.default_rng(int(d * 100) + 1)
    estimates = [estimate_dropout(_degraded(table, d, rng), table) for _ in range(300)]
    assert all(e is not None for e in estimates)
    values = np.array([e.d for e in estimates])  # type: ignore[union-attr]
    assert abs(np.median(values) - d) < 0.04
    covered = np.mean([e.low <= d <= e.high for e in estimates])  # type: ignore[union-attr]
    assert covered > 0.85  # a 95 % interval, on 20 loci


def test_what_is_left_out_and_too_little_to_say(table) -> None:  # noqa: ANN001
    few = {"TH01": ("6",), "TPOX": ("8", "11"), "CSF1PO": ("10", "10"), "XYZ": ("1",)}
    assert estimate_dropout(few, table) is None  # 2 usable loci: no estimate
    profile = {m: ("10",) for m in table.marker_names()[:8]} | {"D21S11": ("29", "29")}
    estimate = estimate_dropout(profile, table)
    assert estimate is not None and estimate.loci == 8 and estimate.one_seen == 8  # the call (29, 29) left out
    assert estimate.d > 0.3 and "8 of 8 loci show one allele" in describe(estimate)
