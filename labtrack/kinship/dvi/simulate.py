"""Simulated closed events for tests and benchmarks: families of several shapes (one to three
missing persons, one or two typed references), victims = most missing persons' true profiles
plus unrelated remains; Mendelian simulation with NumPy (no mutation in the simulation)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labtrack.kinship.dvi.problem import DVIProblem, MutationSpec, Victim
from labtrack.kinship.freqs import FrequencyTable
from labtrack.kinship.pedigree import FEMALE, MALE, Person
from labtrack.kinship.simulate import LOCUS_ORDER

#: (person, father, mother, sex (0 = random), role "ref" / "mp" / "")
SHAPES: tuple[tuple[tuple[str, str, str, int, str], ...], ...] = (
    (("FA", "", "", MALE, "ref"), ("MO", "", "", FEMALE, "ref"), ("C", "FA", "MO", 0, "mp")),
    (("FA", "", "", MALE, ""), ("MO", "", "", FEMALE, "ref"), ("S1", "FA", "MO", 0, "mp"),
     ("S2", "FA", "MO", 0, "mp")),
    (("P", "", "", MALE, "mp"), ("W", "", "", FEMALE, "ref"), ("C", "P", "W", 0, "mp")),
    (("FA", "", "", MALE, ""), ("MO", "", "", FEMALE, ""), ("S", "FA", "MO", 0, "ref"),
     ("C", "FA", "MO", 0, "mp")),
    (("FA", "", "", MALE, "ref"), ("MO", "", "", FEMALE, "ref"), ("S1", "FA", "MO", 0, "mp"),
     ("S2", "FA", "MO", 0, "mp"), ("S3", "FA", "MO", 0, "mp")),
    (("FA", "", "", MALE, "ref"), ("MO", "", "", FEMALE, ""), ("C", "FA", "MO", 0, "mp")),
)  # fmt: skip


@dataclass(frozen=True)
class SimulatedEvent:
    problem: DVIProblem
    truth: dict[str, str]  # victim -> missing person id (absent: unrelated)


def simulate_event(
    n_victims: int,
    n_families: int,
    n_loci: int,
    seed: int,
    table: FrequencyTable,
    *,
    related_fraction: float = 0.85,
    mutation_rate: float = 0.0,
) -> SimulatedEvent:
    """A closed event: `n_families` families with shapes drawn at random, `n_victims` victims of
    whom about `related_fraction` are missing persons of the event."""
    rng = np.random.default_rng(seed)
    markers = [m for m in LOCUS_ORDER if m in table][:n_loci]
    alleles = [table.alleles_and_freqs(m)[0] for m in markers]
    cums = [np.cumsum(table.alleles_and_freqs(m)[1]) for m in markers]

    def founder() -> list[tuple[int, int]]:
        out = []
        for cum in cums:
            u = rng.random(2) * cum[-1]
            out.append(tuple(int(x) for x in np.minimum(np.searchsorted(cum, u), len(cum) - 1)))
        return out

    families: dict[str, list[Person]] = {}
    genotypes: dict[str, dict[str, tuple[str, str]]] = {}
    missing: list[tuple[str, int, list[tuple[int, int]]]] = []
    for f in range(n_families):
        fid = f"F{f + 1:03d}"
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        geno: dict[str, list[tuple[int, int]]] = {}
        persons = []
        for pid, fa, mo, sex, role in shape:
            sex = sex or int(rng.choice([MALE, FEMALE]))
            if fa:
                geno[pid] = [(geno[fa][k][rng.integers(2)], geno[mo][k][rng.integers(2)])
                             for k in range(len(markers))]  # fmt: skip
            else:
                geno[pid] = founder()
            name = f"{fid}-{pid}"
            sample = name if role == "ref" else None
            if sample:
                genotypes[sample] = _labels(geno[pid], markers, alleles)
            persons.append(Person(name, f"{fid}-{fa}" if fa else None,
                                  f"{fid}-{mo}" if mo else None, sex, sample, role == "mp"))
            if role == "mp":
                missing.append((name, sex, geno[pid]))
        families[fid] = persons
    n_related = min(len(missing), round(related_fraction * n_victims))
    chosen = rng.choice(len(missing), size=n_related, replace=False)
    entries = [missing[k] for k in chosen]
    entries += [("", int(rng.choice([MALE, FEMALE])), founder())
                for _ in range(n_victims - n_related)]  # fmt: skip
    order = rng.permutation(len(entries))
    victims, truth = [], {}
    for k, j in enumerate(order):
        mp, sex, g = entries[j]
        vid = f"V{k + 1:03d}"
        victims.append(Victim(vid, sex))
        genotypes[vid] = _labels(g, markers, alleles)
        if mp:
            truth[vid] = mp
    mutation = None
    if mutation_rate > 0:
        mutation = {(m, s): MutationSpec("equal", mutation_rate)
                    for m in markers for s in (MALE, FEMALE)}  # fmt: skip
    problem = DVIProblem.build(victims=victims, families=families, genotypes=genotypes,
                               freqs=table, mutation=mutation)  # fmt: skip
    return SimulatedEvent(problem, truth)


def _labels(
    geno: list[tuple[int, int]], markers: list[str], alleles: list[tuple[str, ...]]
) -> dict[str, tuple[str, str]]:
    return {m: (alleles[k][g[0]], alleles[k][g[1]]) for k, (m, g) in enumerate(zip(markers, geno,
                                                                                  strict=True))}
