"""Variable elimination by `np.einsum`: the sum-product of small factors down to a few labels.

`eliminate` sums out one variable at a time, greedily the one whose new factor is smallest, each
contraction folded pairwise (`_contract`). Which einsum calls that takes depends only on the
factors' labels and shapes, so it is recorded once per such signature as a `Program` of steps and
replayed: the same np.einsum calls on the same operands, the same result to the last bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

try:  # what np.einsum calls without `optimize` (the same computation, without the wrapper's cost)
    from numpy._core.multiarray import c_einsum as _einsum
except ImportError:  # pragma: no cover - another NumPy layout
    _einsum = np.einsum

Factor = tuple[np.ndarray, list[int]]


def eliminate(factors: list[Factor], output: list[int]) -> np.ndarray:
    """Sum-product of `factors` down to the `output` labels by greedy variable elimination:
    each step sums out the variable whose new factor is smallest (batch axis included).

    Which einsum calls that takes (the elimination order, then each contraction's operands,
    subscripts and pairwise folding, `contract`) depends only on the factors' labels and
    shapes: it is worked out once per such signature, recorded as a `Program`, and replayed
    for every later call with the same signature (the exact path computes thousands of cases
    of a few pedigree shapes). A replay makes the same np.einsum calls on the same operands as
    the first call, so its result is the same to the last bit (`eliminate_direct` is the
    unrecorded reference, kept for the tests)."""
    return program_for(factors, output).run([values for values, _ in factors])


def program_for(factors: list[Factor], output: list[int]) -> Program:
    """The recorded program of these factors' signature (recorded now if new)."""
    signature = (tuple((tuple(labels), values.shape) for values, labels in factors), tuple(output))
    program = _PROGRAMS.get(signature)
    if program is None:
        program = _record(factors, output, _elimination_order(factors, output))
        if len(_PROGRAMS) >= _CACHE_SIZE:
            _PROGRAMS.clear()
        _PROGRAMS[signature] = program
    return program


#: Recorded einsum programs by factor signature (bounded: cleared when full).
_CACHE_SIZE = 20_000


@dataclass(frozen=True)
class Step:
    """One np.einsum call: operand positions in the program's value list, their subscripts
    (local labels) and the output subscripts; its result is appended to the list."""

    operands: tuple[int, ...]
    subscripts: tuple[list[int], ...]
    output: list[int]

    def apply(self, values: list[np.ndarray]) -> np.ndarray:
        if len(self.operands) == 2:
            first, second = self.operands
            return _einsum(values[first], self.subscripts[0], values[second], self.subscripts[1], self.output)
        arguments: list[object] = []
        for position, subscripts in zip(self.operands, self.subscripts, strict=True):
            arguments += [values[position], subscripts]
        return _einsum(*arguments, self.output)


@dataclass(frozen=True)
class Program:
    """The einsum calls of one elimination; `result`: the position of the final value."""

    steps: tuple[Step, ...]
    result: int

    def run(self, values: list[np.ndarray]) -> np.ndarray:
        values = list(values)
        for step in self.steps:
            values.append(step.apply(values))
        return values[self.result]


_PROGRAMS: dict[tuple, Program] = {}


def _record(factors: list[Factor], output: list[int], order: tuple[int, ...]) -> Program:
    """The program of `eliminate_direct` on these factors: the same contractions in the same
    order with the same operands (positions instead of arrays; sizes from the shapes). A
    contraction of one operand to its own labels, which np.einsum answers with a view of the
    operand (same data, same strides), is left out: its operand is used in its place."""
    sizes: dict[int, int] = {}
    for values, labels in factors:
        sizes.update(zip(labels, values.shape, strict=True))
    n_values = len(factors)
    value_size = [int(values.size) for values, _ in factors]
    steps: list[Step] = []

    def contract(items: list[tuple[int, list[int]]], out: list[int]) -> int:
        nonlocal n_values
        if len(items) > 2:
            pending = sorted(items, key=lambda f: value_size[f[0]])
            position, labels = pending[0]
            for k in range(1, len(pending)):
                other, other_labels = pending[k]
                later = set(out).union(*(set(f[1]) for f in pending[k + 1:]))
                keep = [x for x in dict.fromkeys([*labels, *other_labels]) if x in later]
                position, labels = contract([(position, labels), (other, other_labels)], keep), keep
            return contract([(position, labels)], out)
        if len(items) == 1 and items[0][1] == list(out) and len(set(out)) == len(out):
            return items[0][0]  # einsum would return a view of it, same data and strides: no step
        local: dict[int, int] = {}
        subscripts = tuple([local.setdefault(x, len(local)) for x in labels] for _, labels in items)
        steps.append(Step(tuple(p for p, _ in items), subscripts, [local.setdefault(x, len(local)) for x in out]))
        value_size.append(int(np.prod([sizes[x] for x in out], dtype=np.int64)))
        n_values += 1
        return n_values - 1

    current = [(k, list(labels)) for k, (_, labels) in enumerate(factors)]
    for label in order:
        involved = [f for f in current if label in f[1]]
        current = [f for f in current if label not in f[1]]
        union = list(dict.fromkeys(x for f in involved for x in f[1] if x != label))
        current.append((contract(involved, union), union))
    result = contract(current, output)
    return Program(tuple(steps), result)


def eliminate_direct(factors: list[Factor], output: list[int]) -> np.ndarray:
    """`eliminate` without the recorded programs: the reference its replays are tested against."""
    order = _elimination_order(factors, output)
    factors = list(factors)
    for label in order:
        involved = [f for f in factors if label in f[1]]
        factors = [f for f in factors if label not in f[1]]
        union = list(dict.fromkeys(x for f in involved for x in f[1] if x != label))
        factors.append((contract(involved, union), union))
    return contract(factors, output)


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


def contract(factors: list[Factor], output: list[int]) -> np.ndarray:
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
            values, labels = contract([(values, labels), (other, other_labels)], keep), keep
        return contract([(values, labels)], output)
    local: dict[int, int] = {}
    operands: list[object] = []
    for values, labels in factors:
        operands += [values, [local.setdefault(x, len(local)) for x in labels]]
    output = [local.setdefault(x, len(local)) for x in output]
    return np.einsum(*operands, output)
