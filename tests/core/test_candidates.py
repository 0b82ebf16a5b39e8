"""Candidates of a blind search carry the exact case LR and per-locus evidence."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from labtrack.imports.exchange import read_freqs, read_genotypes, read_pedigrees
from labtrack.kinship.candidates import find_candidates

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "kinship-public"
FREQS = ROOT / "fixtures" / "freqs" / "nist1036.csv"


def _public() -> tuple:
    table = read_freqs(FREQS)
    genotypes = read_genotypes(DATA / "genotypes.csv")
    pedigrees = list(read_pedigrees(DATA / "pedigrees.csv").values())
    remains = sorted(s for s in genotypes if "-RM" in s)
    return table, genotypes, pedigrees, remains


def test_true_relatives_are_reported_with_the_exact_case_lr() -> None:
    table, genotypes, pedigrees, remains = _public()
    expected = pd.read_csv(DATA / "expected" / "baseline.csv", comment="#")
    stages: list[str] = []
    candidates = find_candidates(table, pedigrees, genotypes, remains, top_k=3, report_log10_lr=4.0,
                                 progress=lambda stage, done, total: stages.append(stage))
    found = {(c.remains_sample_id, c.family_id): c for c in candidates}
    for row in expected.itertuples():
        if row.log10_lr >= 4.0:
            candidate = found[(row.unknown_sample_id, row.case_id)]
            assert math.isclose(candidate.log10_lr, row.log10_lr, abs_tol=1e-6)
            assert candidate.loci_used == row.loci_used
    assert all(c.log10_lr >= 4.0 for c in candidates)
    assert {"tables", "search", "evidence"} <= set(stages)


def test_per_locus_rows_show_genotypes_and_flags() -> None:
    table, genotypes, pedigrees, remains = _public()
    candidates = find_candidates(table, pedigrees, genotypes, ["PUB-RM008"], report_log10_lr=20.0)
    best = next(c for c in candidates if c.family_id == "PUB-008")
    assert best.rank == 1 and best.posterior > 0.9999
    rows = {row["marker"]: row for row in best.per_locus}
    d3 = rows["D3S1358"]
    assert d3["remains"] == list(genotypes["PUB-RM008"]["D3S1358"])
    assert set(d3["relatives"]) == {"F", "M", "S1"}
    assert d3["lr"] > 0 and d3["used"] is True
    assert math.isclose(sum(r["log10_lr"] for r in best.per_locus if r["log10_lr"] is not None),
                        best.log10_lr, abs_tol=1e-9)


def test_no_families_or_remains_gives_no_candidates() -> None:
    table, genotypes, pedigrees, remains = _public()
    assert find_candidates(table, [], genotypes, remains) == []
    assert find_candidates(table, pedigrees, genotypes, []) == []
