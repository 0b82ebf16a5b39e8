"""Exact pedigree likelihood with theta AND mutation: a sum over the identity-by-descent
partitions of the founder alleles (the Pólya-urn / Chinese-restaurant form of Balding–Nichols).

Drawing K founder alleles with the Balding–Nichols formula is the same as: the i-th allele
(i alleles before it) starts a new block with probability (1-θ) / (1 + (i-1)θ), drawn from p, or
joins an existing block of size s (copying its allele) with probability sθ / (1 + (i-1)θ). So
    P = sum over set partitions π of the founder alleles of
        prod_blocks (1-θ) (s_b - 1)! θ^(s_b - 1) / prod_{i<K} (1 + (i-1)θ) x L(π),
where L(π) is the ordinary (θ = 0) pedigree likelihood, with mutation, in which the founder
alleles of one block are one allele. Bell(K) terms, computed once per orbit under swapping the
two alleles of a founder (`partition_orbits`: 10,457 passes instead of 115,975 at K = 10);
limited to K <= 10 founder alleles.

`partition_query_joint` is the same sum with one person's ordered genotype kept, batched over
families: the blind-search tables under theta and a mutation model together.
"""

from __future__ import annotations

import functools
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
    slots = founder_slots(structure)
    if len(slots) > MAX_FOUNDER_ALLELES:
        raise ValueError(
            f"theta with mutation: {len(slots)} founder alleles after pruning, at most "
            f"{MAX_FOUNDER_ALLELES}"
        )
    arrays = {i: np.asarray([g], dtype=np.intp) for i, g in typed.items()}
    denominator = math.prod(1.0 + (i - 1) * theta for i in range(len(slots)))
    total = 0.0
    possible = [set(typed[i]) if i in typed else None for i, _ in slots]
    for blocks, size in partition_orbits(len(slots) // 2):
        if not all(_feasible(block, possible) for block in blocks):
            continue  # typed founders with no allele in common cannot share one
        weight = size * math.prod(
            (1.0 - theta) * math.factorial(len(b) - 1) * theta ** (len(b) - 1) for b in blocks
        )
        if weight == 0.0:
            continue
        ties = [[slots[k] for k in block] for block in blocks if len(block) > 1]
        total += weight * float(peel(structure, arrays, freqs, mutation, ties=ties)[0])
    return total / denominator


def partition_query_joint(
    structure: Structure,
    typed: Mapping[int, np.ndarray],
    query: int,
    freqs: np.ndarray,
    theta: float,
    mutation: np.ndarray | Transmission | None,
    batch: int,
) -> np.ndarray:
    """P(typed genotypes, query's ordered genotype) with Balding–Nichols founders and a mutation
    model, for `batch` families of one structure at once: float64 (B, n, n).

    typed : person index -> int (B, 2) allele indices; query : an untyped person (founder or not)
    whose two alleles are left free. The same partition sum as `partition_likelihood`, each term
    one batched peeling pass with the query's genotype kept (a founder query's alleles take part
    in the partitions like every other founder allele). A partition is skipped only when it is
    impossible for every family of the batch (typed founders of one block with no allele in
    common)."""
    slots = founder_slots(structure)
    if len(slots) > MAX_FOUNDER_ALLELES:
        raise ValueError(
            f"theta with mutation: {len(slots)} founder alleles after pruning, at most "
            f"{MAX_FOUNDER_ALLELES}"
        )
    arrays = {i: np.asarray(g, dtype=np.intp).reshape(batch, 2) for i, g in typed.items()}
    denominator = math.prod(1.0 + (i - 1) * theta for i in range(len(slots)))
    n = freqs.shape[-1]
    total = np.zeros((batch, n, n))
    founders = [i for i, side in slots if side == 0]
    fixed = founders.index(query) if query in founders else None
    for blocks, size in partition_orbits(len(founders), fixed):
        if not all(_feasible_somewhere([slots[k][0] for k in block], arrays) for block in blocks):
            continue
        weight = size * math.prod(
            (1.0 - theta) * math.factorial(len(b) - 1) * theta ** (len(b) - 1) for b in blocks
        )
        if weight == 0.0:
            continue
        ties = [[slots[k] for k in block] for block in blocks if len(block) > 1]
        total += weight * peel(structure, arrays, freqs, mutation, query=query, batch=batch, ties=ties)
    return total / denominator


@functools.lru_cache(maxsize=64)
def partition_orbits(n_pairs: int, fixed: int | None = None) -> tuple[tuple[tuple[tuple[int, ...], ...], int], ...]:
    """The set partitions of 2 n_pairs founder alleles up to swapping the two alleles of a founder
    (slots 2k and 2k+1 are founder k's), each with the number of partitions in its orbit.

    The likelihood of a partition does not change when a founder's two alleles swap blocks (an
    untyped founder passes either allele with probability 1/2 whatever its sex's mutation model;
    a typed founder's phase is summed over), so one peeling pass per orbit, weighted by its size,
    gives the same sum with up to 2^n_pairs times fewer passes. `fixed`: a founder whose alleles
    must not swap (the query person, whose ordered genotype is kept).

    >>> [size for _, size in partition_orbits(1)]
    [1, 1]
    >>> sum(size for _, size in partition_orbits(3)) == sum(1 for _ in set_partitions(6))
    True
    """
    n = 2 * n_pairs
    if n == 0:
        return (((), 1),)
    labels = np.asarray([_growth_string(blocks, n) for blocks in set_partitions(n)], dtype=np.int64)
    labels = np.ascontiguousarray(labels)
    swappable = [k for k in range(n_pairs) if k != fixed]
    best: np.ndarray | None = None
    for mask in range(1 << len(swappable)):
        perm = np.arange(n)
        for bit, k in enumerate(swappable):
            if mask >> bit & 1:
                perm[[2 * k, 2 * k + 1]] = perm[[2 * k + 1, 2 * k]]
        image = np.empty_like(labels)
        image[:, perm] = labels  # slot s's block goes to slot perm[s]
        code = _code(_renumbered(image))
        best = code if best is None else np.minimum(best, code)
    assert best is not None  # noqa: S101
    codes, sizes = np.unique(best, return_counts=True)
    return tuple((_blocks(int(code), n), int(size)) for code, size in zip(codes, sizes, strict=True))


def _growth_string(blocks: list[list[int]], n: int) -> list[int]:
    out = [0] * n
    for b, block in enumerate(blocks):
        for s in block:
            out[s] = b
    return out


def _renumbered(labels: np.ndarray) -> np.ndarray:
    """Block labels renumbered by first appearance (restricted growth strings), per row."""
    n_rows, n = labels.shape
    base = np.arange(n_rows) * n
    mapping = np.full(n_rows * n, -1, dtype=np.int64)
    counter = np.zeros(n_rows, dtype=np.int64)
    out = np.empty_like(labels)
    for s in range(n):
        where = base + labels[:, s]
        seen = mapping[where]
        fresh = seen < 0
        new = np.where(fresh, counter, seen)
        mapping[where] = new
        counter += fresh
        out[:, s] = new
    return out


def _code(labels: np.ndarray) -> np.ndarray:
    n = labels.shape[1]
    return (labels * (n ** np.arange(n - 1, -1, -1))).sum(axis=1)


def _blocks(code: int, n: int) -> tuple[tuple[int, ...], ...]:
    digits = [(code // n ** (n - 1 - s)) % n for s in range(n)]
    return tuple(tuple(s for s in range(n) if digits[s] == b) for b in range(max(digits) + 1))


def founder_slots(structure: Structure) -> list[tuple[int, int]]:
    """The founder alleles of `structure`: (person index, 0 paternal / 1 maternal)."""
    return [(i, side) for i in range(structure.size) if structure.is_founder(i) for side in (0, 1)]


def _feasible_somewhere(persons: list[int], typed: Mapping[int, np.ndarray]) -> bool:
    """Whether, in at least one family, the typed founders among `persons` share an allele."""
    genotypes = [typed[i] for i in dict.fromkeys(persons) if i in typed]
    if len(genotypes) < 2:
        return True
    first = genotypes[0]
    common = [first[:, 0], first[:, 1]]  # candidate shared alleles per family (B,) each
    ok = np.zeros(first.shape[0], dtype=bool)
    for allele in common:
        shared = np.ones(first.shape[0], dtype=bool)
        for other in genotypes[1:]:
            shared &= (other[:, 0] == allele) | (other[:, 1] == allele)
        ok |= shared
    return bool(ok.any())


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
