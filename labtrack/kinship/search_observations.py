"""What the blind search looks up for a remains profile under a drop-out/drop-in model.

Without a drop model, a remains locus is a genotype (one allele seen is read as a homozygote)
and the search tables have one row per genotype, the family's LR of that genotype.

With a drop model, the rows are *observations*: per drop-out class (a drop-out probability, see
`DropClasses`), the n(n+1)/2 two-allele calls (in `genotype_index` order; a homozygote call
(a, a) is taken as typed) followed by the n "one allele seen" observations. The LR of an
observation o is the LR table averaged over the genotypes that could show o:

    LR(o) = sum_g LR(g) P(g | H2) P(o | g) / sum_g P(g | H2) P(o | g)

which is exactly P(relatives, o | H1) / P(relatives, o | H2) when P(g | H2) is the unrelated
person's genotype probability (theta = 0): so the search equals `labtrack kinship lr` with the
same model. The weights form a matrix W (G, K (G + n)) and the observation table of a family
block is one matrix product `LR @ W`. With theta > 0 the unrelated person's genotype depends on
the relatives, so the two joint probabilities are averaged separately:
LR(o) = (P(rel, g | H1) @ P(o | g)) / (P(rel, g | H2) @ P(o | g)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from labtrack.kinship._genotypes import genotype_alleles
from labtrack.kinship.dropout import DropModel, observation_probabilities
from labtrack.kinship.freqs import MarkerFrequencies
from labtrack.kinship.tables import genotype_index, n_genotypes, observation_weights

__all__ = ["DropClasses", "observation_codes", "observation_likelihoods", "observation_weights"]


@dataclass(frozen=True)
class DropClasses:
    """The drop models of a search: class 0 is the run's model, further classes are per-profile
    drop-out probabilities (a badly degraded sample). `of_sample` maps a remains sample to its
    class (absent: 0). `models` is empty when no drop model is used at all."""

    models: tuple[DropModel, ...]
    of_sample: Mapping[str, int]

    @classmethod
    def build(
        cls, drop: DropModel | None, remains_dropout: Mapping[str, float] | None = None
    ) -> DropClasses:
        """Classes from the run's model and per-sample drop-out overrides (same drop-in)."""
        base = drop or DropModel()
        models: list[DropModel] = [base]
        of_sample: dict[str, int] = {}
        for sample, dropout in (remains_dropout or {}).items():
            model = DropModel(float(dropout), base.dropin, None)
            if model not in models:
                models.append(model)
            of_sample[sample] = models.index(model)
        if not any(m.is_active for m in models):
            return cls((), {})
        return cls(tuple(models), of_sample)

    @property
    def active(self) -> bool:
        return bool(self.models)

    def rows(self, n_alleles: int) -> int:
        """Rows of one locus' table."""
        if not self.active:
            return n_genotypes(n_alleles)
        return len(self.models) * (n_genotypes(n_alleles) + n_alleles)


def observation_likelihoods(freqs: np.ndarray, models: Sequence[DropModel]) -> np.ndarray:
    """P(observation o | genotype g): float64, shape (G, K (G + n)), observations per drop class
    as the module docstring lays them out."""
    p = np.asarray(freqs, dtype=np.float64)
    n = len(p)
    g = n_genotypes(n)
    i, j = genotype_alleles(n)
    blocks = []
    for model in models:
        block = np.zeros((g, g + n))
        for o in range(g + n):
            if o < g:
                seen = sorted({int(i[o]), int(j[o])})
                homozygote_call = bool(i[o] == j[o])
            else:
                seen, homozygote_call = [o - g], False
            block[:, o] = observation_probabilities(seen, homozygote_call, p, model)[i, j]
        blocks.append(block)
    return np.concatenate(blocks, axis=1)


def observation_codes(
    profiles: Mapping[str, Mapping[str, Sequence[str]]],
    sample_ids: Sequence[str],
    freqs: Sequence[MarkerFrequencies],
    classes: DropClasses,
) -> np.ndarray:
    """Table row (within its locus) of every remains locus: int32 (R, L), -1 untyped.

    Without drop classes: the genotype index (one allele seen read as a homozygote). With them:
    class offset + genotype index of a call, or + G + allele index of one allele seen.
    """
    index = [{a: k for k, a in enumerate(f.alleles)} for f in freqs]
    alleles = np.full((len(sample_ids), len(freqs), 2), -1, dtype=np.int64)
    klass = np.zeros(len(sample_ids), dtype=np.int64)
    for r, sample in enumerate(sample_ids):
        profile = profiles.get(sample, {})
        klass[r] = classes.of_sample.get(sample, 0)
        for locus, f in enumerate(freqs):
            seen = profile.get(f.marker)
            if not seen:
                continue
            alleles[r, locus, 0] = index[locus][seen[0]]
            if len(seen) > 1:
                alleles[r, locus, 1] = index[locus][seen[-1]]
    return _codes(alleles, [len(f.alleles) for f in freqs], classes, klass)


def observation_codes_from_indices(
    alleles: np.ndarray, n_alleles: Sequence[int], classes: DropClasses
) -> np.ndarray:
    """`observation_codes` of allele-index arrays (simulations, large imports): int (R, L, 2),
    -1 untyped, a negative second allele = one allele seen; every remains in class 0."""
    return _codes(alleles, n_alleles, classes, None)


def _codes(
    alleles: np.ndarray, n_alleles: Sequence[int], classes: DropClasses, klass: np.ndarray | None
) -> np.ndarray:
    """The one encoder behind `observation_codes` and `observation_codes_from_indices`: allele
    indices int (R, L, 2) (-1 untyped, a negative second allele = one allele seen) and the drop
    class of every remains (None: all class 0) -> int32 (R, L), -1 untyped."""
    a = np.asarray(alleles, dtype=np.int64)
    first, second = a[..., 0], a[..., 1]
    one_seen = (first >= 0) & (second < 0)
    as_call = np.where(second < 0, first, second)
    code = genotype_index(first, as_call)
    if classes.active:
        n = np.asarray(n_alleles, dtype=np.int64)
        sizes = np.asarray([n_genotypes(int(k)) for k in n], dtype=np.int64)
        code = np.where(one_seen, sizes[None, :] + first, code)
        if klass is not None:
            code = code + klass[:, None] * (sizes + n)[None, :]
    return np.where(first < 0, -1, code).astype(np.int32)
