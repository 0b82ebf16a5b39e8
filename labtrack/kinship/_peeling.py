"""Exact pedigree likelihood without theta: sum-product over allele variables with `np.einsum`.

Every untyped person has two allele variables (paternal, maternal; n states each); every typed
person has one phase variable (2 states: (a, b) or (b, a); the second is weighted 0 for a
homozygote). Factors: founder allele frequencies, one transmission factor per non-founder allele
(0.5 (M[father_pat, child] + M[father_mat, child])), phase weights. `np.einsum` with a greedy
contraction path performs the variable elimination (peeling). An optional batch axis `B` carries
several families with the same structure but different typed genotypes.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from labtrack.kinship._elimination import Factor, Program, Step, contract, eliminate_direct, program_for
from labtrack.kinship._structure import Structure
from labtrack.kinship.mutation import Transmission, as_transmission

_BATCH = 0
#: A typed person's two phases: its alleles as given (paternal, maternal) and swapped.
_AS_TYPED = np.array([0, 1])
_SWAPPED = np.array([1, 0])


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

    What the factors are made of and which einsum calls eliminate them depends only on the
    structure, who is typed, n, B, the query, whether there is mutation, the frequencies' shape
    and the ties: that is worked out once (`_Plan`) and replayed; each call only fills in the
    typed alleles, frequencies and matrices. The result is the same to the last bit as
    `peel_direct`'s, which builds everything on each call (kept as the tests' reference).
    """
    n = freqs.shape[-1]
    transmission = as_transmission(mutation)
    key = (structure, tuple(sorted(typed)), n, batch, query, transmission is None, freqs.shape,
           tuple(tuple((int(i), int(side)) for i, side in group) for group in ties))
    plan = _PLANS.get(key)
    if plan is None:
        plan = _Plan.build(structure, set(typed), n, batch, query, transmission is None, freqs.ndim,
                           key[-1])
        if len(_PLANS) >= _PLANS_SIZE:
            _PLANS.clear()
        _PLANS[key] = plan
    return plan.run(typed, freqs, transmission)


def peel_direct(
    structure: Structure,
    typed: Mapping[int, np.ndarray],
    freqs: np.ndarray,
    mutation: np.ndarray | Transmission | None = None,
    query: int | None = None,
    batch: int = 1,
    ties: Sequence[Sequence[tuple[int, int]]] = (),
) -> np.ndarray:
    """`peel` without its plans: every factor built and eliminated afresh on each call (the
    reference its plans are tested against, bit for bit)."""
    n = freqs.shape[-1]
    transmission = as_transmission(mutation)
    slots: dict[tuple[int, int], _Slot] = {}
    operands: list[object] = []
    label = _BATCH + 1
    for i in range(structure.size):
        if i in typed:
            genotypes = np.asarray(typed[i], dtype=np.intp).reshape(batch, 2)
            slots[i, 0] = _Slot(label, genotypes[:, _AS_TYPED], True)
            slots[i, 1] = _Slot(label, genotypes[:, _SWAPPED], True)
            weight = np.ones((batch, 2))
            weight[:, 1] = genotypes[:, 0] != genotypes[:, 1]
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
    return eliminate_direct(factors, output)


def _distinct(values: np.ndarray, labels: list[int]) -> Factor:
    """Take the diagonal over repeated labels (a typed parent's phase appears twice)."""
    unique = list(dict.fromkeys(labels))
    if len(unique) == len(labels):
        return values, labels
    return contract([(values, labels)], unique), unique


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


#: What a factor is made of on each call: (typed lookups, frequencies, transmission) -> values.
_Maker = Callable[[dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]], np.ndarray, Transmission | None],
                  np.ndarray]


class _Plan:
    """`peel_direct`'s factors for one key of `peel`: their labels, how each one's values are made
    (arrays that depend on nothing but n and B made once and shared, read-only), the diagonals
    `_distinct` takes and, after the first call, the elimination program."""

    def __init__(self, batch: int, people: tuple[int, ...], makers: list[_Maker],
                 labels: list[list[int]], output: list[int]) -> None:
        self.batch = batch
        self.people = people
        self.makers = makers
        self.diagonals = [(k, step) for k, lab in enumerate(labels) if (step := _diagonal(lab)) is not None]
        self.labels = [list(dict.fromkeys(lab)) for lab in labels]
        self.output = output
        self.program: Program | None = None

    @classmethod
    def build(cls, structure: Structure, typed: set[int], n: int, batch: int, query: int | None,
              no_mutation: bool, freqs_ndim: int, ties: tuple[tuple[tuple[int, int], ...], ...]) -> _Plan:
        """The same factors, in the same order with the same labels, as `peel_direct` makes."""
        states = _constant(np.arange(n))
        slots: dict[tuple[int, int], _PlanSlot] = {}
        makers: list[_Maker] = []
        labels: list[list[int]] = []
        label = _BATCH + 1
        for i in range(structure.size):
            if i in typed:
                slots[i, 0], slots[i, 1] = (label, i, 1), (label, i, 2)
                makers.append(functools.partial(_one_weight, i) if batch == 1 else functools.partial(_weight, i, batch))
                labels.append([_BATCH, label])
                label += 1
            else:
                for side in (0, 1):
                    slots[i, side] = (label, None, 0)
                    label += 1

        tied = {slot for group in ties for slot in group}
        for group in ties:
            makers.append(_frequencies)
            labels.append([label])
            for slot in group:
                own, person, _ = slots[slot]
                if person is None:
                    makers.append(_shared(_constant((states[..., None] == np.arange(n)).astype(np.float64))))
                    labels.append([own, label])
                else:
                    makers.append(functools.partial(_identity, _lookup(slots[slot], states), n))
                    labels.append([_BATCH, own, label])
            label += 1
        for i in range(structure.size):
            for side, parent in ((0, structure.father[i]), (1, structure.mother[i])):
                child = slots[i, side]
                if parent >= 0:
                    trio = (slots[parent, 0], slots[parent, 1], child)
                    batched = any(slot[1] is not None for slot in trio)
                    labels.append([_BATCH, *(s[0] for s in trio)] if batched else [s[0] for s in trio])
                    makers.append(_transmission_maker(trio, side, states, batch, no_mutation))
                elif (i, side) not in tied:
                    makers.append(functools.partial(_founder, _lookup(child, states)))
                    labels.append([_BATCH, child[0]] if child[1] is not None or freqs_ndim != 1 else [child[0]])
        output = [_BATCH]
        if query is not None:
            output += [slots[query, 0][0], slots[query, 1][0]]
        makers.append(_shared(_constant(np.ones(batch))))
        labels.append([_BATCH])
        return cls(batch, tuple(sorted(typed)), makers, labels, output)

    def run(self, typed: Mapping[int, np.ndarray], freqs: np.ndarray, transmission: Transmission | None) -> np.ndarray:
        lookups = {}
        for i in self.people:
            genotypes = np.asarray(typed[i], dtype=np.intp).reshape(self.batch, 2)
            lookups[i] = (genotypes, genotypes[:, _AS_TYPED], genotypes[:, _SWAPPED])
        values = [make(lookups, freqs, transmission) for make in self.makers]
        for k, diagonal in self.diagonals:
            values[k] = diagonal.apply([values[k]])
        if self.program is None:
            self.program = program_for(list(zip(values, self.labels, strict=True)), self.output)
        result = self.program.run(values)
        # an einsum may hand back a view of its operand: never one of the plan's shared arrays
        return result if result.flags.writeable else result.copy()


#: Plans of `peel` by key (bounded: cleared when full).
_PLANS: dict[tuple, _Plan] = {}
_PLANS_SIZE = 20_000


#: A slot of a plan: (label, typed person or None for an untyped one, 1 as typed / 2 swapped / 0).
_PlanSlot = tuple[int, int | None, int]


def _lookup(slot: _PlanSlot, states: np.ndarray) -> Callable[[dict], np.ndarray]:
    """The slot's allele per state: every allele (untyped), or this call's phase of a typed person."""
    _, person, phase = slot
    if person is None:
        return lambda lookups: states
    return lambda lookups: lookups[person][phase]


def _shared(values: np.ndarray) -> _Maker:
    """A factor whose values are the same on every call."""
    return lambda lookups, freqs, transmission: values


def _transmission_maker(trio: tuple[_PlanSlot, _PlanSlot, _PlanSlot], side: int, states: np.ndarray, batch: int,
                        no_mutation: bool) -> _Maker:
    """`_transmission_factor` of (parent paternal, parent maternal, child) as a maker: without a
    typed slot its index grids (and without mutation its values) are made once."""
    if all(slot[1] is None for slot in trio):
        grid = _constant(states[:, None, None]), _constant(states[None, :, None]), _constant(states[None, None, :])
        if no_mutation:
            return _shared(_constant(0.5 * ((grid[0] == grid[2]).astype(np.float64) + (grid[1] == grid[2]))))
        return functools.partial(_mutated, grid, side)
    every = np.broadcast_to(states, (batch, len(states)))  # a read-only view, as peel_direct makes it
    grids = tuple((None, slot[1], slot[2]) if slot[1] is not None else (every[_GRID[k]], None, 0)
                  for k, slot in enumerate(trio))
    if no_mutation and batch == 1:  # one case's factor depends on a few alleles (a batch's on all of them)
        return functools.partial(_remembered_transmission, grids, side, next(_TOKENS))
    return functools.partial(_batched_transmission, grids, side)


def _constant(values: np.ndarray) -> np.ndarray:
    """An array shared by every call of a plan (read-only)."""
    values = np.ascontiguousarray(values)
    values.flags.writeable = False
    return values


def _diagonal(labels: list[int]) -> Step | None:
    """`_distinct` as a step: the einsum taking the diagonal over repeated labels, or None."""
    unique = list(dict.fromkeys(labels))
    if len(unique) == len(labels):
        return None
    local: dict[int, int] = {}
    subscripts = [local.setdefault(x, len(local)) for x in labels]
    return Step((0,), (subscripts,), [local.setdefault(x, len(local)) for x in unique])


def _weight(person: int, batch: int, lookups: dict, freqs: np.ndarray, transmission: Transmission | None) -> np.ndarray:
    genotypes = lookups[person][0]
    weight = np.ones((batch, 2))
    weight[:, 1] = genotypes[:, 0] != genotypes[:, 1]
    return weight


#: A typed person's phase weights for one family: homozygote (the swapped phase is the same
#: genotype, weight 0) and heterozygote; what `_weight` makes for B = 1.
_PHASES = (_constant(np.array([[1.0, 0.0]])), _constant(np.array([[1.0, 1.0]])))


def _one_weight(person: int, lookups: dict, freqs: np.ndarray, transmission: Transmission | None) -> np.ndarray:
    genotypes = lookups[person][0]
    return _PHASES[int(genotypes[0, 0] != genotypes[0, 1])]


def _frequencies(lookups: dict, freqs: np.ndarray, transmission: Transmission | None) -> np.ndarray:
    return freqs


def _identity(lookup: Callable[[dict], np.ndarray], n: int, lookups: dict, freqs: np.ndarray,
              transmission: Transmission | None) -> np.ndarray:
    return (lookup(lookups)[..., None] == np.arange(n)).astype(np.float64)


def _founder(lookup: Callable[[dict], np.ndarray], lookups: dict, freqs: np.ndarray,
             transmission: Transmission | None) -> np.ndarray:
    states = lookup(lookups)
    if freqs.ndim == 1:
        return freqs[states]
    return np.take_along_axis(freqs, np.broadcast_to(states, (freqs.shape[0], states.shape[-1])), axis=1)


def _mutated(grid: tuple[np.ndarray, np.ndarray, np.ndarray], side: int, lookups: dict, freqs: np.ndarray,
             transmission: Transmission | None) -> np.ndarray:
    assert transmission is not None  # noqa: S101 (the plan's key says there is mutation)
    matrix = transmission.for_side(side)
    # matrix[xp, xc] + matrix[xm, xc] over the full grids, by views instead of fancy indexing
    # (the same elements and operations; made C-ordered as the indexed arrays are)
    return np.ascontiguousarray(0.5 * (matrix[:, None, :] + matrix[None, :, :]))


#: Where a parent's paternal, maternal and the child's allele go in a batched transmission factor.
_GRID = ((slice(None), slice(None), None, None), (slice(None), None, slice(None), None),
         (slice(None), None, None, slice(None)))


def _batched_transmission(grids: tuple[tuple[np.ndarray | None, int | None, int], ...], side: int, lookups: dict,
                          freqs: np.ndarray, transmission: Transmission | None) -> np.ndarray:
    """`_transmission_factor` with a batch axis: a free slot's grid is made once (`grids`: (grid,
    None, 0)); a typed slot's (None, person, phase) comes from this call's genotypes."""
    xp, xm, xc = (grid if grid is not None else lookups[person][phase][_GRID[k]]
                  for k, (grid, person, phase) in enumerate(grids))
    if transmission is None:
        return 0.5 * ((xp == xc).astype(np.float64) + (xm == xc))
    matrix = transmission.for_side(side)
    return 0.5 * (matrix[xp, xc] + matrix[xm, xc])


def _remembered_transmission(grids: tuple[tuple[np.ndarray | None, int | None, int], ...], side: int,
                             token: int, lookups: dict, freqs: np.ndarray,
                             transmission: Transmission | None) -> np.ndarray:
    """`_batched_transmission` of one case without mutation: its values depend only on the typed
    persons' alleles, so a small outcome is kept (read-only) for the next call of this factor
    (`token`) with the same alleles."""
    key = (token, b"".join(lookups[person][0].tobytes() for grid, person, _ in grids if grid is None))
    values = _TRANSMISSIONS.get(key)
    if values is None:
        values = _batched_transmission(grids, side, lookups, freqs, transmission)
        if values.size <= _KEPT_VALUES:
            values.flags.writeable = False
            if len(_TRANSMISSIONS) >= _TRANSMISSIONS_SIZE:
                _TRANSMISSIONS.clear()
            _TRANSMISSIONS[key] = values
    return values


#: Kept transmission factors of single cases by (factor, typed alleles): at most
#: _TRANSMISSIONS_SIZE of at most _KEPT_VALUES numbers each (under 200 MB); cleared when full.
_TRANSMISSIONS: dict[tuple[int, bytes], np.ndarray] = {}
_TRANSMISSIONS_SIZE = 20_000
_KEPT_VALUES = 1_000
_TOKENS = itertools.count()
