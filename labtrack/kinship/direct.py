"""Direct (identity) matching: remains vs remains, or remains vs a personal reference of the
missing person (toothbrush, archived sample). LR = 1 / match probability per locus."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from labtrack.kinship.dropout import DropModel, as_genotype, observation_probabilities_of
from labtrack.kinship.freqs import FrequencyTable
from labtrack.kinship.markers import canonical_marker

Genotype = tuple[str, str]


def match_probability(genotype: tuple[int, int], freqs: np.ndarray, theta: float = 0.0) -> float:
    """P(a second person has genotype g | a first person has g), Balding–Nichols (NRC II 4.10).

    Homozygote a/a: (2θ + (1-θ)p_a)(3θ + (1-θ)p_a) / ((1+θ)(1+2θ)).
    Heterozygote a/b: 2(θ + (1-θ)p_a)(θ + (1-θ)p_b) / ((1+θ)(1+2θ)).
    With θ = 0 these are p_a^2 and 2 p_a p_b. freqs : float64, shape (n,).
    """
    a, b = genotype
    pa, pb = float(freqs[a]), float(freqs[b])
    denominator = (1 + theta) * (1 + 2 * theta)
    if a == b:
        return (2 * theta + (1 - theta) * pa) * (3 * theta + (1 - theta) * pa) / denominator
    return 2 * (theta + (1 - theta) * pa) * (theta + (1 - theta) * pb) / denominator


@dataclass(frozen=True)
class DirectMatch:
    """Identity LR over the markers typed in both profiles and in the frequency table."""

    lr: float
    log10_lr: float
    loci_used: int
    mismatched_loci: tuple[str, ...]
    skipped_markers: tuple[str, ...]
    #: loci whose genotypes differ as typed but agree through the drop model (a dropped allele)
    dropout_loci: tuple[str, ...] = ()


def direct_match(
    first: Mapping[str, Genotype],
    second: Mapping[str, Genotype],
    table: FrequencyTable,
    *,
    theta: float = 0.0,
    drop: DropModel | None = None,
) -> DirectMatch:
    """LR "same person" vs "unrelated" for two profiles (marker -> alleles).

    Without a drop model, one allele seen is read as a homozygote; a locus with different
    genotypes gives LR 0 (no drop-out or typing error modelled); a locus with the same genotype
    gives 1 / match_probability. Unseen alleles get the table's unseen-allele rule.
    Markers missing from the table are skipped and reported.

    With a drop model (either profile may be degraded bone; theta 0), each locus is
        LR = sum_g P(g) P(o1 | g) P(o2 | g) / (sum_g P(g) P(o1 | g) x sum_g P(g) P(o2 | g))
    over the true genotypes g (P(o | g): `labtrack.kinship.dropout`); a locus that agrees only
    through a dropped (or dropped-in) allele is named in `dropout_loci`.
    """
    if drop is not None and drop.is_active:
        if theta > 0:
            raise ValueError("theta together with a drop-out model is not supported in direct matching")
        return _with_drop(first, second, table, drop)
    one = {canonical_marker(m): as_genotype(g) for m, g in first.items()}
    two = {canonical_marker(m): as_genotype(g) for m, g in second.items()}
    shared = sorted(set(one) & set(two))
    skipped = tuple(m for m in shared if m not in table)
    log10_lr = 0.0
    mismatched: list[str] = []
    used = 0
    for marker in shared:
        if marker in skipped:
            continue
        used += 1
        if sorted(one[marker]) != sorted(two[marker]):
            mismatched.append(marker)
            continue
        freqs = table.for_case(marker, one[marker])
        genotype = (freqs.index(one[marker][0]), freqs.index(one[marker][1]))
        log10_lr -= math.log10(match_probability(genotype, freqs.freqs, theta))
    if mismatched:
        log10_lr = -math.inf
    lr = 0.0 if mismatched else 10.0**log10_lr
    return DirectMatch(lr, log10_lr, used, tuple(mismatched), skipped)


def _with_drop(
    first: Mapping[str, Sequence[str]], second: Mapping[str, Sequence[str]], table: FrequencyTable,
    drop: DropModel,
) -> DirectMatch:
    one = {canonical_marker(m): tuple(g) for m, g in first.items()}
    two = {canonical_marker(m): tuple(g) for m, g in second.items()}
    shared = sorted(set(one) & set(two))
    skipped = tuple(m for m in shared if m not in table)
    log10_lr, used = 0.0, 0
    mismatched: list[str] = []
    dropout: list[str] = []
    for marker in shared:
        if marker in skipped:
            continue
        used += 1
        freqs = table.for_case(marker, [*one[marker], *two[marker]])
        p = freqs.freqs
        prior = np.outer(p, p)  # ordered genotypes of an unrelated person (theta 0)
        seen_one = observation_probabilities_of(one[marker], freqs.alleles, p, drop)
        seen_two = observation_probabilities_of(two[marker], freqs.alleles, p, drop)
        same = float(np.sum(prior * seen_one * seen_two))
        apart = float(np.sum(prior * seen_one)) * float(np.sum(prior * seen_two))
        if same <= 0.0:
            mismatched.append(marker)
            continue
        if sorted(as_genotype(one[marker])) != sorted(as_genotype(two[marker])) or (
                len(one[marker]) != len(two[marker])):
            dropout.append(marker)
        log10_lr += math.log10(same / apart)
    if mismatched:
        log10_lr = -math.inf
    lr = 0.0 if mismatched else 10.0**log10_lr
    return DirectMatch(lr, log10_lr, used, tuple(mismatched), skipped, tuple(dropout))
