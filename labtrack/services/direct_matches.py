"""Identical and near-identical remains profiles (duplicate samples of one remains, body parts of
one person), found by the engine's direct matching (``kinship.direct_matches``), not by comparing
every pair in Python.

One query reads the typed autosomal genotypes of the current, unmixed remains profiles as plain
tuples; each (locus, unordered allele pair) becomes a genotype index; the engine sorts the
profiles by their genotypes at pairs of consecutive loci (blocking keys) and verifies only the
profiles identical at a whole key. A pair is found whenever the loci untyped in either profile or
differing leave one pair of consecutive loci (in marker order) intact. Each pair gets the identity
log10 LR over its identical shared loci (allele frequencies of the default table; an allele
absent from it at ``MIN_FREQUENCY``).

    pairs(session, *, min_overlap=8, max_mismatches=1) -> list[ProfilePair]
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlmodel import Session, col, select

from labtrack.core.kits import is_autosomal
from labtrack.kinship import direct_matches
from labtrack.kinship.reassociation import genotype_log10_probabilities
from labtrack.kinship.tables import genotype_index
from labtrack.models import FrequencyEntry, FrequencyTable, Profile, ProfileAllele, Sample

MIN_OVERLAP = 8
MIN_FREQUENCY = 0.001
KEY_LOCI = 2


@dataclass(frozen=True)
class ProfilePair:
    """Two current remains profiles identical at ``overlap`` shared loci but ``mismatched``."""

    first: str  # sample accessions, first < second
    second: str
    first_profile_id: int
    second_profile_id: int
    same_remains: bool
    overlap: int
    mismatched: tuple[str, ...]
    log10_lr: float
    #: loci that agree only if an allele dropped out (one allele seen in a profile): not mismatches
    dropout: tuple[str, ...] = ()
    first_remains_id: int | None = None
    second_remains_id: int | None = None

    @property
    def loci(self) -> int:
        """Loci with the same genotype in both."""
        return self.overlap - len(self.mismatched) - len(self.dropout)

    @property
    def identical(self) -> bool:
        return not self.mismatched and not self.dropout


def _frequencies(session: Session) -> dict[tuple[str, str], float]:
    table = session.exec(select(FrequencyTable.id).where(col(FrequencyTable.is_default).is_(True))).first()
    if table is None:
        return {}
    return {(m, a): f for m, a, f in session.exec(
        select(FrequencyEntry.marker, FrequencyEntry.allele, FrequencyEntry.frequency)
        .where(FrequencyEntry.table_id == table))}


def pairs(session: Session, *, min_overlap: int = MIN_OVERLAP, max_mismatches: int = 1) -> list[ProfilePair]:
    """Pairs of current remains profiles typed at ``min_overlap`` shared loci or more with at most
    ``max_mismatches`` differing, identical ones first, then by LR (strongest first)."""
    rows = session.exec(
        select(Profile.id, Sample.accession, Sample.remains_id, ProfileAllele.locus, ProfileAllele.allele1,
               ProfileAllele.allele2)
        .join(Sample, col(Sample.id) == col(Profile.sample_id))
        .join(ProfileAllele, col(ProfileAllele.profile_id) == col(Profile.id))
        .where(Profile.origin == "remains", col(Profile.superseded).is_(False), col(Profile.is_mixture).is_(False))
    ).all()
    profiles: dict[int, tuple[str, int | None]] = {}
    typed: dict[int, dict[str, tuple[str, str]]] = defaultdict(dict)
    one_seen: dict[int, set[str]] = defaultdict(set)
    for profile_id, accession, remains_id, locus, a1, a2 in rows:
        profiles[profile_id] = (accession, remains_id)
        if is_autosomal(locus) and "OL" not in (a1, a2) and a1:
            if not a2:  # one allele seen (a possible drop-out): its homozygote, flagged
                typed[profile_id][locus] = (a1, a1)
                one_seen[profile_id].add(locus)
            else:
                typed[profile_id][locus] = (a1, a2) if a1 <= a2 else (a2, a1)
    ids = sorted(typed)
    loci = sorted({locus for genotypes in typed.values() for locus in genotypes})
    if len(ids) < 2 or not loci:
        return []
    freqs = _frequencies(session)
    alleles = [sorted({a for genotypes in typed.values() if locus in genotypes for a in genotypes[locus]})
               for locus in loci]
    index = [{allele: i for i, allele in enumerate(names)} for names in alleles]
    g = np.full((len(ids), len(loci)), -1, dtype=np.int64)
    seen = np.zeros(g.shape, dtype=bool)
    for row, profile_id in enumerate(ids):
        for column, locus in enumerate(loci):
            pair = typed[profile_id].get(locus)
            if pair is not None:
                g[row, column] = genotype_index(index[column][pair[0]], index[column][pair[1]])
                seen[row, column] = locus in one_seen[profile_id]
    weights = [genotype_log10_probabilities(np.array([freqs.get((locus, a), MIN_FREQUENCY) for a in names]))
               for locus, names in zip(loci, alleles, strict=True)]
    found = direct_matches(g, weights, min_overlap=min_overlap,
                           max_mismatches=max_mismatches, key_loci=KEY_LOCI, one_seen=seen)
    result = []
    for a, b, lr, overlap, mism, drop in zip(found.first, found.second, found.log10_lr, found.overlap,
                                             found.mismatched, found.dropout, strict=True):
        (acc_a, rem_a), (acc_b, rem_b) = profiles[ids[a]], profiles[ids[b]]
        first, second = sorted([(acc_a, ids[a], rem_a), (acc_b, ids[b], rem_b)])
        result.append(ProfilePair(first[0], second[0], first[1], second[1], rem_a == rem_b, int(overlap),
                                  tuple(loci[i] for i in np.flatnonzero(mism)), round(float(lr), 3),
                                  tuple(loci[i] for i in np.flatnonzero(drop)), first[2], second[2]))
    result.sort(key=lambda p: (not p.identical, -p.log10_lr, p.first, p.second))
    return result
