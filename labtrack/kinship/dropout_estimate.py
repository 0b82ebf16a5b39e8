"""An estimate of a remains profile's drop-out probability from the profile itself.

Under the drop model (`labtrack.kinship.dropout`, no drop-in), a locus with a heterozygous true
genotype shows both alleles with probability (1-d)^2, one with 2 d (1-d), none with d^2; a
homozygous one shows its allele with 1 - d^2 and none with d^2. Bone typing writes a single
peak as "one allele seen", so a true homozygote is seen as one allele too. Given that the locus
was typed (something seen), with H the marker's heterozygosity (1 - sum p^2, from the frequency
table):

    P(two alleles seen | typed) = H (1-d)^2 / (1 - d^2)
    P(one allele seen  | typed) = 1 - that

The estimate is the d that maximises the likelihood of the profile's typed loci (a grid of
0.001), with a 95 % interval where the log-likelihood is within 1.92 of its maximum. Loci
written as a homozygote call (a, a) are left out (the lab called them), and so are untyped
loci: a locus that failed entirely says more about the amplicon's length than about allelic
drop-out. With 20 loci the interval is wide: it is a guide for the analyst who sets a sample's
own drop-out probability, not a measurement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from labtrack.kinship.freqs import FrequencyTable
from labtrack.kinship.markers import canonical_marker

_GRID = np.round(np.arange(0.0, 0.951, 0.001), 3)
#: Half the 95 % chi-square quantile with one degree of freedom.
_DROP = 3.841458820694124 / 2


@dataclass(frozen=True)
class DropoutEstimate:
    """d : maximum-likelihood drop-out probability; low, high : its 95 % interval;
    loci : typed loci used; one_seen : of which showing one allele."""

    d: float
    low: float
    high: float
    loci: int
    one_seen: int


def estimate_dropout(profile: Mapping[str, Sequence[str]], table: FrequencyTable) -> DropoutEstimate | None:
    """The estimate for a profile (marker -> alleles seen: two, or one when one allele was seen);
    None when fewer than 5 loci can be used (markers missing from the table are left out)."""
    heterozygosity: list[float] = []
    seen_two: list[bool] = []
    for marker, alleles in profile.items():
        name = canonical_marker(marker)
        if name not in table or not alleles:
            continue
        if len(alleles) >= 2 and alleles[0] == alleles[1]:
            continue  # a homozygote call
        freqs = table.for_case(name, list(alleles)).freqs
        heterozygosity.append(1.0 - float(np.sum(np.square(freqs))))
        seen_two.append(len(alleles) >= 2)
    if len(seen_two) < 5:
        return None
    h = np.asarray(heterozygosity)[:, None]
    two = np.asarray(seen_two)[:, None]
    d = _GRID[None, :]
    with np.errstate(divide="ignore"):
        p_two = np.clip(h * (1 - d) ** 2 / (1 - d**2), 0.0, 1.0)
        log_likelihood = np.where(two, np.log(p_two), np.log1p(-p_two)).sum(axis=0)
    best = int(np.argmax(log_likelihood))
    inside = np.flatnonzero(log_likelihood >= log_likelihood[best] - _DROP)
    return DropoutEstimate(float(_GRID[best]), float(_GRID[inside.min()]), float(_GRID[inside.max()]),
                           len(seen_two), int(len(seen_two) - sum(seen_two)))


def describe(estimate: DropoutEstimate) -> str:
    """One line, e.g. "0.12 (95 % interval 0.04–0.27; 4 of 18 loci show one allele)"."""
    return (f"{estimate.d:g} (95 % interval {estimate.low:g}–{estimate.high:g}; {estimate.one_seen} of "
            f"{estimate.loci} loci show one allele)")
