"""How often an unrelated person would look at least this much like the family's missing person.

For a family's references (the typed relatives, at given markers) and a mutation model, the LR
of an unrelated person is a random variable: at each marker the person's genotype g has its
population probability P(g) (theta 0), the marker's LR is LR_m(g) (the engine's LR table), and
the markers are independent. The false-positive curve is

    FP(t) = P(LR >= t | an unrelated person) = sum over genotype combinations with prod LR_m >= t

computed exactly, without simulation, by convolving the per-marker distributions of log10 LR_m
on a grid of `step` (0.01 by default). Every log10 LR_m is rounded UP to the grid, so FP is an
upper bound: FP(t) <= FP_computed(t) <= FP(t / 10^(L step)) for L markers (a factor of 1.6 at
20 markers in the threshold, never in the direction that hides a false positive). Unrelated
persons excluded at some marker (LR 0) are counted in `p_excluded`, never in the tail.

What it is for (ICMP-style practice): a strong LR from a weak family is not proof. With R
unrelated remains searched against a family, R FP(LR of a candidate) is the number of unrelated
remains expected to reach that LR by chance; for a single half-sibling it can be large even at
LR 10^6, for two parents it is negligible. The profile of the unrelated person is taken as typed
at the same markers as the candidate, without drop-out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from labtrack.kinship.freqs import FrequencyTable
from labtrack.kinship.markers import canonical_marker
from labtrack.kinship.mutation import MutationModel
from labtrack.kinship.pedigree import Pedigree
from labtrack.kinship.tables import mp_lr_table, unrelated_genotype_probabilities

Genotype = tuple[str, ...]
#: Grid of log10 LR (the curve is an upper bound within 10^(markers x STEP) in the threshold).
STEP = 0.01


@dataclass(frozen=True)
class FalsePositiveCurve:
    """The distribution of an unrelated person's total log10 LR against one family.

    markers : the markers it covers
    step : grid width in log10 LR
    first : grid index of pmf[0] (log10 LR = first * step)
    pmf : float64, P(no marker excludes and total log10 LR rounds up to (first + k) step)
    p_excluded : P(at least one marker excludes the unrelated person)
    """

    markers: tuple[str, ...]
    step: float
    first: int
    pmf: np.ndarray
    p_excluded: float

    def tail(self, log10_lr: float) -> float:
        """FP: P(total log10 LR >= log10_lr | unrelated), an upper bound (see the module)."""
        if math.isinf(log10_lr) and log10_lr < 0:
            return 1.0
        if math.isnan(log10_lr):
            raise ValueError("log10 LR is NaN")
        k = math.ceil(log10_lr / self.step - 1e-9) - self.first
        if k <= 0:
            return float(self.pmf.sum())
        return float(self.pmf[k:].sum()) if k < len(self.pmf) else 0.0

    def expected(self, log10_lr: float, n_unrelated: int) -> float:
        """Expected number of unrelated persons, of `n_unrelated` compared, at this LR or above."""
        return n_unrelated * self.tail(log10_lr)


def false_positive_curve(
    pedigree: Pedigree,
    genotypes: Mapping[str, Mapping[str, Genotype]],
    table: FrequencyTable,
    *,
    markers: Sequence[str] | None = None,
    mutation: MutationModel | None = None,
    step: float = STEP,
) -> FalsePositiveCurve:
    """The false-positive curve of a family's references (see the module docstring).

    pedigree : the family (typed persons: `sample_id`s; missing person flagged)
    genotypes : sample_id -> {marker -> alleles}; one allele means a homozygote here
    markers : the markers to use (default: every marker of the table where a reference is
        typed); markers where no reference is typed add nothing (LR 1)
    """
    if step <= 0:
        raise ValueError("step must be positive")
    samples = pedigree.sample_of()
    wanted = None if markers is None else {canonical_marker(m) for m in markers}
    refs: dict[str, dict[str, tuple[str, str]]] = {}
    for pid, sample in samples.items():
        for marker, g in genotypes.get(sample, {}).items():
            name = canonical_marker(marker)
            if wanted is None or name in wanted:
                refs.setdefault(name, {})[pid] = (g[0], g[-1])
    first, pmf, excluded, used = 0, np.ones(1), 0.0, []
    for marker in sorted(m for m in refs if m in table):
        relatives = refs[marker]
        mf = table.for_case(marker, [a for g in relatives.values() for a in g])
        lr = mp_lr_table(pedigree, relatives, mf.alleles, mf.freqs, mutation=mutation, marker=marker)
        if np.isnan(lr).any():
            raise ValueError(f"family {pedigree.family_id}, marker {marker}: the references contradict "
                             "their pedigree (Mendelian inconsistency)")
        probability = unrelated_genotype_probabilities(mf.freqs)
        positive = lr > 0
        excluded_here = float(probability[~positive].sum())
        bins = np.ceil(np.log10(lr[positive]) / step - 1e-9).astype(np.int64)
        low = int(bins.min()) if bins.size else 0
        marker_pmf = np.bincount(bins - low, weights=probability[positive]) if bins.size else np.zeros(1)
        pmf = np.convolve(pmf, marker_pmf)
        first += low
        excluded = 1.0 - (1.0 - excluded) * (1.0 - excluded_here)
        used.append(marker)
    return FalsePositiveCurve(tuple(used), step, first, pmf, excluded)
