"""Simulated STR genotypes (pure, seeded): founders drawn from an allele-frequency table,
children by Mendelian inheritance. Used to make the demo profiles and benchmark files.

Regenerate the demo file (deterministic)::

    python -m labtrack.simulation > fixtures/demo/profiles.csv
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from labtrack.core.kits import KITS

Genotype = dict[str, tuple[str, str]]
DEMO_SEED = 20250601
DEMO_LOCI = KITS["GlobalFiler"].autosomal


def load_table(path: Path) -> dict[str, tuple[list[str], np.ndarray]]:
    """marker → (alleles, frequencies normalised to sum 1)."""
    frame = pd.read_csv(path, comment="#", dtype={"allele": str})
    table = {}
    for marker, rows in frame.groupby("marker", sort=False):
        freqs = rows["frequency"].to_numpy(dtype=float)
        table[str(marker)] = (rows["allele"].tolist(), freqs / freqs.sum())
    return table


class Simulator:
    def __init__(self, table: dict[str, tuple[list[str], np.ndarray]], loci: Iterable[str],
                 seed: int) -> None:
        self.table = table
        self.loci = [locus for locus in loci if locus in table]
        self.rng = np.random.default_rng(seed)

    def founder(self) -> Genotype:
        result = {}
        for locus in self.loci:
            alleles, freqs = self.table[locus]
            a, b = self.rng.choice(len(alleles), size=2, p=freqs)
            result[locus] = (alleles[a], alleles[b])
        return result

    def child(self, father: Genotype, mother: Genotype) -> Genotype:
        return {locus: (father[locus][self.rng.integers(2)], mother[locus][self.rng.integers(2)])
                for locus in self.loci}


def _sorted_pair(pair: tuple[str, str]) -> tuple[str, str]:
    return tuple(sorted(pair, key=float))  # type: ignore[return-value]


def long_rows(sample_id: str, genotype: Genotype, *, sex: str | None = None,
              drop: int = 0) -> list[list[str]]:
    rows = []
    if sex:
        rows.append([sample_id, "AMEL", "X", "Y" if sex == "M" else "X"])
    for locus, pair in list(genotype.items())[: len(genotype) - drop]:
        rows.append([sample_id, locus, *_sorted_pair(pair)])
    return rows


def demo_profiles(table_path: Path) -> tuple[list[list[str]], list[list[str]]]:
    """(sample rows, staff rows) of the demo data: see ``fixtures/demo/PROFILES.md``."""
    sim = Simulator(load_table(table_path), DEMO_LOCI, DEMO_SEED)
    # FAM-0001: father D-0002, mother D-0001, missing son = QTF remains 1 (two samples)
    f1, m1 = sim.founder(), sim.founder()
    son1 = sim.child(f1, m1)
    # FAM-0002: missing father = QTF remains 2; untyped wife; daughter D-0003
    mp2, wife2 = sim.founder(), sim.founder()
    daughter2 = sim.child(mp2, wife2)
    # FAM-0003: father D-0004, untyped mother; missing son = NJH remains 1 (petrous; tooth partial)
    f3, m3 = sim.founder(), sim.founder()
    son3 = sim.child(f3, m3)
    # FAM-0004: untyped parents; missing daughter = QTF remains 3; brother D-0005
    f4, m4 = sim.founder(), sim.founder()
    daughter4, brother4 = sim.child(f4, m4), sim.child(f4, m4)
    unrelated = sim.founder()  # NJH remains 2: nobody's missing person
    staff1, staff2 = sim.founder(), sim.founder()
    rows: list[list[str]] = []
    samples = [
        ("QTF-00001-S01-S0", son1, "M", 0), ("QTF-00001-S02-8Z", son1, "M", 0),
        ("QTF-00002-S01-5F", mp2, "M", 0), ("QTF-00003-S01-D4", daughter4, "F", 0),
        ("QTF-00004-S01-LU", staff2, "M", 0),  # contamination by staff member STAFF-02
        ("NJH-00001-S01-BJ", son3, "M", 0), ("NJH-00001-S02-MU", son3, "M", 13),  # 8 loci only
        ("NJH-00002-S01-JA", unrelated, "F", 0),
        ("REF-00001-A-CA", m1, "F", 0), ("REF-00002-A-KP", f1, "M", 0),
        ("REF-00003-A-S1", daughter2, "F", 0), ("REF-00004-A-54", f3, "M", 0),
        ("REF-00005-A-DF", brother4, "M", 0),
    ]
    for sample_id, genotype, sex, drop in samples:
        rows += long_rows(sample_id, genotype, sex=sex, drop=drop)
    staff = long_rows("STAFF-01", staff1, sex="F") + long_rows("STAFF-02", staff2, sex="M")
    return rows, staff


def write_long_csv(rows: list[list[str]], out: object) -> None:
    writer = csv.writer(out, lineterminator="\n")  # type: ignore[arg-type]
    writer.writerow(["sample_id", "marker", "allele1", "allele2"])
    writer.writerows(rows)


if __name__ == "__main__":  # pragma: no cover
    from labtrack.fixtures_path import fixtures_dir

    sample_rows, staff_rows = demo_profiles(fixtures_dir() / "freqs" / "nist1036.csv")
    write_long_csv(staff_rows if sys.argv[1:] == ["staff"] else sample_rows, sys.stdout)
