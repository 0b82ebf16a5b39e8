"""Mutation models (pedmut conventions): equal, proportional, stepwise.

A model gives, for one marker, the matrix M (shape (n, n), rows sum to 1) with M[i, j] the
probability that a parent's allele i is transmitted as allele j. Female and male transmissions
may have their own rates (paternal transmissions mutate several times more often at most STR
loci): `MutationModel.transmission` gives both matrices as a `Transmission`, and the engine uses
the male one for every allele a child receives from its father, the female one for its mother's.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from labtrack.kinship.markers import canonical_marker

MODELS = ("equal", "proportional", "stepwise")
SEXES = ("female", "male")

Rates = float | Mapping[str, float]


@dataclass(frozen=True)
class Transmission:
    """The mutation matrices of one marker: `female` for alleles a mother transmits, `male` for
    alleles a father transmits; float64, shape (n, n), rows summing to 1."""

    female: np.ndarray
    male: np.ndarray

    @classmethod
    def same(cls, matrix: np.ndarray) -> Transmission:
        """One matrix for both sexes."""
        return cls(matrix, matrix)

    def is_identity(self) -> bool:
        n = len(self.female)
        return bool(np.array_equal(self.female, np.eye(n)) and np.array_equal(self.male, np.eye(n)))

    def for_side(self, side: int) -> np.ndarray:
        """The matrix of a child's paternal (side 0: from the father) or maternal (1) allele."""
        return self.male if side == 0 else self.female


def as_transmission(mutation: np.ndarray | Transmission | None) -> Transmission | None:
    """A matrix (both sexes), a Transmission, or None (no mutation)."""
    if mutation is None or isinstance(mutation, Transmission):
        return mutation
    return Transmission.same(np.asarray(mutation, dtype=np.float64))


@dataclass(frozen=True)
class MutationModel:
    """A mutation model: `kind` one of MODELS; `rate` per meiosis, global or a dict marker ->
    rate (markers absent from the dict get `default_rate`); `female_rate` / `male_rate` (same
    forms) replace `rate` for that sex's transmissions when given; stepwise: `rate2` for changes
    between microvariant groups and `range` for the geometric decay per repeat."""

    kind: str
    rate: Rates = 0.0
    rate2: float = 1e-6
    range: float = 0.1
    default_rate: float = 0.0
    female_rate: Rates | None = None
    male_rate: Rates | None = None
    _rates: dict[str, dict[str, float]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in MODELS:
            raise ValueError(f"unknown mutation model {self.kind!r}; expected one of {MODELS}")
        rates: dict[str, dict[str, float]] = {}
        for name, value in (("rate", self.rate), ("female_rate", self.female_rate),
                            ("male_rate", self.male_rate)):
            if isinstance(value, Mapping):
                rates[name] = {canonical_marker(k): _checked(float(v), name) for k, v in value.items()}
            elif value is not None:
                _checked(float(value), name)
        for name in ("default_rate", "rate2", "range"):
            _checked(float(getattr(self, name)), name)
        object.__setattr__(self, "_rates", rates)

    def rate_for(self, marker: str, sex: str | None = None) -> float:
        """The mutation rate of `marker` (for transmissions by a parent of `sex`, if given; with
        no sex, the mean of the two)."""
        if sex is None:
            return 0.5 * (self.rate_for(marker, "female") + self.rate_for(marker, "male"))
        if sex not in SEXES:
            raise ValueError(f"unknown sex {sex!r}; expected one of {SEXES}")
        name = f"{sex}_rate" if getattr(self, f"{sex}_rate") is not None else "rate"
        value = getattr(self, name)
        if isinstance(value, Mapping):
            return self._rates[name].get(canonical_marker(marker), self.default_rate)
        return float(value)

    def is_active(self, marker: str) -> bool:
        """Whether any transmission at `marker` can mutate."""
        return self.rate_for(marker, "female") > 0 or self.rate_for(marker, "male") > 0

    def transmission(
        self, marker: str, alleles: Sequence[str], freqs: np.ndarray
    ) -> Transmission | None:
        """Both matrices of `marker`, or None when neither sex mutates there."""
        if not self.is_active(marker):
            return None
        female = self.matrix(marker, alleles, freqs, "female")
        male = self.matrix(marker, alleles, freqs, "male")
        return Transmission(female, male)

    def describe(self) -> str:
        """One line for reports, e.g. `stepwise, rate 0.002 (female 0.001, male 0.003)`."""
        parts = [self.kind]
        for name in ("rate", "female_rate", "male_rate"):
            value = getattr(self, name)
            if value is None:
                continue
            label = name.replace("_", " ")
            text = "per marker" if isinstance(value, Mapping) else f"{float(value):g}"
            parts.append(f"{label} {text}")
        if self.kind == "stepwise":
            parts.append(f"rate2 {self.rate2:g}, range {self.range:g}")
        return ", ".join(parts)

    def matrix(
        self, marker: str, alleles: Sequence[str], freqs: np.ndarray, sex: str | None = None
    ) -> np.ndarray:
        """Mutation matrix of `marker` for these alleles/frequencies: float64, shape (n, n)
        (the rate of transmissions by a parent of `sex`; no sex: the mean rate)."""
        rate = self.rate_for(marker, sex)
        if self.kind == "equal":
            return _cached_equal(len(alleles), rate)
        if self.kind == "proportional":
            return proportional_matrix(freqs, rate)
        return _cached_stepwise(tuple(alleles), rate, self.rate2, self.range)


def _checked(value: float, name: str) -> float:
    if not 0 <= value < 1:
        raise ValueError(f"mutation {name.replace('_', ' ')} {value} is not in [0, 1)")
    return value


@functools.lru_cache(maxsize=4096)
def _cached_stepwise(alleles: tuple[str, ...], rate: float, rate2: float, range_: float) -> np.ndarray:
    """`stepwise_matrix`, built once per allele set and rates (read-only: shared by callers)."""
    matrix = stepwise_matrix(alleles, rate, rate2, range_)
    matrix.flags.writeable = False
    return matrix


@functools.lru_cache(maxsize=1024)
def _cached_equal(n: int, rate: float) -> np.ndarray:
    matrix = equal_matrix(n, rate)
    matrix.flags.writeable = False
    return matrix


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
