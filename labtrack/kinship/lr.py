"""Case likelihood ratio: H1 "the unknown is the family's missing person" against H2 "the
unknown is unrelated to the family (an extra founder)", per locus and in total."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from labtrack.kinship._inheritance import inheritance_query_joint
from labtrack.kinship._partitions import partition_query_joint
from labtrack.kinship._peeling import peel
from labtrack.kinship._structure import relevant_structure
from labtrack.kinship.dropout import (
    DropModel,
    as_genotype,
    is_one_seen,
    needs_model,
    observation_probabilities_of,
)
from labtrack.kinship.freqs import FrequencyTable, MarkerFrequencies
from labtrack.kinship.likelihood import pedigree_likelihood
from labtrack.kinship.markers import canonical_marker
from labtrack.kinship.mutation import MutationModel, Transmission
from labtrack.kinship.pedigree import Pedigree

Genotype = tuple[str, str]
#: What was seen in the unknown at one locus: (a,) one allele seen, (a, b) a call.
Seen = tuple[str] | tuple[str, str]

#: Locus flags.
INCONSISTENT = "inconsistent_references"
EXCLUSION = "exclusion"
NO_RELATIVE = "no_typed_relative"
NO_UNKNOWN = "unknown_untyped"


@dataclass(frozen=True)
class LocusLR:
    """One marker of one case: lr = lik_h1 / lik_h2, NaN when undefined (inconsistent
    references, lik_h2 = 0).

    `used` = the unknown and at least one relative are typed. A locus where the unknown is
    untyped has lr = 1 (both hypotheses see the same data). A locus where only the unknown is
    typed still has lr = P(g | H1) / P(g | H2): exactly 1 without mutation, with theta and with
    the stationary proportional model, but not under the equal or stepwise models (the missing
    person's alleles then pass through the mutation matrix from untyped parents); it is kept so
    that the total is the model's LR of all typed data."""

    marker: str
    lr: float
    lik_h1: float
    lik_h2: float
    used: bool
    unseen_alleles: tuple[str, ...] = ()
    flag: str = ""
    one_seen: bool = False
    drop_model: bool = False

    @property
    def log10_lr(self) -> float:
        return _log10(self.lr)


@dataclass(frozen=True)
class CaseLR:
    """Total over loci: `lr` = product of every locus LR (loci not used contribute 1, see
    LocusLR); NaN if any locus is undefined; 0 (log10 -inf) if any locus excludes."""

    case_id: str
    loci: tuple[LocusLR, ...]
    skipped_markers: tuple[str, ...] = ()
    no_typed_relative: bool = False
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def used(self) -> list[LocusLR]:
        return [locus for locus in self.loci if locus.used]

    @property
    def loci_used(self) -> int:
        return len(self.used)

    @property
    def loci_lr_zero(self) -> int:
        return sum(1 for locus in self.loci if locus.lr == 0)

    @property
    def undefined_loci(self) -> list[str]:
        return [locus.marker for locus in self.loci if math.isnan(locus.lr)]

    @property
    def log10_lr(self) -> float:
        if self.undefined_loci:
            return math.nan
        return float(sum(locus.log10_lr for locus in self.loci))

    @property
    def lr(self) -> float:
        return 10.0**self.log10_lr if not math.isnan(self.log10_lr) else math.nan

    @property
    def unseen_alleles(self) -> list[str]:
        return [f"{locus.marker}:{a}" for locus in self.loci for a in locus.unseen_alleles]


def _log10(value: float) -> float:
    if math.isnan(value):
        return math.nan
    if value == 0:
        return -math.inf
    return math.log10(value)


def locus_lr(
    pedigree: Pedigree,
    relatives: Mapping[str, Genotype],
    unknown: Seen | None,
    freqs: MarkerFrequencies,
    *,
    theta: float = 0.0,
    mutation: MutationModel | None = None,
    drop: DropModel | None = None,
) -> LocusLR:
    """LR at one marker.

    relatives : person_id -> (allele, allele) of the typed relatives at this marker (the
        missing person must not be among them); taken as typed
    unknown : what was seen in the unknown sample (see `labtrack.kinship.dropout`): (a, b) a
        call, (a,) one allele seen; None if untyped here
    freqs : the marker's frequencies for this case (unseen alleles already added)
    drop : drop-out/drop-in model of the unknown; without one, one allele seen is read as a
        homozygote
    """
    index = {a: k for k, a in enumerate(freqs.alleles)}
    rel = {pid: (index[g[0]], index[g[1]]) for pid, g in relatives.items()}
    transmission = None
    if mutation is not None:
        transmission = mutation.transmission(freqs.marker, freqs.alleles, freqs.freqs)
    used = unknown is not None and bool(rel)
    one_seen = unknown is not None and is_one_seen(unknown)
    if unknown is not None and needs_model(unknown, drop):
        assert drop is not None  # noqa: S101 (needs_model checked it)
        probabilities = _observation_probabilities(unknown, freqs, drop)
        lik_h1, lik_h2 = _observed_likelihoods(
            pedigree, rel, probabilities, freqs.freqs, theta, transmission
        )
        return _locus(freqs, lik_h1, lik_h2, used, "" if used else NO_RELATIVE, one_seen, True)
    unk = None
    if unknown is not None:
        genotype = as_genotype(unknown)
        unk = (index[genotype[0]], index[genotype[1]])
    extra = [unk] if unk is not None else []
    lik_h2 = pedigree_likelihood(
        pedigree, rel, freqs.freqs, theta=theta, mutation=transmission, extra_founders=extra
    )
    flag = "" if used else (NO_UNKNOWN if unk is None else NO_RELATIVE)
    if unk is None:
        lik_h1 = lik_h2
    else:
        with_mp = {**rel, pedigree.missing_person_id: unk}
        lik_h1 = pedigree_likelihood(
            pedigree, with_mp, freqs.freqs, theta=theta, mutation=transmission
        )
    return _locus(freqs, lik_h1, lik_h2, used, flag, one_seen, False, untyped=unk is None)


def _locus(
    freqs: MarkerFrequencies,
    lik_h1: float,
    lik_h2: float,
    used: bool,
    flag: str,
    one_seen: bool,
    drop_model: bool,
    *,
    untyped: bool = False,
) -> LocusLR:
    if lik_h2 == 0:
        return LocusLR(
            freqs.marker, math.nan, lik_h1, lik_h2, used, freqs.unseen, INCONSISTENT,
            one_seen, drop_model,
        )
    lr = 1.0 if untyped else lik_h1 / lik_h2
    if lr == 0:
        flag = EXCLUSION
    return LocusLR(
        freqs.marker, lr, lik_h1, lik_h2, used, freqs.unseen, flag, one_seen, drop_model
    )


def _observation_probabilities(unknown: Seen, freqs: MarkerFrequencies, drop: DropModel) -> np.ndarray:
    """`observation_probabilities_of`, kept for the next case with the same observation, alleles,
    frequencies and model (read-only: shared by those cases)."""
    key = (tuple(unknown), freqs.alleles, freqs.freqs.tobytes(), drop)
    found = _OBSERVED.get(key)
    if found is None:
        found = observation_probabilities_of(unknown, freqs.alleles, freqs.freqs, drop)
        found.flags.writeable = False
        if len(_OBSERVED) >= _OBSERVED_SIZE:
            _OBSERVED.clear()
        _OBSERVED[key] = found
    return found


#: Observation probabilities by (observation, alleles, frequencies, model); cleared when full.
_OBSERVED: dict[tuple, np.ndarray] = {}
_OBSERVED_SIZE = 4096


def _observed_likelihoods(
    pedigree: Pedigree,
    relatives: Mapping[str, tuple[int, int]],
    probabilities: np.ndarray,
    freqs: np.ndarray,
    theta: float,
    transmission: Transmission | None,
) -> tuple[float, float]:
    """(P(relatives, observation | H1), P(relatives, observation | H2)) where the unknown's
    genotype is summed over, weighted by P(observation | genotype) (`probabilities`, (n, n))."""
    mp = pedigree.missing_person_id
    if theta == 0:
        structure = relevant_structure(pedigree, [*relatives, mp])
        typed = {structure.index(pid): np.asarray([g]) for pid, g in relatives.items()}
        joint = peel(structure, typed, freqs, transmission, query=structure.index(mp))[0]
        lik_h1 = float(np.sum(joint * probabilities))
        # summing the missing person out of the same joint gives P(relatives): no second peeling
        return lik_h1, float(joint.sum()) * float(freqs @ probabilities @ freqs)
    # theta: P(relatives, the unknown's ordered genotype) by inheritance vectors (no mutation) or
    # by the partition sum with the genotype kept (mutation); H2: an unrelated extra founder
    h1_structure = relevant_structure(pedigree, [*relatives, mp])
    h2_structure = relevant_structure(pedigree, list(relatives)).with_extra_founders(1)
    joints = []
    for structure, query in ((h1_structure, mp), (h2_structure, "#extra0")):
        typed = {structure.index(pid): g for pid, g in relatives.items()}
        if transmission is None:
            joints.append(inheritance_query_joint(structure, typed, structure.index(query), freqs, theta))
        else:
            batched = {i: np.asarray([g]) for i, g in typed.items()}
            joints.append(partition_query_joint(structure, batched, structure.index(query), freqs, theta,
                                                transmission, batch=1)[0])
    return float(np.sum(joints[0] * probabilities)), float(np.sum(joints[1] * probabilities))


def case_lr(
    pedigree: Pedigree,
    genotypes: Mapping[str, Mapping[str, Sequence[str]]],
    unknown_sample_id: str,
    table: FrequencyTable,
    *,
    theta: float = 0.0,
    mutation: MutationModel | None = None,
    drop: DropModel | None = None,
    case_id: str = "",
) -> CaseLR:
    """LR of one case over every marker typed in the unknown or a relative.

    genotypes : sample_id -> {marker -> (allele, allele) or (allele,) one allele seen}; the
        relatives' samples are the pedigree's `sample_id`s (missing person excluded); a
        relative's single allele is read as a homozygote (references are taken as typed)
    drop : drop-out/drop-in model of the unknown sample (see `locus_lr`)
    Markers absent from the frequency table are skipped and listed in `skipped_markers`.
    """
    samples = pedigree.sample_of()
    unknown_profile = {
        canonical_marker(m): tuple(g) for m, g in genotypes.get(unknown_sample_id, {}).items()
    }
    relative_profiles = {
        pid: {canonical_marker(m): as_genotype(g) for m, g in genotypes.get(sample, {}).items()}
        for pid, sample in samples.items()
    }
    markers = set(unknown_profile)
    for profile in relative_profiles.values():
        markers |= set(profile)
    skipped = sorted(m for m in markers if m not in table)
    loci: list[LocusLR] = []
    for marker in sorted(markers - set(skipped)):
        relatives = {pid: p[marker] for pid, p in relative_profiles.items() if marker in p}
        unknown = unknown_profile.get(marker)
        alleles = [a for g in relatives.values() for a in g] + list(unknown or ())
        freqs = table.for_case(marker, alleles)
        loci.append(
            locus_lr(
                pedigree, relatives, unknown, freqs, theta=theta, mutation=mutation, drop=drop
            )
        )
    no_relative = not any(relative_profiles.values())
    warnings: list[str] = []
    if skipped:
        warnings.append(f"markers not in the frequency table, skipped: {', '.join(skipped)}")
    if no_relative:
        warnings.append("no typed relative in the family: the LR carries no kinship evidence")
    missing = pedigree.person(pedigree.missing_person_id)
    if missing.sample_id:
        warnings.append(
            f"the missing person has sample {missing.sample_id}; it is not used for kinship "
            "(compare it by direct matching)"
        )
    if unknown_sample_id in samples.values():
        warnings.append(f"the unknown sample {unknown_sample_id} is also a reference of the family")
    return CaseLR(case_id, tuple(loci), tuple(skipped), no_relative, tuple(warnings))

