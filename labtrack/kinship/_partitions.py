"""Exact pedigree likelihood with theta AND mutation: a sum over the identity-by-descent
partitions of the founder alleles (the Pólya-urn / Chinese-restaurant form of Balding–Nichols).

Drawing K founder alleles with the Balding–Nichols formula is the same as: the i-th allele
(i alleles before it) starts a new block with probability (1-θ) / (1 + (i-1)θ), drawn from p, or
joins an existing block of size s (copying its allele) with probability sθ / (1 + (i-1)θ). So
    P = sum over set partitions π of the founder alleles of
        prod_blocks (1-θ) (s_b - 1)! θ^(s_b - 1) / prod_{i<K} (1 + (i-1)θ) x L(π),
where L(π) is the ordinary (θ = 0) pedigree likelihood, with mutation, in which the founder
alleles of one block are one allele. Bell(K) terms: limited to K <= 10 founder alleles.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

import numpy as np

from labtrack.kinship._peeling import peel
from labtrack.kinship._structure import Structure
from labtrack.kinship.mutation import Transmission

MAX_FOUNDER_ALLELES = 10


def partition_likelihood(
    structure: Structure,
    typed: Mapping[int, tuple[int, int]],
    freqs: np.ndarray,
    theta: float,
    mutation: np.ndarray | Transmission | None,
) -> float:
    """P(typed genotypes) with Balding–Nichols founders and a mutation matrix (n, n) or a
    Transmission (female and male matrices)."""
    slots = [(i, side) for i in range(structure.size) if structure.is_founder(i) for side in (0, 1)]
    if len(slots) > MAX_FOUNDER_ALLELES:
        raise ValueError(
            f"theta with mutation: {len(slots)} founder alleles after pruning, at most "
            f"{MAX_FOUNDER_ALLELES}"
        )
    arrays = {i: np.asarray([g], dtype=np.intp) for i, g in typed.items()}
    denominator = math.prod(1.0 + (i - 1) * theta for i in range(len(slots)))
    total = 0.0
    possible = [set(typed[i]) if i in typed else None for i, _ in slots]
    for blocks in set_partitions(len(slots)):
        if not all(_feasible(block, possible) for block in blocks):
            continue  # typed founders with no allele in common cannot share one
        weight = math.prod(
            (1.0 - theta) * math.factorial(len(b) - 1) * theta ** (len(b) - 1) for b in blocks
        )
        if weight == 0.0:
            continue
        ties = [[slots[k] for k in block] for block in blocks if len(block) > 1]
        total += weight * float(peel(structure, arrays, freqs, mutation, ties=ties)[0])
    return total / denominator


def _feasible(block: list[int], possible: list[set[int] | None]) -> bool:
    common: set[int] | None = None
    for k in block:
        if possible[k] is not None:
            common = set(possible[k]) if common is None else common & possible[k]
            if not common:
                return False
    return True


def set_partitions(n: int) -> Iterator[list[list[int]]]:
    """Every partition of {0, ..., n-1} into non-empty blocks (Bell(n) of them).

    >>> sum(1 for _ in set_partitions(4))
    15
    """
    if n == 0:
        yield []
        return
    for smaller in set_partitions(n - 1):
        for k in range(len(smaller)):
            yield [*smaller[:k], [*smaller[k], n - 1], *smaller[k + 1 :]]
        yield [*smaller, [n - 1]]
