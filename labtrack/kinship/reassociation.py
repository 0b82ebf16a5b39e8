"""Remains-to-remains direct matches (re-association of body parts, duplicate samples).

Two remains profiles are compared over the loci typed in both. The identity LR ("same person"
vs "unrelated") is the product, over the shared loci with identical genotypes, of 1 / P(g)
(P(g) = p_i^2 or 2 p_i p_j, theta = 0). Up to `max_mismatches` shared loci may differ (typing
error, mutation in a tumour-free tissue is not modelled): they are reported, and they contribute
nothing to the reported LR (a strict identity LR would be 0 there).

Degraded bone: where a profile shows one allele only (`one_seen`, a possible drop-out), its
genotype index is the homozygote of that allele, but it is not a mismatch when the allele is in
the other profile's genotype (or the other also shows one allele): such a locus is reported as a
drop-out locus and, like a mismatch, adds nothing to the LR (an understatement, never an
overstatement), so a body part typed from poor bone is not lost for one dropped allele.

No all-pairs comparison: the loci are cut into groups of `key_loci` consecutive loci; remains
typed at every locus of a group are sorted by their genotypes there, and only remains with
identical genotypes at a whole group become candidates, verified at every locus. A pair is
found whenever the loci that are untyped in either profile or mismatched ("bad" loci) leave at
least one group intact, which is guaranteed when bad loci < number of groups (20 loci, groups of
3: 7 groups, so up to 6 bad loci). Pairs with more bad loci may be missed; lower `key_loci` to
widen the net (more candidates to verify).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from labtrack.kinship._genotypes import genotype_alleles
from labtrack.kinship.tables import unrelated_genotype_probabilities

#: Candidate pairs verified per batch.
_BATCH = 1_000_000


@dataclass(frozen=True)
class DirectMatches:
    """Matching remains pairs, first < second, sorted by (first, second).

    first, second : int64, shape (m,), remains indices
    log10_lr : float64, shape (m,), identity log10 LR over the identical shared loci
    overlap : int64, shape (m,), loci typed in both
    mismatched : bool, shape (m, L), shared loci whose genotypes differ
    dropout : bool, shape (m, L), shared loci that agree only if an allele dropped out (one
        allele seen in a profile), or where one allele seen is read against a call
    """

    first: np.ndarray
    second: np.ndarray
    log10_lr: np.ndarray
    overlap: np.ndarray
    mismatched: np.ndarray
    dropout: np.ndarray

    def __len__(self) -> int:
        return int(self.first.size)


def direct_matches(
    genotypes: np.ndarray,
    log10_genotype_prob: Sequence[np.ndarray],
    *,
    min_overlap: int = 10,
    max_mismatches: int = 0,
    key_loci: int = 3,
    one_seen: np.ndarray | None = None,
) -> DirectMatches:
    """All pairs of remains that match directly.

    genotypes : int, shape (R, L), genotype index per locus, -1 untyped
    log10_genotype_prob : per locus, float64, shape (G_l,), log10 P(genotype) of an unrelated
        person (see `genotype_log10_probabilities`)
    min_overlap : least number of loci typed in both; max_mismatches : most shared loci that
        may differ; key_loci : loci per candidate key (see the module docstring)
    one_seen : bool, shape (R, L), loci showing one allele only (read as its homozygote in
        `genotypes`); None: none
    """
    g = np.asarray(genotypes, dtype=np.int64)
    n_rem, n_loci = g.shape
    seen = np.zeros(g.shape, dtype=bool) if one_seen is None else np.asarray(one_seen, dtype=bool)
    if seen.shape != g.shape:
        raise ValueError(f"one_seen has shape {seen.shape}, expected {g.shape}")
    alleles = [_alleles_of(len(t)) for t in log10_genotype_prob]
    weights = [-np.asarray(t, dtype=np.float64) for t in log10_genotype_prob]
    groups = [list(range(s, min(s + key_loci, n_loci))) for s in range(0, n_loci, key_loci)]
    found: list[tuple[np.ndarray, ...]] = []
    for k, loci in enumerate(groups):
        for a, b in _candidate_pairs(g, loci):
            a, b = _verified(g, seen, alleles, a, b, loci, min_overlap, max_mismatches)
            # found once: skip pairs already identical at every locus of an earlier group
            earlier = np.zeros(a.size, dtype=bool)
            for prev in groups[:k]:
                same = np.ones(a.size, dtype=bool)
                for locus in prev:
                    same &= (g[a, locus] >= 0) & (g[a, locus] == g[b, locus])
                earlier |= same
            a, b = a[~earlier], b[~earlier]
            if a.size == 0:
                continue
            typed = (g[a] >= 0) & (g[b] >= 0)
            partial = typed & (seen[a] | seen[b])
            compatible = np.zeros_like(typed)
            for locus in range(n_loci):
                compatible[:, locus] = _compatible(g[a, locus], g[b, locus], seen[a, locus], seen[b, locus],
                                                   alleles[locus])
            mism = typed & ~compatible
            dropout = partial & compatible
            equal = typed & compatible & ~partial
            lr = np.zeros(a.size)
            for locus in range(n_loci):
                on = equal[:, locus]
                lr[on] += weights[locus][g[a[on], locus]]
            found.append((np.minimum(a, b), np.maximum(a, b), lr, typed.sum(axis=1), mism, dropout))
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        none = np.zeros((0, n_loci), bool)
        return DirectMatches(empty, empty, np.zeros(0), empty, none, none)
    first, second, lr, overlap, mism, dropout = (np.concatenate(parts) for parts in zip(*found, strict=True))
    order = np.lexsort((second, first))
    return DirectMatches(first[order], second[order], lr[order], overlap[order], mism[order], dropout[order])


def _alleles_of(n_genotypes: int) -> tuple[np.ndarray, np.ndarray]:
    """Allele indices (i, j) of each genotype index, for a locus of n_genotypes genotypes."""
    n = int(round((np.sqrt(8 * n_genotypes + 1) - 1) / 2))
    i, j = genotype_alleles(n)
    return np.asarray(i), np.asarray(j)


def _compatible(ga: np.ndarray, gb: np.ndarray, sa: np.ndarray, sb: np.ndarray,
                alleles: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Same genotype, or agreeing up to a dropped allele: one allele seen (read as its
    homozygote) that the other profile carries, or one allele seen in both profiles."""
    i, j = alleles
    same = ga == gb
    a_seen, b_seen = i[np.maximum(ga, 0)], i[np.maximum(gb, 0)]
    a_in_b = (a_seen == i[np.maximum(gb, 0)]) | (a_seen == j[np.maximum(gb, 0)])
    b_in_a = (b_seen == i[np.maximum(ga, 0)]) | (b_seen == j[np.maximum(ga, 0)])
    return same | (sa & sb) | (sa & ~sb & a_in_b) | (sb & ~sa & b_in_a)


def genotype_log10_probabilities(freqs: np.ndarray) -> np.ndarray:
    """log10 P(genotype) of an unrelated person (theta = 0), float64 shape (n (n + 1) / 2,),
    in genotype-index order (p_i^2 for i = j, 2 p_i p_j otherwise)."""
    return np.log10(unrelated_genotype_probabilities(np.asarray(freqs, dtype=np.float64)))


def _verified(
    g: np.ndarray, seen: np.ndarray, alleles: Sequence[tuple[np.ndarray, np.ndarray]], a: np.ndarray,
    b: np.ndarray, key: list[int], min_overlap: int, max_mm: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (identical at the `key` loci) that pass the overlap and mismatch limits;
    checked locus by locus, dropping a pair as soon as it cannot pass."""
    overlap = np.full(a.size, len(key), dtype=np.int16)
    mism = np.zeros(a.size, dtype=np.int16)
    others = [locus for locus in range(g.shape[1]) if locus not in key]
    for done, locus in enumerate(others, start=1):
        ga, gb = g[a, locus], g[b, locus]
        typed = (ga >= 0) & (gb >= 0)
        overlap += typed
        mism += typed & ~_compatible(ga, gb, seen[a, locus], seen[b, locus], alleles[locus])
        keep = (mism <= max_mm) & (overlap + (len(others) - done) >= min_overlap)
        a, b, overlap, mism = a[keep], b[keep], overlap[keep], mism[keep]
    keep = overlap >= min_overlap
    return a[keep], b[keep]


def _candidate_pairs(g: np.ndarray, loci: list[int]):
    """Yield batches (a, b) of remains pairs (a != b) identical and typed at all `loci`."""
    rows = np.flatnonzero((g[:, loci] >= 0).all(axis=1))
    if rows.size < 2:
        return
    key = np.zeros(rows.size, dtype=np.int64)
    for locus in loci:
        # genotype indices are < 2**16 for any real marker: pack 3 loci into 48 bits
        key = key * (int(g[:, locus].max()) + 1) + g[rows, locus]
    order = np.argsort(key, kind="stable")
    key, rows = key[order], rows[order]
    distance = 1
    while distance < rows.size:
        same = key[distance:] == key[:-distance]
        if not same.any():
            break
        pos = np.flatnonzero(same)
        for s in range(0, pos.size, _BATCH):
            p = pos[s : s + _BATCH]
            yield rows[p], rows[p + distance]
        distance += 1
