"""How each locus of a case reads for an analyst: consistent as typed, consistent only through a
mutation (and how many repeat steps), only through drop-out/drop-in, or excluding.

The case LR under the run's models already counts every explanation with its probability; this
reading says *which* explanation a locus needs, so that no family is kept or lost without the
analyst seeing why. A locus is read by recomputing its LR without any model (consistent as
typed?), then with a drop model only and a mutation model only (explaining models with the
run's parameters, or generous defaults when the run used none), keeping the more likely one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from labtrack.kinship.dropout import DropModel, as_genotype
from labtrack.kinship.freqs import MarkerFrequencies
from labtrack.kinship.lr import locus_lr
from labtrack.kinship.mutation import MutationModel
from labtrack.kinship.pedigree import Pedigree

CONSISTENT = "consistent"
MUTATION = "mutation"
DROPOUT = "dropout"
MUTATION_AND_DROPOUT = "mutation_and_dropout"
EXCLUDED = "excluded"
INCONSISTENT_REFERENCES = "inconsistent_references"
NOT_COMPARED = "not_compared"

#: Plain words for each reading (reports and pages translate them).
READINGS = {
    CONSISTENT: "consistent as typed",
    MUTATION: "consistent only through a mutation",
    DROPOUT: "consistent only through allelic drop-out/drop-in",
    MUTATION_AND_DROPOUT: "consistent only through a mutation and drop-out",
    EXCLUDED: "excludes the family even with the models",
    INCONSISTENT_REFERENCES: "the relatives contradict their own pedigree here",
    NOT_COMPARED: "not compared (remains or relatives untyped)",
}

#: Explaining models used when the run had none (generous, for the reading only).
EXPLAIN_DROP = DropModel(0.05)
EXPLAIN_MUTATION = MutationModel("stepwise", 0.002)


@dataclass(frozen=True)
class LocusReading:
    """status : one of READINGS; steps : repeat steps of the mutation (None if none needed)."""

    status: str
    steps: float | None = None

    @property
    def needs_a_person(self) -> bool:
        """Whether an analyst must look at this locus (anything but consistent / not compared)."""
        return self.status not in (CONSISTENT, NOT_COMPARED)


def read_locus(
    pedigree: Pedigree,
    relatives: Mapping[str, Sequence[str]],
    unknown: Sequence[str] | None,
    freqs: MarkerFrequencies,
    *,
    mutation: MutationModel | None = None,
    drop: DropModel | None = None,
) -> LocusReading:
    """The reading of one locus (see the module docstring)."""
    if unknown is None or not relatives:
        return LocusReading(NOT_COMPARED)
    rel = {pid: as_genotype(g) for pid, g in relatives.items()}
    seen = tuple(unknown)
    plain = locus_lr(pedigree, rel, as_genotype(seen), freqs)
    if math.isnan(plain.lr) and plain.flag:
        with_mutation = locus_lr(pedigree, rel, as_genotype(seen), freqs,
                                 mutation=mutation or EXPLAIN_MUTATION)
        if math.isnan(with_mutation.lr):
            return LocusReading(INCONSISTENT_REFERENCES)
    if plain.lr > 0:
        return LocusReading(CONSISTENT)
    one_seen = len(seen) == 1
    drop_model = drop or EXPLAIN_DROP
    mutation_model = mutation or EXPLAIN_MUTATION
    by_drop = locus_lr(pedigree, rel, seen, freqs, drop=drop_model).lr if one_seen or drop_model.dropin else 0.0
    by_mutation = locus_lr(pedigree, rel, as_genotype(seen), freqs, mutation=mutation_model).lr
    steps = _mutation_steps(pedigree, rel, as_genotype(seen), freqs)
    if by_drop > 0 or by_mutation > 0:
        if by_drop >= by_mutation:
            return LocusReading(DROPOUT)
        return LocusReading(MUTATION, steps)
    both = locus_lr(pedigree, rel, seen, freqs, mutation=mutation_model, drop=drop_model).lr
    if both > 0:
        return LocusReading(MUTATION_AND_DROPOUT, steps)
    return LocusReading(EXCLUDED, steps)


def _mutation_steps(
    pedigree: Pedigree, relatives: Mapping[str, tuple[str, str]], unknown: tuple[str, str],
    freqs: MarkerFrequencies,
) -> float | None:
    """The smallest repeat change of one of the unknown's alleles, to an allele a relative
    carries, that makes the locus consistent as typed (None if no such change)."""
    theirs = sorted({a for g in relatives.values() for a in g})
    best: float | None = None
    for k in (0, 1):
        for allele in theirs:
            try:
                step = abs(float(unknown[k]) - float(allele))
            except ValueError:
                continue
            if step == 0 or (best is not None and step >= best):
                continue
            changed = (allele, unknown[1]) if k == 0 else (unknown[0], allele)
            if locus_lr(pedigree, relatives, changed, freqs).lr > 0:
                best = round(step, 1)
    return best if best is not None else repeat_steps(unknown, theirs)


def repeat_steps(unknown: Sequence[str], relative_alleles: Sequence[str]) -> float | None:
    """Repeat steps between the unknown's allele that no relative carries and the nearest
    relative allele (the size of the mutation that would explain it); None for non-numeric
    alleles or when every unknown allele is carried.

    >>> repeat_steps(("14", "17"), ["14", "15", "16"])
    1.0
    """
    try:
        theirs = [float(a) for a in relative_alleles]
        ours = [float(a) for a in unknown]
    except ValueError:
        return None
    distances = [min(abs(x - y) for y in theirs) for x in ours if x not in theirs]
    if not distances or not theirs:
        return None
    return round(max(distances), 1)
