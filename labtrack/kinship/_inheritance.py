"""Exact pedigree likelihood with theta (Balding–Nichols), no mutation: a sum over inheritance
vectors.

Given which parental allele each non-founder received (an inheritance vector, 2 bits per
non-founder), every allele of the pedigree is a copy of one founder allele. For each ordering of
the typed heterozygotes, the typed genotypes fix some founder alleles (or contradict each other);
the founder alleles are drawn jointly with the Balding–Nichols formula, whose probability
depends only on the allele counts:
    P = prod_a prod_{k < m_a} (k theta + (1 - theta) p_a) / prod_{k < N} (1 + (k - 1) theta).
Founder alleles that reach no typed person are summed out (the urn is exchangeable). The
likelihood is the average over the equally likely inheritance vectors (see `_origins`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from labtrack.kinship._structure import Structure

_CHUNK_ROWS = 1 << 18
MAX_NON_FOUNDERS = 11


@dataclass(frozen=True)
class _Rows:
    """Consistent (inheritance vector, ordering) rows of one chunk.

    origin : (R, persons, 2) founder-allele id of every allele
    fixed : (R, K) founder-allele values fixed by the typed persons (compact index, -1 free)
    counts : (R, A) counts of each observed allele among the fixed founder alleles
    prob : (R,) Balding–Nichols probability of the fixed founder alleles
    """

    origin: np.ndarray
    fixed: np.ndarray
    counts: np.ndarray
    prob: np.ndarray


@dataclass(frozen=True)
class _Enumeration:
    origin: np.ndarray  # (V, persons, 2)
    people: list[int]
    pat_values: np.ndarray  # (O, T) compact allele of each typed person's paternal allele
    mat_values: np.ndarray
    observed: list[int]  # compact index -> allele index
    rising: np.ndarray  # (A, K+1)
    denominator: np.ndarray  # (K+1,)

    @property
    def n_vectors(self) -> int:
        return int(self.origin.shape[0])

    @property
    def n_founder_alleles(self) -> int:
        return self.rising.shape[1] - 1

    def rows(self) -> Iterator[_Rows]:
        """The consistent rows, chunk by chunk."""
        n_orders = self.pat_values.shape[0]
        k = self.n_founder_alleles
        step = max(1, _CHUNK_ROWS // (n_orders * max(1, k)))
        n_observed = len(self.observed)
        for start in range(0, self.n_vectors, step):
            chunk = self.origin[start : start + step]
            values, ok = _assign(chunk, self.people, self.pat_values, self.mat_values, k)
            if not ok.any():
                continue
            vectors, orders = np.nonzero(ok)
            fixed = values[vectors, orders]
            counts = np.zeros((len(vectors), n_observed), dtype=np.intp)
            for column in fixed.T:
                assigned = column >= 0
                counts[assigned, column[assigned]] += 1
            prob = np.prod(self.rising[np.arange(n_observed)[None, :], counts], axis=1)
            prob = prob / self.denominator[counts.sum(axis=1)]
            yield _Rows(chunk[vectors], fixed, counts, prob)


def _enumeration(
    structure: Structure, typed: Mapping[int, tuple[int, int]], freqs: np.ndarray, theta: float
) -> _Enumeration:
    founders = [i for i in range(structure.size) if structure.is_founder(i)]
    non_founders = [i for i in range(structure.size) if not structure.is_founder(i)]
    if len(non_founders) > MAX_NON_FOUNDERS:
        raise ValueError(
            f"too many non-founders for the theta engine ({len(non_founders)} after pruning, "
            f"at most {MAX_NON_FOUNDERS})"
        )
    origin = _origins(structure, founders, non_founders)
    observed = sorted({a for genotype in typed.values() for a in genotype})
    compact = {a: k for k, a in enumerate(observed)}
    people = sorted(typed)
    first = np.array([compact[typed[i][0]] for i in people], dtype=np.intp)
    second = np.array([compact[typed[i][1]] for i in people], dtype=np.intp)
    het = [k for k in range(len(people)) if first[k] != second[k]]
    n_orders = 1 << len(het)
    flip = np.zeros((n_orders, len(people)), dtype=bool)
    for bit, k in enumerate(het):
        flip[:, k] = (np.arange(n_orders) >> bit) & 1 == 1
    rising, denominator = _bn_tables(freqs[observed], theta, 2 * len(founders))
    return _Enumeration(
        origin,
        people,
        np.where(flip, second, first),
        np.where(flip, first, second),
        observed,
        rising,
        denominator,
    )


def inheritance_likelihood(
    structure: Structure,
    typed: Mapping[int, tuple[int, int]],
    freqs: np.ndarray,
    theta: float,
) -> float:
    """P(typed genotypes) under Balding–Nichols founder sampling, no mutation.

    typed : person index -> (allele index, allele index) into `freqs` (shape (n,))
    """
    enumeration = _enumeration(structure, typed, freqs, theta)
    total = sum(float(rows.prob.sum()) for rows in enumeration.rows())
    return total / enumeration.n_vectors


def inheritance_query_joint(
    structure: Structure,
    typed: Mapping[int, tuple[int, int]],
    query: int,
    freqs: np.ndarray,
    theta: float,
) -> np.ndarray:
    """P(typed genotypes, query person's ordered genotype (x, y)) under Balding–Nichols.

    The query person (untyped; a founder for an unrelated extra person) receives, per
    inheritance vector and ordering, either founder alleles fixed by the typed persons or free
    ones, drawn from the urn given the fixed ones: after N fixed alleles of counts m, the next
    is y with probability (m_y θ + (1-θ) p_y) / (1 + (N-1) θ).
    Returns float64, shape (n, n), n = len(freqs).
    """
    enumeration = _enumeration(structure, typed, freqs, theta)
    keys: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for rows in enumeration.rows():
        q1, q2 = rows.origin[:, query, 0], rows.origin[:, query, 1]
        index = np.arange(len(q1))
        v1, v2 = rows.fixed[index, q1], rows.fixed[index, q2]
        keys.append(np.column_stack([rows.counts, v1, v2, (q1 == q2).astype(np.intp)]))
        weights.append(rows.prob)
    n = len(freqs)
    joint = np.zeros((n, n))
    if not keys:
        return joint
    unique, inverse = np.unique(np.concatenate(keys), axis=0, return_inverse=True)
    summed = np.bincount(inverse.ravel(), weights=np.concatenate(weights))
    observed = np.asarray(enumeration.observed, dtype=np.intp)
    for key, weight in zip(unique, summed, strict=True):
        _add_query_terms(
            joint, weight, key[:-3], int(key[-3]), int(key[-2]), bool(key[-1]), observed,
            freqs, theta,
        )
    return joint / enumeration.n_vectors


def _origins(structure: Structure, founders: list[int], non_founders: list[int]) -> np.ndarray:
    """Founder-allele id of every allele for every inheritance vector, shape (V, persons, 2).

    Swapping the two alleles of a founder (and the meioses from it) leaves every genotype
    unchanged, so the first meiosis from each founder is fixed to its paternal allele: V =
    2^(2 x non-founders - founders with children), and the average over these V vectors equals
    the average over all of them.
    """
    fixed_first: set[tuple[int, int]] = set()
    seen: set[int] = set()
    for child in non_founders:
        for side, parent in ((0, structure.father[child]), (1, structure.mother[child])):
            if structure.is_founder(parent) and parent not in seen:
                seen.add(parent)
                fixed_first.add((child, side))
    free = [(c, s) for c in non_founders for s in (0, 1) if (c, s) not in fixed_first]
    n_vectors = 1 << len(free)
    position = {meiosis: k for k, meiosis in enumerate(free)}
    origin = np.zeros((n_vectors, structure.size, 2), dtype=np.int16)
    for k, f in enumerate(founders):
        origin[:, f, 0] = 2 * k
        origin[:, f, 1] = 2 * k + 1
    vectors = np.arange(n_vectors)
    for child in non_founders:
        for side, parent in ((0, structure.father[child]), (1, structure.mother[child])):
            if (child, side) in position:
                bit = (vectors >> position[child, side]) & 1
            else:
                bit = np.zeros(n_vectors, dtype=np.intp)
            origin[:, child, side] = origin[vectors, parent, bit]
    return origin


def _bn_tables(p: np.ndarray, theta: float, max_alleles: int) -> tuple[np.ndarray, np.ndarray]:
    """rising[a, m] = prod_{k<m} (k theta + (1-theta) p_a); denominator[N] = prod_{k<N}
    (1 + (k-1) theta). Shapes (A, max+1) and (max+1,)."""
    k = np.arange(max_alleles)
    terms = k[None, :] * theta + (1.0 - theta) * p[:, None]
    rising = np.concatenate([np.ones((len(p), 1)), np.cumprod(terms, axis=1)], axis=1)
    denominator = np.concatenate([[1.0], np.cumprod(1.0 + (k - 1) * theta)])
    return rising, denominator


def _assign(
    origin: np.ndarray,
    people: list[int],
    pat_values: np.ndarray,
    mat_values: np.ndarray,
    n_founder_alleles: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Founder-allele values fixed by the typed persons, (V, O, K) with -1 for free, and the
    consistency mask (V, O)."""
    n_vec, n_orders = origin.shape[0], pat_values.shape[0]
    values = np.full((n_vec, n_orders, n_founder_alleles), -1, dtype=np.intp)
    ok = np.ones((n_vec, n_orders), dtype=bool)
    rows = np.arange(n_vec)[:, None]
    orders = np.arange(n_orders)[None, :]
    for k, person in enumerate(people):
        for side, wanted in ((0, pat_values[:, k]), (1, mat_values[:, k])):
            slot = origin[:, person, side][:, None]
            current = values[rows, orders, slot]
            ok &= (current < 0) | (current == wanted[None, :])
            values[rows, orders, slot] = wanted[None, :]
    return values, ok


def _add_query_terms(
    joint: np.ndarray,
    weight: float,
    counts: np.ndarray,
    v1: int,
    v2: int,
    same: bool,
    observed: np.ndarray,
    freqs: np.ndarray,
    theta: float,
) -> None:
    """Add weight x P(query alleles | fixed founder alleles) to joint (n, n) in place."""
    n_fixed = int(counts.sum())
    full_counts = np.zeros(len(freqs))
    full_counts[observed] = counts

    def draw(extra: int) -> np.ndarray:
        """Urn probabilities of the next allele after the fixed ones (+ `extra` drawn)."""
        return (full_counts * theta + (1 - theta) * freqs) / (1 + (n_fixed + extra - 1) * theta)

    if v1 >= 0 and v2 >= 0:
        joint[observed[v1], observed[v2]] += weight
    elif v1 >= 0:
        joint[observed[v1], :] += weight * draw(0)
    elif v2 >= 0:
        joint[:, observed[v2]] += weight * draw(0)
    elif same:
        joint[np.diag_indices(len(freqs))] += weight * draw(0)
    else:
        second = np.broadcast_to(draw(1), (len(freqs), len(freqs))).copy()
        second[np.diag_indices(len(freqs))] += theta / (1 + n_fixed * theta)
        joint += weight * draw(0)[:, None] * second
