"""A genotype as one short digest, so that equal genotypes are found by equality in SQL.

Two profiles have the same genotype when they have the same loci and, at each, the same two
alleles, whatever order the loci and the two alleles of a locus were stored in. Extra alleles
of a mixture are not part of it (as the dashboard's unique profiles have always been counted).
The digest is stored per profile when the profile is written (``profile_genotype``), so that
counting distinct genotypes reads one row per profile instead of every allele row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def canonical(calls: Iterable[tuple[str, str, str]]) -> str:
    """``locus:low/high`` of every (locus, allele1, allele2), sorted, joined by ``;``."""
    return ";".join(sorted(f"{locus}:{min(a1, a2)}/{max(a1, a2)}" for locus, a1, a2 in calls))


def digest(calls: Iterable[tuple[str, str, str]]) -> str:
    """SHA-256 (32 hex) of the genotype's canonical text."""
    return hashlib.sha256(canonical(calls).encode("utf-8")).hexdigest()[:32]
