"""Mutation models (pedmut conventions): equal, proportional, stepwise.

A model gives, for one marker, the matrix M (shape (n, n), rows sum to 1) with M[i, j] the
probability that a parent's allele i is transmitted as allele j. It acts on every transmission.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from labtrack.kinship.markers import canonical_marker

MODELS = ("equal", "proportional", "stepwise")


@dataclass(frozen=True)
class MutationModel:
    """A mutation model: `kind` one of MODELS; `rate` per meiosis (both sexes), global or a dict
    marker -> rate (markers absent from the dict get `default_rate`); stepwise: `rate2` for
    changes between microvariant groups and `range` for the geometric decay per repeat."""

    kind: str
    rate: float | Mapping[str, float] = 0.0
    rate2: float = 1e-6
    range: float = 0.1
    default_rate: float = 0.0
    _rates: dict[str, float] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in MODELS:
            raise ValueError(f"unknown mutation model {self.kind!r}; expected one of {MODELS}")
        rates = (
            {canonical_marker(k): float(v) for k, v in self.rate.items()}
            if isinstance(self.rate, Mapping)
            else {}
        )
        for value in [*rates.values(), self.default_rate, self.rate2, self.range]:
            if not 0 <= value < 1:
                raise ValueError(f"mutation parameter {value} is not in [0, 1)")
        if not isinstance(self.rate, Mapping) and not 0 <= float(self.rate) < 1:
            raise ValueError(f"mutation rate {self.rate} is not in [0, 1)")
        object.__setattr__(self, "_rates", rates)

    def rate_for(self, marker: str) -> float:
        """The mutation rate of `marker`."""
        if isinstance(self.rate, Mapping):
            return self._rates.get(canonical_marker(marker), self.default_rate)
        return float(self.rate)

    def matrix(self, marker: str, alleles: Sequence[str], freqs: np.ndarray) -> np.ndarray:
        """Mutation matrix of `marker` for these alleles/frequencies: float64, shape (n, n)."""
        rate = self.rate_for(marker)
        if self.kind == "equal":
            return equal_matrix(len(alleles), rate)
        if self.kind == "proportional":
            return proportional_matrix(freqs, rate)
        return stepwise_matrix(alleles, rate, self.rate2, self.range)


def equal_matrix(n: int, rate: float) -> np.ndarray:
    """Equal model: M[i, i] = 1 - r, M[i, j] = r / (n - 1). Shape (n, n)."""
    if n == 1:
        return np.ones((1, 1))
    m = np.full((n, n), rate / (n - 1))
    np.fill_diagonal(m, 1.0 - rate)
    return m


def proportional_matrix(freqs: np.ndarray, rate: float) -> np.ndarray:
    """Proportional model: a = r / sum_k p_k (1 - p_k); M = (1 - a) I + a 1 p^T. Shape (n, n)."""
    p = np.asarray(freqs, dtype=np.float64)
    denominator = float(np.sum(p * (1.0 - p)))
    a = rate / denominator if denominator > 0 else 0.0
    return (1.0 - a) * np.eye(len(p)) + a * np.broadcast_to(p, (len(p), len(p)))


def stepwise_matrix(
    alleles: Sequence[str], rate: float, rate2: float = 1e-6, range_: float = 0.1
) -> np.ndarray:
    """Stepwise model (pedmut 'stepwise'), alleles read as numbers; shape (n, n).

    The microvariant group of x is round(10 (x - round(x))). For row i: C = other alleles of
    i's group, D = alleles of other groups. M[i, j] = r2 / |D| for j in D;
    M[i, j] = r range^|x_i - x_j| / sum_{k in C} range^|x_i - x_k| for j in C; diagonal 1 - r
    if D is empty, 1 - r2 if C is empty, else 1 - r - r2.
    """
    try:
        x = np.array([float(a) for a in alleles])
    except ValueError as exc:
        raise ValueError(f"stepwise mutation needs numeric alleles: {exc}") from exc
    group = np.round(10 * (x - np.round(x)))
    n = len(x)
    m = np.zeros((n, n))
    for i in range(n):
        same = group == group[i]
        same[i] = False
        other = group != group[i]
        n_c, n_d = int(same.sum()), int(other.sum())
        if n_d:
            m[i, other] = rate2 / n_d
        if n_c:
            weights = range_ ** np.abs(x[i] - x[same])
            m[i, same] = rate * weights / weights.sum()
        if n_d == 0 and n_c == 0:
            m[i, i] = 1.0
        elif n_d == 0:
            m[i, i] = 1.0 - rate
        elif n_c == 0:
            m[i, i] = 1.0 - rate2
        else:
            m[i, i] = 1.0 - rate - rate2
    return m
