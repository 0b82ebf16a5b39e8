"""The shipped per-marker mutation-rate table (fixtures/mutation_rates/aabb2003_strbase.csv, see
its README.md): it reads cleanly, the markers of the default frequency table it leaves out are the
documented ones, and `labtrack kinship lr --mutation-rates` uses each marker's own maternal and
paternal rate (checked against the stepwise formula computed here, from the file's numbers)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from labtrack.cli.kinship_lr import lr_command
from labtrack.imports.mutation_rates import read_mutation_rates
from labtrack.kinship.markers import canonical_marker

ROOT = Path(__file__).resolve().parents[3]
TABLE = ROOT / "fixtures" / "mutation_rates" / "aabb2003_strbase.csv"
README = TABLE.parent / "README.md"
FREQS = ROOT / "fixtures" / "freqs" / "nist1036.csv"
#: Loci of nist1036.csv without an AABB 2003 rate (README: "Markers of the default frequency table
#: without a rate here"): they take the model's default rate (--mutation-rate).
NOT_IN_TABLE = {"D10S1248", "D12S391", "D1S1656", "D22S1045", "D2S441", "D6S1043", "SE33", "F13A01",
                "F13B", "FESFPS", "LPL", "Penta_C"}
RATE2, RANGE = 1e-6, 0.1  # the CLI's defaults for the stepwise model


def table_rates() -> tuple[dict[str, float], dict[str, float]]:
    """female, male rates read straight from the CSV (not through the app's reader)."""
    female, male = {}, {}
    with TABLE.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        for row in rows:
            female[row["marker"]] = float(row["female_rate"])
            male[row["marker"]] = float(row["male_rate"])
    return female, male


def nist_frequencies() -> dict[str, dict[str, float]]:
    freqs: dict[str, dict[str, float]] = {}
    with FREQS.open(encoding="utf-8") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            freqs.setdefault(row["marker"], {})[row["allele"]] = float(row["frequency"])
    return freqs


def test_table_reads_cleanly_with_its_source() -> None:
    table = read_mutation_rates(TABLE)
    female, male = table_rates()
    assert len(table.female) == len(female) == 17
    assert table.female == {canonical_marker(m): r for m, r in female.items()}
    assert table.male == {canonical_marker(m): r for m, r in male.items()}
    assert all(0 < rate < 0.01 for rate in [*table.female.values(), *table.male.values()])
    # paternal transmissions mutate at least as often as maternal ones at every AABB locus
    assert all(table.male[m] >= table.female[m] for m in table.female)
    assert "AABB" in table.source and "strbase.nist.gov" in table.source


def test_markers_of_the_default_frequency_table_not_covered_are_the_documented_ones() -> None:
    table = read_mutation_rates(TABLE)
    nist = set(nist_frequencies())
    assert set(table.female) <= nist  # every name is the frequency table's spelling
    assert nist - set(table.female) == NOT_IN_TABLE
    readme = README.read_text(encoding="utf-8")
    assert all(name in readme for name in NOT_IN_TABLE)


def stepwise(alleles: list[str], rate: float) -> np.ndarray:
    """pedmut's stepwise model, written out here: within a microvariant group, rate shared in
    proportion to RANGE^steps; RATE2 shared by the other groups; the rest stays."""
    x = [float(a) for a in alleles]
    group = [round(10 * (v - round(v))) for v in x]
    m = np.zeros((len(x), len(x)))
    for i, xi in enumerate(x):
        same = [j for j in range(len(x)) if j != i and group[j] == group[i]]
        other = [j for j in range(len(x)) if group[j] != group[i]]
        total = sum(RANGE ** abs(xi - x[j]) for j in same)
        for j in same:
            m[i, j] = rate * RANGE ** abs(xi - x[j]) / total
        for j in other:
            m[i, j] = RATE2 / len(other)
        m[i, i] = 1 - (rate if same else 0) - (RATE2 if other else 0)
    return m


def expected_log10_lr(marker: str, father: tuple[str, str], child: tuple[str, str],
                      female_rate: float, male_rate: float) -> float:
    """Father typed, mother untyped, child = the remains: P(child | father) / P(child)."""
    freqs = nist_frequencies()[marker]
    alleles = list(freqs)
    p = np.array([freqs[a] for a in alleles])
    index = {a: i for i, a in enumerate(alleles)}
    paternal = stepwise(alleles, male_rate)
    maternal = p @ stepwise(alleles, female_rate)  # allele of an untyped mother, after mutation

    def from_father(allele: str) -> float:
        return 0.5 * sum(paternal[index[f], index[allele]] for f in father)

    c1, c2 = child
    if c1 == c2:
        related, unrelated = from_father(c1) * maternal[index[c1]], p[index[c1]] ** 2
    else:
        related = from_father(c1) * maternal[index[c2]] + from_father(c2) * maternal[index[c1]]
        unrelated = 2 * p[index[c1]] * p[index[c2]]
    return math.log10(related / unrelated)


# Three father-child cases, each with one one-step mismatch (the child has neither of the
# father's alleles): D21S11 and FGA have their own rates in the table, D1S1656 has none.
CASES = {
    "C1": ("D21S11", ("28", "29"), ("30", "32.2")),
    "C2": ("FGA", ("21", "22"), ("23", "24")),
    "C3": ("D1S1656", ("14", "15"), ("16", "17.3")),
}


def _invoke_lr(tmp_path: Path, *extra: str):  # noqa: ANN202
    pedigrees = ["family_id,person_id,father_id,mother_id,sex,sample_id,missing"]
    genotypes = ["sample_id,marker,allele1,allele2"]
    cases = ["case_id,family_id,unknown_sample_id"]
    for n, (case, (marker, father, child)) in enumerate(CASES.items(), start=1):
        pedigrees += [f"F{n},R{n},,,1,REF{n},0", f"F{n},U{n},,,2,,0", f"F{n},MP,R{n},U{n},1,,1"]
        genotypes += [f"REF{n},{marker},{father[0]},{father[1]}", f"UNK{n},{marker},{child[0]},{child[1]}"]
        cases.append(f"{case},F{n},UNK{n}")
    files = {"pedigrees": pedigrees, "genotypes": genotypes, "cases": cases}
    args = ["--freqs", str(FREQS)]
    for name, lines in files.items():
        path = tmp_path / f"{name}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        args += [f"--{name}", str(path)]
    out = tmp_path / "out.csv"
    return CliRunner().invoke(lr_command, [*args, "--out", str(out), "--mutation-model", "stepwise",
                                           "--mutation-rates", str(TABLE), *extra])


def run_lr(tmp_path: Path, *extra: str) -> pd.DataFrame:
    result = _invoke_lr(tmp_path, *extra)
    assert result.exit_code == 0, result.output
    return pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False).set_index("case_id")


def test_kinship_lr_uses_each_markers_own_rates(tmp_path: Path) -> None:
    female, male = table_rates()
    out = run_lr(tmp_path, "--mutation-rate", "0.002")
    got = {case: float(out.loc[case, "log10_lr"]) for case in CASES}
    assert all(math.isfinite(value) for value in got.values())  # a mutation, not an exclusion
    rates = {"D21S11": (female["D21S11"], male["D21S11"]), "FGA": (female["FGA"], male["FGA"]),
             "D1S1656": (0.002, 0.002)}  # not in the table: --mutation-rate
    for case, (marker, father, child) in CASES.items():
        expected = expected_log10_lr(marker, father, child, *rates[marker])
        assert got[case] == pytest.approx(expected, abs=1e-9), case
    # The rate used is the marker's own: D21S11 computed with FGA's rates would differ.
    assert male["FGA"] > 2 * male["D21S11"]
    swapped = expected_log10_lr("D21S11", *CASES["C1"][1:], female["FGA"], male["FGA"])
    assert abs(swapped - got["C1"]) > 0.2
    # The LR of a paternal one-step mutation grows with the paternal rate: FGA's is ~2x D21S11's.
    assert expected_log10_lr("FGA", *CASES["C2"][1:], female["FGA"], male["FGA"]) > \
        expected_log10_lr("FGA", *CASES["C2"][1:], female["D21S11"], male["D21S11"]) + 0.2


def test_a_table_without_a_rate_for_the_other_markers_is_refused(tmp_path: Path) -> None:
    """Without --mutation-rate the markers the table does not list (D1S1656 here) would get rate 0,
    so a one-step mutation there would exclude a true father without a word: refused, nothing
    written. An explicit 0 is the analyst's choice and gives that exclusion."""
    result = _invoke_lr(tmp_path)
    assert result.exit_code != 0
    assert "--mutation-rates needs --mutation-rate" in result.output
    assert not (tmp_path / "out.csv").exists()
    out = run_lr(tmp_path, "--mutation-rate", "0")
    assert math.isfinite(float(out.loc["C1", "log10_lr"]))
    assert float(out.loc["C3", "lr"]) == 0.0
