"""Exact pedigree likelihood with theta (Balding–Nichols), no mutation: a sum over inheritance
vectors.

Given which parental allele each non-founder received (an inheritance vector, 2 bits per
non-founder), every allele of the pedigree is a copy of one founder allele. For each ordering of
the typed heterozygotes, the typed genotypes fix some founder alleles (or contradict each other);
the founder alleles are drawn jointly with the Balding–Nichols formula, whose probability
depends only on the allele counts:
    P = prod_a prod_{k < m_a} (k theta + (1 - theta) p_a) / prod_{k < N} (1 + (k - 1) theta).
Founder alleles that reach no typed person are summed out (the urn is exchangeable). The
likelihood is the average over the 2^(2 x non-founders) equally likely inheritance vectors.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from labtrack.kinship._structure import Structure

_CHUNK_ROWS = 1 << 18


def inheritance_likelihood(
    structure: Structure,
    typed: Mapping[int, tuple[int, int]],
    freqs: np.ndarray,
    theta: float,
) -> float:
    """P(typed genotypes) under Balding–Nichols founder sampling, no mutation.

    typed : person index -> (allele index, allele index) into `freqs` (shape (n,))
    """
    founders = [i for i in range(structure.size) if structure.is_founder(i)]
    non_founders = [i for i in range(structure.size) if not structure.is_founder(i)]
    if len(non_founders) > 12:
        raise ValueError("too many non-founders for the theta engine (at most 12 after pruning)")
    n_vectors = 1 << (2 * len(non_founders))
    origin = _origins(structure, founders, non_founders, n_vectors)

    observed = sorted({a for genotype in typed.values() for a in genotype})
    compact = {a: k for k, a in enumerate(observed)}
    people = sorted(typed)
    first = np.array([compact[typed[i][0]] for i in people])
    second = np.array([compact[typed[i][1]] for i in people])
    het = [k for k in range(len(people)) if first[k] != second[k]]
    n_orders = 1 << len(het)
    flip = np.zeros((n_orders, len(people)), dtype=bool)
    for bit, k in enumerate(het):
        flip[:, k] = (np.arange(n_orders) >> bit) & 1 == 1
    pat_values = np.where(flip, second, first)  # (O, T)
    mat_values = np.where(flip, first, second)

    n_founder_alleles = 2 * len(founders)
    weights = _bn_tables(freqs[observed], theta, n_founder_alleles)
    total = 0.0
    step = max(1, _CHUNK_ROWS // (n_orders * max(1, n_founder_alleles)))
    for start in range(0, n_vectors, step):
        chunk = origin[start : start + step]
        total += _chunk_sum(chunk, people, pat_values, mat_values, n_founder_alleles, weights)
    return total / n_vectors


def _origins(
    structure: Structure, founders: list[int], non_founders: list[int], n_vectors: int
) -> np.ndarray:
    """Founder-allele id of every allele, shape (V, persons, 2)."""
    origin = np.zeros((n_vectors, structure.size, 2), dtype=np.int16)
    for k, f in enumerate(founders):
        origin[:, f, 0] = 2 * k
        origin[:, f, 1] = 2 * k + 1
    vectors = np.arange(n_vectors)
    rows = np.arange(n_vectors)
    for j, child in enumerate(non_founders):
        for side, parent in ((0, structure.father[child]), (1, structure.mother[child])):
            bit = (vectors >> (2 * j + side)) & 1
            origin[:, child, side] = origin[rows, parent, bit]
    return origin


def _bn_tables(p: np.ndarray, theta: float, max_alleles: int) -> tuple[np.ndarray, np.ndarray]:
    """rising[a, m] = prod_{k<m} (k theta + (1-theta) p_a); denominator[N] = prod_{k<N}
    (1 + (k-1) theta). Shapes (A, max+1) and (max+1,)."""
    k = np.arange(max_alleles)
    terms = k[None, :] * theta + (1.0 - theta) * p[:, None]
    rising = np.concatenate([np.ones((len(p), 1)), np.cumprod(terms, axis=1)], axis=1)
    denominator = np.concatenate([[1.0], np.cumprod(1.0 + (k - 1) * theta)])
    return rising, denominator


def _chunk_sum(
    origin: np.ndarray,
    people: list[int],
    pat_values: np.ndarray,
    mat_values: np.ndarray,
    n_founder_alleles: int,
    weights: tuple[np.ndarray, np.ndarray],
) -> float:
    n_vec, n_orders = origin.shape[0], pat_values.shape[0]
    values = np.full((n_vec, n_orders, n_founder_alleles), -1, dtype=np.int16)
    ok = np.ones((n_vec, n_orders), dtype=bool)
    rows = np.arange(n_vec)[:, None]
    orders = np.arange(n_orders)[None, :]
    for k, person in enumerate(people):
        for side, wanted in ((0, pat_values[:, k]), (1, mat_values[:, k])):
            slot = origin[:, person, side][:, None]
            current = values[rows, orders, slot]
            ok &= (current < 0) | (current == wanted[None, :])
            values[rows, orders, slot] = wanted[None, :]
    if not ok.any():
        return 0.0
    values = values[ok]  # (R, K)
    rising, denominator = weights
    n_alleles = rising.shape[0]
    counts = np.zeros((values.shape[0], n_alleles), dtype=np.intp)
    for k in range(n_founder_alleles):
        column = values[:, k]
        assigned = column >= 0
        counts[assigned, column[assigned]] += 1
    prob = np.prod(rising[np.arange(n_alleles)[None, :], counts], axis=1)
    return float(np.sum(prob / denominator[counts.sum(axis=1)]))
