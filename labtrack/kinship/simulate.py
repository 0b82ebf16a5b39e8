"""Synthetic blind-search data: families of mixed pedigree shapes, their missing persons' remains,
unrelated remains, untyped loci and rare alleles, by vectorised Mendelian simulation.

`simulate(...)` returns a `SimulatedData` (arrays); `SimulatedData.write(dir)` writes the
exchange-format files `freqs.csv`, `genotypes.csv`, `pedigrees.csv`, plus `remains.txt` (the
searchable remains, one sample id a line) and `truth.csv` (`remains_sample_id,family_id`, family
blank for remains of no searched family).

Founder alleles are drawn from the frequency table; with probability `rare_rate` a founder
allele is instead a rare allele absent from the table (label: the largest table allele + 1), so
that the unseen-allele rule is exercised. Each child receives one random allele of each parent;
with `mutation_rate` > 0 a transmitted allele mutates one repeat up or down (stepwise). With
`one_seen_rate` > 0, a heterozygous locus of a remains shows only one of its alleles (drop-out):
stored as allele index ONE_SEEN in the second slot, written with an empty `allele2`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from labtrack.kinship._shapes import SHAPES, Shape
from labtrack.kinship.freqs import FrequencyTable, MarkerFrequencies
from labtrack.kinship.pedigree import Pedigree, Person
from labtrack.kinship.search_tables import FamilyGroup, genotype_indices, search_frequencies

#: Second allele slot of a remains locus where only the first allele was seen.
ONE_SEEN = -2

#: Preferred locus order: the 20 CODIS core loci, then the other usual kit loci.
LOCUS_ORDER = (
    "CSF1PO D3S1358 D5S818 D7S820 D8S1179 D13S317 D16S539 D18S51 D21S11 FGA TH01 TPOX vWA "
    "D1S1656 D2S441 D2S1338 D10S1248 D12S391 D19S433 D22S1045 SE33 Penta_D Penta_E D6S1043 "
    "Penta_C F13A01 F13B FESFPS LPL"
).split()


@dataclass
class SimulatedData:
    """A simulated blind-search data set (allele indices into `alleles[l]`, -1 untyped).

    markers : tuple of str, length L
    alleles : per locus, the table alleles then one rare allele label (not in the table)
    freqs : per locus, float64 table frequencies, shape (n_l,) (rare allele excluded)
    n_alleles : per locus, 2N of the table (None if unknown)
    family_ids : ndarray of str, shape (F,)
    family_shape : ndarray, int64, shape (F,), index into `shapes`
    family_genotypes : per shape s, int16 (F_s, n_persons_s, L, 2): every person of the
        families of shape s, in `shapes[s].persons` order; families in `family_ids` order
    remains_ids : ndarray of str, shape (R,)
    remains_genotypes : int16, shape (R, L, 2)
    remains_family : int64, shape (R,), the true family index, -1 unrelated
    reference_missing : float, share of reference loci left untyped
    """

    markers: tuple[str, ...]
    alleles: tuple[tuple[str, ...], ...]
    freqs: tuple[np.ndarray, ...]
    n_alleles: tuple[int | None, ...]
    shapes: tuple[Shape, ...]
    family_ids: np.ndarray
    family_shape: np.ndarray
    family_genotypes: tuple[np.ndarray, ...]
    remains_ids: np.ndarray
    remains_genotypes: np.ndarray
    remains_family: np.ndarray

    def families_of_shape(self, s: int) -> np.ndarray:
        """Family indices of shape s, int64 (F_s,), matching `family_genotypes[s]` rows."""
        return np.flatnonzero(self.family_shape == s)

    def reference_genotypes(self, s: int) -> np.ndarray:
        """Typed relatives of the families of shape s: int16 (F_s, n_typed, L, 2)."""
        shape = self.shapes[s]
        return self.family_genotypes[s][:, [shape.index(p) for p in shape.typed]]

    def write(self, directory: str | Path) -> None:
        """Write the exchange-format files, remains.txt and truth.csv into `directory`."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self._freqs_frame().to_csv(out / "freqs.csv", index=False)
        self._pedigree_frame().to_csv(out / "pedigrees.csv", index=False)
        self._genotype_frame().to_csv(out / "genotypes.csv", index=False)
        (out / "remains.txt").write_text("".join(f"{r}\n" for r in self.remains_ids))
        family = np.where(
            self.remains_family >= 0, self.family_ids[np.maximum(self.remains_family, 0)], ""
        )
        pd.DataFrame({"remains_sample_id": self.remains_ids, "family_id": family}).to_csv(
            out / "truth.csv", index=False
        )

    def _freqs_frame(self) -> pd.DataFrame:
        parts = []
        for m, alleles, freqs, two_n in zip(
            self.markers, self.alleles, self.freqs, self.n_alleles, strict=True
        ):
            parts.append(
                pd.DataFrame(
                    {
                        "marker": m,
                        "allele": list(alleles[: freqs.size]),
                        "frequency": freqs,
                        "n_alleles": two_n if two_n else "",
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def _pedigree_frame(self) -> pd.DataFrame:
        parts = []
        for s, shape in enumerate(self.shapes):
            fam = self.family_ids[self.families_of_shape(s)]
            if fam.size == 0:
                continue
            n_p = len(shape.persons)
            fid = np.repeat(fam, n_p)
            pid = np.tile([p[0] for p in shape.persons], fam.size)
            typed = np.tile([p[0] in shape.typed for p in shape.persons], fam.size)
            parts.append(
                pd.DataFrame(
                    {
                        "family_id": fid,
                        "person_id": pid,
                        "father_id": np.tile([p[1] for p in shape.persons], fam.size),
                        "mother_id": np.tile([p[2] for p in shape.persons], fam.size),
                        "sex": np.tile([p[3] for p in shape.persons], fam.size),
                        "sample_id": np.where(typed, _sample_ids(fid, pid), ""),
                        "missing": np.tile(
                            [int(p[0] == shape.missing) for p in shape.persons], fam.size
                        ),
                        "_order": np.repeat(self.families_of_shape(s), n_p),
                    }
                )
            )
        frame = pd.concat(parts, ignore_index=True)
        frame = frame.sort_values("_order", kind="stable").drop(columns="_order")
        return frame

    def _genotype_frame(self) -> pd.DataFrame:
        samples = [self.remains_ids]
        genos = [self.remains_genotypes]
        for s, shape in enumerate(self.shapes):
            fam = self.family_ids[self.families_of_shape(s)]
            if fam.size == 0:
                continue
            refs = self.reference_genotypes(s)  # (F_s, n_typed, L, 2)
            fid = np.repeat(fam, len(shape.typed))
            samples.append(_sample_ids(fid, np.tile(shape.typed, fam.size)))
            genos.append(refs.reshape(-1, len(self.markers), 2))
        sample = np.concatenate(samples)
        geno = np.concatenate(genos)  # (N, L, 2)
        typed_n, typed_l = np.nonzero(geno[:, :, 0] >= 0)
        offsets = np.concatenate([[0], np.cumsum([len(a) for a in self.alleles])])
        labels = np.array([a for alleles in self.alleles for a in alleles], dtype=object)
        one_seen = geno[typed_n, typed_l, 1] == ONE_SEEN
        first = geno[typed_n, typed_l, 0]
        second = np.where(one_seen, first, geno[typed_n, typed_l, 1])
        a1 = first + offsets[typed_l]
        a2 = second + offsets[typed_l]
        allele2 = labels[np.maximum(a1, a2)]
        allele2[one_seen] = ""
        return pd.DataFrame(
            {
                "sample_id": sample[typed_n],
                "marker": np.array(self.markers, dtype=object)[typed_l],
                "allele1": np.where(one_seen, labels[a1], labels[np.minimum(a1, a2)]),
                "allele2": allele2,
            }
        )


def simulate(
    n_families: int,
    n_remains: int,
    n_loci: int,
    seed: int,
    freqs_table: FrequencyTable,
    *,
    related_fraction: float = 0.8,
    remains_missing_rate: float = 0.05,
    reference_missing_rate: float = 0.02,
    rare_rate: float = 0.001,
    shapes: tuple[Shape, ...] = SHAPES,
    mutation_rate: float = 0.0,
    one_seen_rate: float = 0.0,
) -> SimulatedData:
    """Simulate families and remains; deterministic for a seed.

    n_families : F families, shapes drawn by their weights
    n_remains : R remains, min(round(related_fraction * R), F) of them the missing persons of
        distinct families, the others unrelated; in random order
    n_loci : L loci, the first L of `LOCUS_ORDER` found in the table (then the table's others)
    remains_missing_rate / reference_missing_rate : chance that a locus is untyped
    rare_rate : chance that a founder allele is a rare allele absent from the table
    mutation_rate : chance per transmission and locus of a one-step mutation (up or down)
    one_seen_rate : chance that a heterozygous remains locus shows one allele only
    """
    for name, value in (("mutation_rate", mutation_rate), ("one_seen_rate", one_seen_rate)):
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{name} {value} is not in [0, 1)")
    rng = np.random.default_rng(seed)
    markers = _choose_markers(freqs_table, n_loci)
    alleles, freqs, two_n = [], [], []
    for m in markers:
        table_alleles, f = freqs_table.alleles_and_freqs(m)
        alleles.append(tuple(table_alleles) + (_rare_label(table_alleles),))
        freqs.append(f)
        two_n.append(freqs_table.markers[m].n_alleles)
    weights = np.array([s.weight for s in shapes], dtype=np.float64)
    family_shape = rng.choice(len(shapes), size=n_families, p=weights / weights.sum())
    founders = _FounderDraw(rng, freqs, rare_rate)
    steps = _Steps([a[:-1] for a in alleles], mutation_rate)
    family_genotypes = []
    missing = np.full((n_families, len(markers), 2), -1, dtype=np.int16)
    for s, shape in enumerate(shapes):
        fam = np.flatnonzero(family_shape == s)
        geno = _simulate_shape(rng, founders, shape, fam.size, steps)
        missing[fam] = geno[:, shape.index(shape.missing)]
        typed = [shape.index(p) for p in shape.typed]
        drop = rng.random((fam.size, len(typed), len(markers))) < reference_missing_rate
        sub = geno[:, typed]
        sub[drop] = -1
        geno[:, typed] = sub
        family_genotypes.append(geno)
    n_related = min(round(related_fraction * n_remains), n_families)
    related = rng.choice(n_families, size=n_related, replace=False)
    remains = np.concatenate([missing[related], founders.draw(n_remains - n_related)])
    remains_family = np.concatenate(
        [related, np.full(n_remains - n_related, -1, dtype=np.int64)]
    ).astype(np.int64)
    order = rng.permutation(n_remains)
    remains, remains_family = remains[order], remains_family[order]
    remains[rng.random((n_remains, len(markers))) < remains_missing_rate] = -1
    if one_seen_rate > 0:
        het = (remains[..., 0] >= 0) & (remains[..., 0] != remains[..., 1])
        lost = het & (rng.random(het.shape) < one_seen_rate)
        keep = rng.integers(0, 2, size=het.shape)
        kept = np.take_along_axis(remains, keep[..., None], axis=2)[..., 0]
        remains[lost, 0] = kept[lost]
        remains[lost, 1] = ONE_SEEN
    width = max(6, len(str(max(n_families, n_remains))))
    return SimulatedData(
        markers=tuple(markers),
        alleles=tuple(alleles),
        freqs=tuple(freqs),
        n_alleles=tuple(two_n),
        shapes=shapes,
        family_ids=np.array([f"FAM-{i + 1:0{width}d}" for i in range(n_families)], dtype=object),
        family_shape=family_shape.astype(np.int64),
        family_genotypes=tuple(family_genotypes),
        remains_ids=np.array([f"RM-{i + 1:0{width}d}" for i in range(n_remains)], dtype=object),
        remains_genotypes=remains,
        remains_family=remains_family,
    )


class _FounderDraw:
    """Independent founder genotypes: int16 (n, L, 2) allele indices (rare allele = n_l)."""

    def __init__(self, rng: np.random.Generator, freqs: list[np.ndarray], rare_rate: float):
        self.rng = rng
        self.cumulative = [np.cumsum(f) for f in freqs]
        self.rare_rate = rare_rate

    def draw(self, n: int) -> np.ndarray:
        u = self.rng.random((n, len(self.cumulative), 2))
        rare = self.rng.random((n, len(self.cumulative), 2)) < self.rare_rate
        out = np.empty(u.shape, dtype=np.int16)
        for locus, cum in enumerate(self.cumulative):
            idx = np.searchsorted(cum, u[:, locus] * cum[-1], side="right")
            idx = np.minimum(idx, cum.size - 1)
            out[:, locus] = np.where(rare[:, locus], cum.size, idx)
        return out


class _Steps:
    """One-step mutations: per locus, the index of the allele one repeat up and down (-1 none)."""

    def __init__(self, alleles: list[tuple[str, ...]], rate: float) -> None:
        self.rate = rate
        self.up: list[np.ndarray] = []
        self.down: list[np.ndarray] = []
        for labels in alleles:
            values = {}
            for k, label in enumerate(labels):
                try:
                    values[round(float(label), 1)] = k
                except ValueError:
                    continue
            up = np.full(len(labels) + 1, -1, dtype=np.int16)  # + the rare allele (never moves)
            down = up.copy()
            for value, k in values.items():
                up[k] = values.get(round(value + 1, 1), -1)
                down[k] = values.get(round(value - 1, 1), -1)
            self.up.append(up)
            self.down.append(down)

    def apply(self, rng: np.random.Generator, allele: np.ndarray) -> np.ndarray:
        """Mutate transmitted alleles int16 (n, L) in place and return them."""
        if self.rate <= 0:
            return allele
        hit = rng.random(allele.shape) < self.rate
        upward = rng.random(allele.shape) < 0.5
        for locus in range(allele.shape[1]):
            rows = np.flatnonzero(hit[:, locus] & (allele[:, locus] >= 0))
            if rows.size == 0:
                continue
            current = allele[rows, locus]
            up, down = self.up[locus][current], self.down[locus][current]
            first = np.where(upward[rows, locus], up, down)
            other = np.where(upward[rows, locus], down, up)
            target = np.where(first >= 0, first, other)
            allele[rows, locus] = np.where(target >= 0, target, current)
        return allele


def _simulate_shape(
    rng: np.random.Generator,
    founders: _FounderDraw,
    shape: Shape,
    n: int,
    steps: _Steps | None = None,
) -> np.ndarray:
    """Genotypes of every person of n families of one shape: int16 (n, n_persons, L, 2)."""
    n_loci = len(founders.cumulative)
    geno = np.empty((n, len(shape.persons), n_loci, 2), dtype=np.int16)
    for p, (_pid, father, mother, _sex) in enumerate(shape.persons):
        if not father:
            geno[:, p] = founders.draw(n)
            continue
        for side, parent in enumerate((father, mother)):
            pick = rng.integers(0, 2, size=(n, n_loci, 1))
            received = np.take_along_axis(geno[:, shape.index(parent)], pick, axis=2)[..., 0]
            geno[:, p, :, side] = received if steps is None else steps.apply(rng, received)
    return geno


def _choose_markers(table: FrequencyTable, n_loci: int) -> list[str]:
    names = table.marker_names()
    ordered = [m for m in LOCUS_ORDER if m in names] + [m for m in names if m not in LOCUS_ORDER]
    if not 1 <= n_loci <= len(ordered):
        raise ValueError(f"n_loci must be in 1..{len(ordered)} for this frequency table")
    return ordered[:n_loci]


def _rare_label(alleles: tuple[str, ...]) -> str:
    try:
        return str(int(max(float(a) for a in alleles)) + 1)
    except ValueError:
        return "rare"


def _sample_ids(family_ids: np.ndarray, person_ids: np.ndarray) -> np.ndarray:
    return np.char.add(np.char.add(family_ids.astype(str), "-"), np.asarray(person_ids, dtype=str))


def search_inputs(
    data: SimulatedData, table: FrequencyTable
) -> tuple[list[FamilyGroup], list[MarkerFrequencies], np.ndarray]:
    """The simulated data encoded for the search without going through files.

    Returns the family groups (one per shape), the search-wide frequencies (unseen = the rare
    alleles that occur) and the remains genotype indices, int32 (R, L). Allele indices carry
    over unchanged: `for_case` keeps the table alleles first and appends the rare one.
    """
    observed: dict[str, set[str]] = {m: set() for m in data.markers}
    for locus, m in enumerate(data.markers):
        rare = len(data.alleles[locus]) - 1
        seen = (data.remains_genotypes[:, locus] == rare).any() or any(
            (g[:, :, locus] == rare).any() for g in data.family_genotypes
        )
        if seen:
            observed[m].add(data.alleles[locus][rare])
    freqs = search_frequencies(table, data.markers, observed)
    groups = []
    for s, shape in enumerate(data.shapes):
        fam = data.families_of_shape(s)
        if fam.size == 0:
            continue
        pedigree = shape_pedigree(shape)
        order = [shape.typed.index(p) for p in pedigree.typed_person_ids]
        groups.append(FamilyGroup(pedigree, fam, data.reference_genotypes(s)[:, order]))
    return groups, freqs, genotype_indices(data.remains_genotypes)


def shape_pedigree(shape: Shape, family_id: str = "") -> Pedigree:
    """The pedigree of a shape (sample id = person id for the typed relatives)."""
    persons = [
        Person(
            pid,
            father or None,
            mother or None,
            sex,
            pid if pid in shape.typed else None,
            pid == shape.missing,
        )
        for pid, father, mother, sex in shape.persons
    ]
    return Pedigree.build(family_id or shape.name, persons)
