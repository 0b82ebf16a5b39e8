"""Allelic drop-out and drop-in for the unknown (remains) profile: the single-contributor
semi-continuous model of Haned et al. (2012, appendix), in the form relMix implements it.

What was seen at a locus (an *observation*) is one of:

* a two-allele call `(a, b)`, a != b: both alleles seen;
* a homozygote call `(a, a)`: the analyst called a homozygote; taken as typed;
* one allele seen `(a,)`: a single peak, which may be a homozygote or a heterozygote whose
  other allele dropped out.

Given the true genotype {x, y}, every allele i of the marker is, independently, not seen with
probability

    q_i = (1 - c p_i) D(n_i),   D(0) = 1, D(1) = d, D(2) = d_hom (d² by default),

where n_i is the number of copies of i in the genotype, c the drop-in probability and p_i the
allele's frequency (a drop-in allele is drawn from the population); so

    P(seen S | {x, y}) = prod over i in S of (1 - q_i) x prod over i not in S of q_i.

With c = 0 this is the textbook form: each allele of a heterozygote drops out with probability
d, a homozygote's with d_hom, and nothing outside the genotype can be seen.

References (fresh buccal swabs of relatives) are taken as typed. Without a model (or with d = c
= 0), one allele seen is read as a homozygote, as typing software traditionally reports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: What was seen at one locus: one allele (possible drop-out) or a call of two (equal: homozygote).
Observation = tuple[str] | tuple[str, str]


@dataclass(frozen=True)
class DropModel:
    """Drop-out probability `dropout` (d, per allele of a heterozygote), `dropin` (c), and the
    drop-out probability of a homozygote's allele (`dropout_hom`; default d²)."""

    dropout: float = 0.0
    dropin: float = 0.0
    dropout_hom: float | None = None

    def __post_init__(self) -> None:
        for name in ("dropout", "dropin", "dropout_hom"):
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, int | float) or not 0.0 <= float(value) < 1.0:
                label = name.replace("_", "-")
                raise ValueError(f"{label} probability {value!r} is not in [0, 1)")

    @property
    def hom(self) -> float:
        """Drop-out probability of a homozygote's single allele."""
        return self.dropout**2 if self.dropout_hom is None else float(self.dropout_hom)

    @property
    def is_active(self) -> bool:
        """Whether the model changes anything (d > 0 or c > 0)."""
        return self.dropout > 0 or self.dropin > 0 or self.hom > 0

    def describe(self) -> str:
        """One line for reports."""
        return f"drop-out {self.dropout:g} (homozygote {self.hom:g}), drop-in {self.dropin:g}"


def is_one_seen(observation: Sequence[str]) -> bool:
    """Whether only one allele was seen at this locus."""
    return len(observation) == 1


def as_genotype(observation: Sequence[str]) -> tuple[str, str]:
    """The observation read as a genotype: one allele seen becomes a homozygote."""
    if len(observation) == 1:
        return (observation[0], observation[0])
    return (observation[0], observation[1])


def needs_model(observation: Sequence[str], model: DropModel | None) -> bool:
    """Whether this observation must go through the drop model (else it is read as typed)."""
    if model is None or not model.is_active:
        return False
    return not (len(observation) == 2 and observation[0] == observation[1])


def observation_probabilities(
    seen: Sequence[int], homozygote_call: bool, freqs: np.ndarray, model: DropModel
) -> np.ndarray:
    """P(observation | ordered genotype (x, y)) for every x, y: float64, shape (n, n),
    symmetric (see the module docstring for the model).

    seen : the distinct allele indices seen (one or two); homozygote_call : the observation was
        a call (a, a), taken as typed (only the genotype aa keeps a non-zero probability)
    freqs : float64, shape (n,), every allele of the marker (drop-ins are drawn from them)
    """
    p = np.asarray(freqs, dtype=np.float64)
    n = len(p)
    in_seen = np.zeros(n, dtype=bool)
    in_seen[list(seen)] = True
    no_dropin = 1.0 - model.dropin * p

    def factor(copies_dropout: float) -> np.ndarray:
        q = no_dropin * copies_dropout
        return np.where(in_seen, 1.0 - q, q)

    none, once, twice = factor(1.0), factor(model.dropout), factor(model.hom)
    # product over the alleles the genotype does not carry: all n, then x and y left out
    others = np.broadcast_to(np.where(np.eye(n, dtype=bool), 1.0, none)[:, None, :], (n, n, n)).copy()
    k = np.arange(n)
    others[:, k, k] = 1.0  # others[x, y, i] = none[i] unless i is x or y
    rest = others.prod(axis=2)
    out = rest * once[:, None] * once[None, :]
    np.fill_diagonal(out, np.diagonal(rest) * twice)
    if homozygote_call:
        called = np.zeros((n, n))
        a = int(seen[0])
        called[a, a] = out[a, a]
        return called
    return out


def observation_probabilities_of(
    observation: Sequence[str], alleles: Sequence[str], freqs: np.ndarray, model: DropModel
) -> np.ndarray:
    """`observation_probabilities` from allele labels (every label must be in `alleles`)."""
    index = {a: k for k, a in enumerate(alleles)}
    seen = sorted({index[a] for a in observation})
    homozygote_call = len(observation) == 2 and observation[0] == observation[1]
    return observation_probabilities(seen, homozygote_call, freqs, model)
