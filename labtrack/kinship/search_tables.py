"""Building the blind search's family tables: group families by pedigree shape, encode the
profiles as allele indices, and call the exact engine's `mp_lr_tables` once per shape and locus.

Unseen alleles: the search uses ONE frequency vector per marker for the whole search. Every
allele carried by any typed profile of the search (remains or reference) that the table lacks
gets 5/(2N) (the table's unseen-allele rule), once, and the marker's frequencies are then
renormalised. A per-case computation (`labtrack kinship lr`) adds only the unseen alleles of that
case, so LRs at markers where the search saw unseen alleles differ slightly from the per-case
values (the other table frequencies are divided by a slightly larger sum). Markers without
unseen alleles in the search give exactly the per-case LR.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from labtrack.kinship.dropout import DropModel
from labtrack.kinship.freqs import FrequencyTable, MarkerFrequencies
from labtrack.kinship.mutation import MutationModel
from labtrack.kinship.pedigree import Pedigree
from labtrack.kinship.search import FAMILY_BLOCK, SearchTables
from labtrack.kinship.search_observations import (
    DropClasses,
    observation_codes,
    observation_codes_from_indices,
    observation_likelihoods,
)
from labtrack.kinship.tables import mp_lr_tables

#: sample_id -> {canonical marker -> (allele, allele)}
Profiles = Mapping[str, Mapping[str, tuple[str, str]]]


@dataclass(frozen=True)
class FamilyGroup:
    """Families sharing one pedigree shape (same persons, parents, typed set, missing person).

    pedigree : a representative pedigree; its `typed_person_ids` order the relatives
    families : int64, shape (F_g,), indices of the families in the search
    relatives : int, shape (F_g, n_typed, L, 2), allele indices of the typed relatives (-1
        untyped at that locus)
    """

    pedigree: Pedigree
    families: np.ndarray
    relatives: np.ndarray


def search_frequencies(
    table: FrequencyTable, markers: Sequence[str], observed: Mapping[str, set[str]]
) -> list[MarkerFrequencies]:
    """One frequency vector per marker for the whole search (see the module docstring).

    observed : marker -> every allele label typed anywhere in the search at that marker
    """
    return [table.for_case(m, observed.get(m, set())) for m in markers]


def encode_profiles(
    profiles: Profiles, sample_ids: Sequence[str], freqs: Sequence[MarkerFrequencies]
) -> np.ndarray:
    """Allele indices of profiles: int16, shape (N, L, 2), -1 where the locus is untyped.

    Every allele must be in freqs[l].alleles (build them with `search_frequencies`).
    """
    index = [{a: k for k, a in enumerate(f.alleles)} for f in freqs]
    out = np.full((len(sample_ids), len(freqs), 2), -1, dtype=np.int16)
    for n, sample in enumerate(sample_ids):
        profile = profiles.get(sample, {})
        for locus, f in enumerate(freqs):
            g = profile.get(f.marker)
            if g is not None:
                out[n, locus] = (index[locus][g[0]], index[locus][g[-1]])  # one seen: homozygote
    return out


def genotype_indices(alleles: np.ndarray) -> np.ndarray:
    """Genotype index per locus from allele indices: int (R, L, 2) -> int32 (R, L), -1 untyped
    (a negative second allele, one allele seen, is read as a homozygote)."""
    return observation_codes_from_indices(alleles, (), DropClasses((), {}))


def shape_key(pedigree: Pedigree) -> tuple[tuple[int, int, bool, bool], ...]:
    """Key of a pedigree's shape: per person (in order) father and mother position, typed,
    missing. Families with equal keys can share one vectorised table computation."""
    position = {p.person_id: k for k, p in enumerate(pedigree.persons)}
    typed = set(pedigree.typed_person_ids)
    return tuple(
        (
            position.get(p.father_id, -1) if p.father_id else -1,
            position.get(p.mother_id, -1) if p.mother_id else -1,
            p.person_id in typed,
            p.missing,
        )
        for p in pedigree.persons
    )


def group_families(
    pedigrees: Sequence[Pedigree], profiles: Profiles, freqs: Sequence[MarkerFrequencies]
) -> list[FamilyGroup]:
    """Group families (in the given order = family index) by `shape_key`, with their relatives'
    allele indices."""
    by_key: dict[tuple, list[int]] = {}
    for f, ped in enumerate(pedigrees):
        by_key.setdefault(shape_key(ped), []).append(f)
    groups = []
    for members in by_key.values():
        rep = pedigrees[members[0]]
        samples = [
            pedigrees[f].sample_of()[pid] for f in members for pid in pedigrees[f].typed_person_ids
        ]
        enc = encode_profiles(profiles, samples, freqs)
        n_typed = len(rep.typed_person_ids)
        groups.append(
            FamilyGroup(
                rep,
                np.asarray(members, dtype=np.int64),
                enc.reshape(len(members), n_typed, len(freqs), 2),
            )
        )
    return groups


def build_search_tables(
    groups: Sequence[FamilyGroup],
    freqs: Sequence[MarkerFrequencies],
    family_ids: Sequence[str],
    *,
    theta: float = 0.0,
    mutation: MutationModel | None = None,
    classes: DropClasses | None = None,
    family_block: int = FAMILY_BLOCK,
    n_threads: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> SearchTables:
    """Family LR tables of every locus, log10 float32, laid out for the search.

    Per group and locus, families are split by which relatives are typed there; each subset
    calls `mp_lr_tables` once (the pedigree with only those relatives typed), under the
    mutation model if any. With drop classes the rows are observations (see
    `search_observations`): the genotype tables times the observation weights. Families with
    no typed relative at a locus contribute log10 LR 0 there. n_threads > 1 computes (group,
    locus) pairs in threads (NumPy releases the GIL in the heavy parts).
    """
    classes = classes or DropClasses((), {})
    sizes = [classes.rows(len(f.alleles)) for f in freqs]
    tables = SearchTables.allocate(
        [f.marker for f in freqs], family_ids, sizes, family_block=family_block
    )
    weights = [
        observation_likelihoods(f.freqs, classes.models) if classes.active else None for f in freqs
    ]
    tasks = [(group, locus) for group in groups for locus in range(len(freqs))]

    def run(task: tuple[FamilyGroup, int]) -> tuple[int, list[tuple[np.ndarray, np.ndarray]]]:
        group, locus = task
        parts = _group_locus_tables(group, locus, freqs[locus], theta, mutation, weights[locus])
        return locus, parts

    if n_threads > 1:
        with ThreadPoolExecutor(max_workers=n_threads) as pool:
            _fill_all(tables, pool.map(run, tasks), len(tasks), progress)
    else:
        _fill_all(tables, map(run, tasks), len(tasks), progress)
    return tables


def _fill_all(
    tables: SearchTables,
    results: Iterable[tuple[int, list[tuple[np.ndarray, np.ndarray]]]],
    total: int,
    progress: Callable[[int, int], None] | None,
) -> None:
    for done, (locus, parts) in enumerate(results, start=1):
        for families, log10_lr in parts:
            tables.fill(locus, families, log10_lr)
        if progress is not None:
            progress(done, total)


def _group_locus_tables(
    group: FamilyGroup,
    locus: int,
    freqs: MarkerFrequencies,
    theta: float,
    mutation: MutationModel | None = None,
    weights: np.ndarray | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(families, log10 LR float32 (m, rows)) per subset of typed relatives at one locus."""
    typed_ids = list(group.pedigree.typed_person_ids)
    rel = group.relatives[:, :, locus, :]  # (F_g, n_typed, 2)
    typed = rel[:, :, 0] >= 0
    patterns, which = np.unique(typed, axis=0, return_inverse=True)
    parts = []
    for p, pattern in enumerate(patterns):
        if not pattern.any():
            continue
        sel = np.flatnonzero(which.reshape(-1) == p)
        kept = [t for t, on in zip(typed_ids, pattern, strict=True) if on]
        sub = group.pedigree.with_typed(kept)
        distinct, inverse = distinct_references(rel[sel][:, pattern, :])
        lr = mp_lr_tables(
            sub, distinct, freqs.freqs, theta=theta, mutation=mutation,
            marker=freqs.marker, alleles=freqs.alleles, observations=weights,
        )
        with np.errstate(divide="ignore"):
            log10_lr = np.log10(lr).astype(np.float32)
        parts.append((group.families[sel], log10_lr[inverse]))
    return parts


def distinct_references(genotypes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct reference sets among families of one shape at one locus.

    genotypes : int (F, T, 2), allele indices of the typed relatives. A genotype is unordered,
    so each relative's pair is sorted first. Returns (distinct (U, T, 2), inverse (F,)) with
    distinct[inverse] equal to the sorted input: families with the same references share one
    table (at a locus with n alleles a single typed relative has at most n (n + 1) / 2 distinct
    genotypes however many families there are).
    """
    canonical = np.sort(np.asarray(genotypes), axis=2)
    n_families, n_typed = canonical.shape[0], canonical.shape[1]
    if n_families == 0:
        return canonical, np.zeros(0, dtype=np.intp)
    flat = canonical.reshape(n_families, 2 * n_typed)
    distinct, inverse = np.unique(flat, axis=0, return_inverse=True)
    return distinct.reshape(-1, n_typed, 2), inverse.reshape(-1)


@dataclass(frozen=True)
class PreparedSearch:
    """Everything the search needs, encoded.

    tables : SearchTables over the families (in the order given) and `freqs` markers
    genotypes : int32, shape (R, L), remains genotype index per locus (-1 untyped; one allele
        seen read as a homozygote): for direct matching
    freqs : the search-wide frequencies per marker (unseen alleles of the search included)
    codes : int32, shape (R, L), the table row of each remains locus (what the search looks
        up; equal to `genotypes` without a drop model)
    classes : the drop classes of the search
    one_seen : bool, shape (R, L), remains loci showing one allele only (direct matching reads
        them as possible drop-outs)
    """

    tables: SearchTables
    genotypes: np.ndarray
    freqs: tuple[MarkerFrequencies, ...]
    codes: np.ndarray | None = None
    classes: DropClasses | None = None
    one_seen: np.ndarray | None = None

    @property
    def rows(self) -> np.ndarray:
        """What the search looks up: `codes` (`genotypes` when none were made)."""
        return self.genotypes if self.codes is None else self.codes


class TableCache:
    """The family tables of the last search, kept for the next search with the same family side
    (a worker's runs of one new remains against every family rebuild nothing). One entry, keyed
    by the SHA-256 of everything the tables are computed from (`tables_key`): the families'
    shapes and typed relatives' alleles, the family order, the search frequencies (unseen
    alleles included), theta and the models. A different key drops the entry before the new
    build, so two sets of tables are never held at once.

    With a ``family_key`` from the caller (`prepare_search`), the per-family work before the
    tables is kept too: the alleles the families' relatives carry, the families grouped by shape
    with their relatives encoded, and the tables' key (so a search of one remains reads no
    family). The caller promises that an equal ``family_key`` means equal pedigrees and equal
    relatives' profiles (``services.family_side`` gives the SHA-256 of both as searched)."""

    def __init__(self) -> None:
        self.key: str | None = None
        self.tables: SearchTables | None = None
        self.hits = 0
        self.builds = 0
        self.family_key: str | None = None
        self.observed: dict[str, frozenset[str]] = {}
        self.signature: str | None = None
        self.groups: tuple[list[FamilyGroup], str] | None = None

    def get_or_build(self, key: str, build: Callable[[], SearchTables]) -> SearchTables:
        if self.tables is not None and key == self.key:
            self.hits += 1
            return self.tables
        self.key, self.tables = None, None
        tables = build()
        self.key, self.tables = key, tables
        self.builds += 1
        return tables

    def family_observed(self, family_key: str, compute: Callable[[], dict[str, set[str]]]) -> dict[str, frozenset[str]]:
        """The alleles typed in the families' relatives per marker, kept per ``family_key``."""
        if family_key != self.family_key:
            self.family_key, self.signature, self.groups = None, None, None
            self.observed = {marker: frozenset(alleles) for marker, alleles in compute().items()}
            self.family_key = family_key
        return self.observed

    def grouped(self, signature: str, compute: Callable[[], tuple[list[FamilyGroup], str]]
                ) -> tuple[list[FamilyGroup], str]:
        """(the families grouped and encoded, the tables' key), kept per ``signature`` (the family
        key, the search frequencies and the models: `prepare_search`)."""
        if self.groups is None or signature != self.signature:
            self.signature, self.groups = None, None
            self.groups = compute()
            self.signature = signature
        return self.groups

    def clear(self) -> None:
        self.key, self.tables = None, None
        self.family_key, self.observed, self.signature, self.groups = None, {}, None, None


def tables_key(groups: Sequence[FamilyGroup], freqs: Sequence[MarkerFrequencies], family_ids: Sequence[str],
               *, theta: float, mutation: MutationModel | None, classes: DropClasses, family_block: int) -> str:
    """SHA-256 of every input of `build_search_tables` (see `TableCache`)."""
    digest = hashlib.sha256()
    digest.update(repr((tuple(family_ids), float(theta), repr(mutation), repr(classes.models),
                        [classes.rows(len(f.alleles)) for f in freqs], family_block)).encode())
    for f in freqs:
        digest.update(repr((f.marker, f.alleles, f.unseen)).encode())
        digest.update(np.ascontiguousarray(f.freqs, dtype=np.float64).tobytes())
    for group in groups:
        digest.update(repr(([(p.person_id, p.father_id, p.mother_id, p.sex, p.missing) for p in group.pedigree.persons],
                            tuple(group.pedigree.typed_person_ids), group.relatives.shape)).encode())
        digest.update(np.ascontiguousarray(group.families, dtype=np.int64).tobytes())
        digest.update(np.ascontiguousarray(group.relatives).tobytes())
    return digest.hexdigest()


def prepare_search(
    table: FrequencyTable,
    pedigrees: Sequence[Pedigree],
    profiles: Profiles,
    remains_ids: Sequence[str],
    *,
    theta: float = 0.0,
    mutation: MutationModel | None = None,
    drop: DropModel | None = None,
    remains_dropout: Mapping[str, float] | None = None,
    family_block: int = FAMILY_BLOCK,
    n_threads: int = 1,
    progress: Callable[[int, int], None] | None = None,
    table_cache: TableCache | None = None,
    family_key: str | None = None,
) -> PreparedSearch:
    """Encode profiles and build the family tables for a search of `remains_ids`.

    Markers: those of the frequency table typed in at least one remains or reference of the
    search (table order). Markers absent from the table are ignored here (callers that must
    refuse them check first). mutation : model of every transmission; drop : drop-out/drop-in
    model of the remains; remains_dropout : remains sample -> its own drop-out probability (a
    badly degraded sample), same drop-in. table_cache : reuse the family tables of an earlier
    search with the same family side (`TableCache`); family_key : with it, the per-family work
    is kept in `table_cache` too (`TableCache` says what the key must promise).
    """
    classes = DropClasses.build(drop, remains_dropout)

    def families_observed() -> dict[str, set[str]]:
        return _observed(profiles, [s for ped in pedigrees for s in ped.sample_of().values()])

    kept = table_cache if family_key is not None else None  # the per-family work is kept too
    family_side = (kept.family_observed(family_key, families_observed) if kept is not None and family_key is not None
                   else families_observed())
    observed = {marker: set(alleles) for marker, alleles in family_side.items()}
    for marker, alleles in _observed(profiles, list(remains_ids)).items():
        observed.setdefault(marker, set()).update(alleles)
    markers = [m for m in table.marker_names() if m in observed]
    freqs = search_frequencies(table, markers, observed)
    family_ids = [p.family_id for p in pedigrees]

    def grouped() -> tuple[list[FamilyGroup], str]:
        groups = group_families(pedigrees, profiles, freqs)
        return groups, tables_key(groups, freqs, family_ids, theta=theta, mutation=mutation, classes=classes,
                                  family_block=family_block)

    if kept is not None and family_key is not None:
        signature = _family_signature(family_key, freqs, theta=theta, mutation=mutation, classes=classes,
                                      family_block=family_block)
        groups, key = kept.grouped(signature, grouped)
    elif table_cache is not None:
        groups, key = grouped()
    else:
        groups, key = group_families(pedigrees, profiles, freqs), ""

    def build() -> SearchTables:
        return build_search_tables(groups, freqs, family_ids, theta=theta, mutation=mutation, classes=classes,
                                   family_block=family_block, n_threads=n_threads, progress=progress)

    if table_cache is None:
        tables = build()
    else:
        tables = table_cache.get_or_build(key, build)
        if progress is not None:
            progress(1, 1)
    genotypes = genotype_indices(encode_profiles(profiles, list(remains_ids), freqs))
    codes = observation_codes(profiles, list(remains_ids), freqs, classes)
    return PreparedSearch(tables, genotypes, tuple(freqs), codes, classes,
                          one_seen_mask(profiles, list(remains_ids), freqs))


def _observed(profiles: Profiles, samples: Sequence[str]) -> dict[str, set[str]]:
    """marker -> every allele label typed in ``samples``."""
    observed: dict[str, set[str]] = {}
    for sample in samples:
        for marker, g in profiles.get(sample, {}).items():
            observed.setdefault(marker, set()).update(g)
    return observed


def _family_signature(family_key: str, freqs: Sequence[MarkerFrequencies], *, theta: float,
                      mutation: MutationModel | None, classes: DropClasses, family_block: int) -> str:
    """What the grouping and the tables' key depend on besides the families (`TableCache.grouped`)."""
    digest = hashlib.sha256()
    digest.update(repr((family_key, float(theta), repr(mutation), repr(classes.models),
                        [classes.rows(len(f.alleles)) for f in freqs], family_block)).encode())
    for f in freqs:
        digest.update(repr((f.marker, f.alleles, f.unseen)).encode())
        digest.update(np.ascontiguousarray(f.freqs, dtype=np.float64).tobytes())
    return digest.hexdigest()


def one_seen_mask(profiles: Profiles, sample_ids: Sequence[str], freqs: Sequence[MarkerFrequencies]) -> np.ndarray:
    """bool (N, L): the loci of each profile where one allele only was seen."""
    out = np.zeros((len(sample_ids), len(freqs)), dtype=bool)
    for n, sample in enumerate(sample_ids):
        profile = profiles.get(sample, {})
        for locus, f in enumerate(freqs):
            g = profile.get(f.marker)
            out[n, locus] = g is not None and len(g) == 1
    return out
