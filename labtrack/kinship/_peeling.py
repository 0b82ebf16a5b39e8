"""Exact pedigree likelihood without theta: sum-product over allele variables with `np.einsum`.

Every untyped person has two allele variables (paternal, maternal; n states each); every typed
person has one phase variable (2 states: (a, b) or (b, a); the second is weighted 0 for a
homozygote). Factors: founder allele frequencies, one transmission factor per non-founder allele
(0.5 (M[father_pat, child] + M[father_mat, child])), phase weights. `np.einsum` with a greedy
contraction path performs the variable elimination (peeling). An optional batch axis `B` carries
several families with the same structure but different typed genotypes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from labtrack.kinship._structure import Structure
from labtrack.kinship.mutation import Transmission, as_transmission

_BATCH = 0


@dataclass(frozen=True)
class _Slot:
    """One allele of one person: einsum label, and allele index per state (k,) or (B, k)."""

    label: int
    lookup: np.ndarray
    batched: bool


def peel(
    structure: Structure,
    typed: Mapping[int, np.ndarray],
    freqs: np.ndarray,
    mutation: np.ndarray | Transmission | None = None,
    query: int | None = None,
    batch: int = 1,
    ties: Sequence[Sequence[tuple[int, int]]] = (),
) -> np.ndarray:
    """Joint probability of the typed genotypes (and of the query person's ordered genotype).

    structure : persons (all of them enter the computation)
    typed : person index -> int array shape (B, 2), allele indices into `freqs`
    freqs : float64, shape (n,), or (B, n) for per-family (e.g. lumped) frequencies
    mutation : float64, shape (n, n) (both sexes), a Transmission (the father's matrix for a
        child's paternal allele, the mother's for its maternal allele), or None (no mutation)
    query : index of an untyped person whose ordered genotype is kept, or None
    batch : B
    ties : groups of founder alleles (person index, 0 paternal / 1 maternal) that are one
        allele drawn once from `freqs` (identical by descent in the population: theta); every
        founder allele in no group is drawn on its own. Only with 1-D `freqs`.

    Returns float64 shape (B,) without query; shape (B, n, n) with query, entry [b, x, y] =
    P(typed genotypes of family b, query paternal allele x, query maternal allele y).
    """
    n = freqs.shape[-1]
    transmission = as_transmission(mutation)
    slots: dict[tuple[int, int], _Slot] = {}
    operands: list[object] = []
    label = _BATCH + 1
    for i in range(structure.size):
        if i in typed:
            genotypes = np.asarray(typed[i], dtype=np.intp).reshape(batch, 2)
            a, b = genotypes[:, 0], genotypes[:, 1]
            slots[i, 0] = _Slot(label, np.stack([a, b], axis=1), True)
            slots[i, 1] = _Slot(label, np.stack([b, a], axis=1), True)
            weight = np.stack([np.ones(batch), (a != b).astype(np.float64)], axis=1)
            operands += [weight, [_BATCH, label]]
            label += 1
        else:
            for side in (0, 1):
                slots[i, side] = _Slot(label, np.arange(n), False)
                label += 1
    tied = {slot: k for k, group in enumerate(ties) for slot in group}
    for group in ties:
        operands += [freqs, [label]]
        for slot in group:
            operands += _identity_factor(slots[slot], label, n)
        label += 1
    for i in range(structure.size):
        for side, parent in ((0, structure.father[i]), (1, structure.mother[i])):
            child = slots[i, side]
            if parent < 0:
                if (i, side) not in tied:
                    operands += _founder_factor(child, freqs)
            else:
                matrix = None if transmission is None else transmission.for_side(side)
                operands += _transmission_factor(
                    slots[parent, 0], slots[parent, 1], child, matrix, batch
                )
    output = [_BATCH]
    if query is not None:
        output += [slots[query, 0].label, slots[query, 1].label]
    operands += [np.ones(batch), [_BATCH]]
    factors = [
        _distinct(np.asarray(operands[k]), list(operands[k + 1]))  # type: ignore[arg-type]
        for k in range(0, len(operands), 2)
    ]
    return eliminate(factors, output)


Factor = tuple[np.ndarray, list[int]]


def _distinct(values: np.ndarray, labels: list[int]) -> Factor:
    """Take the diagonal over repeated labels (a typed parent's phase appears twice)."""
    unique = list(dict.fromkeys(labels))
    if len(unique) == len(labels):
        return values, labels
    return _contract([(values, labels)], unique), unique


def eliminate(factors: list[Factor], output: list[int]) -> np.ndarray:
    """Sum-product of `factors` down to the `output` labels by greedy variable elimination:
    each step sums out the variable whose new factor is smallest (batch axis included). The
    order depends only on the factors' labels and sizes: it is computed once per such signature
    and replayed (the exact path computes thousands of cases of a few pedigree shapes)."""
    signature = (tuple((tuple(labels), values.shape) for values, labels in factors), tuple(output))
    order = _ORDERS.get(signature)
    if order is None:
        order = _elimination_order(factors, output)
        if len(_ORDERS) >= _CACHE_SIZE:
            _ORDERS.clear()
        _ORDERS[signature] = order
    factors = list(factors)
    for label in order:
        involved = [f for f in factors if label in f[1]]
        factors = [f for f in factors if label not in f[1]]
        union = list(dict.fromkeys(x for f in involved for x in f[1] if x != label))
        factors.append((_contract(involved, union), union))
    return _contract(factors, output)


#: Cached elimination orders (bounded: cleared when full).
_CACHE_SIZE = 20_000
_ORDERS: dict[tuple, tuple[int, ...]] = {}


def _elimination_order(factors: list[Factor], output: list[int]) -> tuple[int, ...]:
    sizes: dict[int, int] = {}
    for values, labels in factors:
        sizes.update(zip(labels, values.shape, strict=True))
    pending = {label for _, labels in factors for label in labels} - set(output)
    scopes = [set(labels) for _, labels in factors]
    order = []
    while pending:
        best: tuple[int, int, int] | None = None
        for label in sorted(pending):
            involved = [s for s in scopes if label in s]
            union = set().union(*involved) - {label}
            cost = int(np.prod([sizes[x] for x in union], dtype=np.float64))
            if best is None or (cost, len(involved)) < (best[0], best[1]):
                best = (cost, len(involved), label)
        assert best is not None  # noqa: S101
        label = best[2]
        involved = [s for s in scopes if label in s]
        scopes = [s for s in scopes if label not in s] + [set().union(*involved) - {label}]
        pending.discard(label)
        order.append(label)
    return tuple(order)


def _contract(factors: list[Factor], output: list[int]) -> np.ndarray:
    """einsum of a few factors; labels renumbered locally (einsum accepts at most 52). More than
    two factors are folded pairwise, smallest first, each step keeping only the labels still
    needed (no einsum path search per call: the exact path calls this thousands of times)."""
    if len(factors) > 2:
        pending = sorted(factors, key=lambda f: f[0].size)
        values, labels = pending[0]
        for k in range(1, len(pending)):
            other, other_labels = pending[k]
            later = set(output).union(*(set(f[1]) for f in pending[k + 1:]))
            keep = [x for x in dict.fromkeys([*labels, *other_labels]) if x in later]
            values, labels = _contract([(values, labels), (other, other_labels)], keep), keep
        return _contract([(values, labels)], output)
    local: dict[int, int] = {}
    operands: list[object] = []
    for values, labels in factors:
        operands += [values, [local.setdefault(x, len(local)) for x in labels]]
    output = [local.setdefault(x, len(local)) for x in output]
    return np.einsum(*operands, output)


def _identity_factor(slot: _Slot, label: int, n: int) -> list[object]:
    """1 where the slot's allele equals the shared allele `label` (n states)."""
    values = (slot.lookup[..., None] == np.arange(n)).astype(np.float64)
    return [values, [_BATCH, slot.label, label] if slot.batched else [slot.label, label]]


def _founder_factor(slot: _Slot, freqs: np.ndarray) -> list[object]:
    if freqs.ndim == 1:
        labels = [_BATCH, slot.label] if slot.batched else [slot.label]
        return [freqs[slot.lookup], labels]
    lookup = np.broadcast_to(slot.lookup, (freqs.shape[0], slot.lookup.shape[-1]))
    return [np.take_along_axis(freqs, lookup, axis=1), [_BATCH, slot.label]]


def _transmission_factor(
    pat: _Slot, mat: _Slot, child: _Slot, mutation: np.ndarray | None, batch: int
) -> list[object]:
    """0.5 (M[pat, child] + M[mat, child]) over (parent pat, parent mat, child) states."""
    batched = pat.batched or mat.batched or child.batched

    def shaped(slot: _Slot) -> np.ndarray:
        lookup = slot.lookup
        if batched and not slot.batched:
            lookup = np.broadcast_to(lookup, (batch, len(lookup)))
        return lookup

    lp, lm, lc = shaped(pat), shaped(mat), shaped(child)
    if batched:
        xp, xm, xc = lp[:, :, None, None], lm[:, None, :, None], lc[:, None, None, :]
    else:
        xp, xm, xc = lp[:, None, None], lm[None, :, None], lc[None, None, :]
    if mutation is None:
        values = 0.5 * ((xp == xc).astype(np.float64) + (xm == xc))
    else:
        values = 0.5 * (mutation[xp, xc] + mutation[xm, xc])
    labels = [pat.label, mat.label, child.label]
    return [values, [_BATCH, *labels] if batched else labels]
