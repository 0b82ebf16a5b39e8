"""`labtrack kinship lr` on small synthetic files: outputs, flags, and refusals of bad input."""

import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from labtrack.cli.kinship_lr import lr_command

FREQS = (
    "# toy table\nmarker,allele,frequency,count,n_alleles\n"
    "M1,1,0.1,10,100\nM1,2,0.2,20,100\nM1,3,0.3,30,100\nM1,4,0.4,40,100\n"
    "Penta E,5,0.5,50,100\nPenta E,6,0.5,50,100\n"
)
PEDIGREES = (
    "family_id,person_id,father_id,mother_id,sex,sample_id,missing\n"
    "F1,R1,,,1,REF1,0\nF1,U1,,,2,,0\nF1,MP,R1,U1,1,,1\n"
    "F2,R2,,,2,REF2,0\nF2,U2,,,1,,0\nF2,C2,U2,R2,1,REF3,0\nF2,MP,U2,R2,1,,1\n"
    "F3,U3,,,1,,0\nF3,MP,,,1,,1\n"
)
GENOTYPES = (
    "sample_id,marker,allele1,allele2\n"
    "REF1,M1,1,2\nREF1,PENTA_E,5,5\nREF1,AMEL,X,Y\n"
    "UNK1,M1,1,3\nUNK1,Penta E,5,6\nUNK1,AMEL,X,Y\n"
    "REF2,M1,1,1\nREF3,M1,2,3\n"
    "UNK2,M1,1,9\n"
)


def job(tmp_path: Path, **overrides: str) -> dict[str, Path]:
    files = {"freqs": FREQS, "genotypes": GENOTYPES, "pedigrees": PEDIGREES,
             "cases": "case_id,family_id,unknown_sample_id\nC1,F1,UNK1\nC2,F2,UNK2\n"}
    files.update(overrides)
    paths = {}
    for name, text in files.items():
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def invoke(paths: dict[str, Path], tmp_path: Path, *extra: str):
    args = []
    for name, path in paths.items():
        args += [f"--{name}", str(path)]
    args += ["--out", str(tmp_path / "out.csv"), "--per-locus", str(tmp_path / "loci.csv"),
             *extra]
    return CliRunner().invoke(lr_command, args)


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_outputs_and_flags(tmp_path: Path) -> None:
    result = invoke(job(tmp_path), tmp_path)
    assert result.exit_code == 0, result.output
    out = read(tmp_path / "out.csv").set_index("case_id")
    assert list(out.columns) == [
        "log10_lr", "lr", "loci_used", "loci_lr_zero", "undefined_loci", "unseen_alleles"
    ]
    # C1: parent a/b (1/2), child 1/3 -> 1/(4 p_1) = 2.5 at M1; Penta_E parent 5/5, child 5/6
    # -> 1/(2 p_5) = 1; AMEL is not in the table: skipped with a warning.
    assert float(out.loc["C1", "lr"]) == pytest.approx(2.5)
    assert out.loc["C1", "loci_used"] == "2"
    assert "AMEL" in result.output
    # C2: mother 1/1 and her child 2/3 contradict the pedigree: undefined, never a number.
    assert out.loc["C2", "log10_lr"] == "" and out.loc["C2", "lr"] == ""
    assert out.loc["C2", "undefined_loci"] == "M1"
    assert out.loc["C2", "unseen_alleles"] == "M1:9"
    loci = read(tmp_path / "loci.csv")
    assert list(loci.columns) == ["case_id", "marker", "lr", "log10_lr", "used",
                                  "unseen_alleles", "lik_h1", "lik_h2", "flag"]
    flags = dict(zip(loci.case_id + "/" + loci.marker, loci.flag, strict=True))
    assert flags["C2/M1"] == "inconsistent_references"
    assert flags["C1/AMEL"] == "not_in_frequency_table"
    assert float(loci[loci.case_id == "C2"].lik_h2.iloc[0]) == 0.0


def test_exclusion_is_minus_infinity(tmp_path: Path) -> None:
    genotypes = GENOTYPES.replace("UNK1,M1,1,3", "UNK1,M1,3,4")
    result = invoke(job(tmp_path, genotypes=genotypes), tmp_path)
    assert result.exit_code == 0, result.output
    row = read(tmp_path / "out.csv").set_index("case_id").loc["C1"]
    assert row.log10_lr == "-inf" and row.lr == "0" and row.loci_lr_zero == "1"
    with_mutation = invoke(job(tmp_path, genotypes=genotypes), tmp_path,
                           "--mutation-model", "equal", "--mutation-rate", "0.002")
    assert with_mutation.exit_code == 0
    row = read(tmp_path / "out.csv").set_index("case_id").loc["C1"]
    assert math.isfinite(float(row.log10_lr)) and float(row.log10_lr) < 0


def test_family_without_typed_relative_is_reported(tmp_path: Path) -> None:
    cases = "case_id,family_id,unknown_sample_id\nC3,F3,UNK1\n"
    one_parent = PEDIGREES.replace("F3,MP,,,1,,1", "F3,MP,U3,,1,,1")
    result = invoke(job(tmp_path, pedigrees=one_parent, cases=cases), tmp_path)
    assert result.exit_code != 0  # a bad family refuses the whole job
    assert "pedigrees.csv, row 10, field mother_id" in result.output
    assert "one parent only" in result.output
    result = invoke(job(tmp_path, cases=cases), tmp_path)
    assert result.exit_code == 0, result.output
    assert "no typed relative" in result.output
    row = read(tmp_path / "out.csv").iloc[0]
    assert float(row.lr) == 1.0 and row.loci_used == "0"
    result = invoke(job(tmp_path, cases="case_id,family_id,unknown_sample_id\nC4,F1,REF1\n"),
                    tmp_path)
    assert result.exit_code == 0, result.output
    assert "also a reference" in result.output


def test_bad_input_lists_every_problem_and_writes_nothing(tmp_path: Path) -> None:
    paths = job(
        tmp_path,
        freqs=FREQS.replace("M1,4,0.4", "M1,4,0.0"),
        genotypes=GENOTYPES + "REF9,M1,,1\n",  # allele1 empty (allele2 empty = one seen)
        cases="case_id,family_id,unknown_sample_id\nC1,F1,UNK1\nC9,F9,NOPE\n",
    )
    result = invoke(paths, tmp_path)
    assert result.exit_code != 0
    for expected in (
        "freqs.csv, row 6, field frequency",
        "genotypes.csv, row 11, field allele1",
        "cases.csv, row 3, field family_id",
    ):
        assert expected in result.output
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "loci.csv").exists()


def test_reference_sample_without_genotypes(tmp_path: Path) -> None:
    result = invoke(job(tmp_path, genotypes=GENOTYPES.replace("REF3", "REFX")), tmp_path)
    assert result.exit_code != 0
    assert "pedigrees.csv, row 7, field sample_id" in result.output


@pytest.mark.parametrize(
    "extra",
    [
        ("--theta", "1.5"),
        ("--mutation-model", "equal"),
        ("--mutation-rate", "0.01"),
        ("--mutation-model", "equal", "--mutation-rate", "2"),
        ("--mutation-model", "geometric", "--mutation-rate", "0.01"),
    ],
)
def test_bad_options(tmp_path: Path, extra: tuple[str, ...]) -> None:
    result = invoke(job(tmp_path), tmp_path, *extra)
    assert result.exit_code != 0
    assert not (tmp_path / "out.csv").exists()


def test_per_locus_mutation_rates(tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("marker,rate\nM1,0.01\n", encoding="utf-8")
    genotypes = GENOTYPES.replace("UNK1,M1,1,3", "UNK1,M1,3,4")
    paths = job(tmp_path, genotypes=genotypes)
    result = invoke(paths, tmp_path, "--mutation-model", "equal", "--mutation-rates", str(rates),
                    "--mutation-rate", "0.002")
    assert result.exit_code == 0, result.output
    low = float(read(tmp_path / "out.csv").set_index("case_id").loc["C1", "log10_lr"])
    rates.write_text("marker,rate\nM1,0.001\n", encoding="utf-8")
    invoke(paths, tmp_path, "--mutation-model", "equal", "--mutation-rates", str(rates), "--mutation-rate", "0.002")
    lower = float(read(tmp_path / "out.csv").set_index("case_id").loc["C1", "log10_lr"])
    assert lower == pytest.approx(low - 1, abs=0.01)  # LR proportional to the rate


def test_theta_with_mutation(tmp_path: Path) -> None:
    """Both at once: a mutation-explained mismatch stays finite, theta lowers the LR."""
    genotypes = GENOTYPES.replace("UNK1,M1,1,3", "UNK1,M1,3,4")
    paths = job(tmp_path, genotypes=genotypes)
    mutation = ("--mutation-model", "equal", "--mutation-rate", "0.002")
    assert invoke(paths, tmp_path, *mutation).exit_code == 0
    without = float(read(tmp_path / "out.csv").set_index("case_id").loc["C1", "log10_lr"])
    result = invoke(paths, tmp_path, *mutation, "--theta", "0.03")
    assert result.exit_code == 0, result.output
    with_theta = float(read(tmp_path / "out.csv").set_index("case_id").loc["C1", "log10_lr"])
    assert math.isfinite(with_theta) and with_theta != without


def test_unwritable_output_is_a_clean_error(tmp_path: Path) -> None:
    paths = job(tmp_path)
    args = []
    for name, path in paths.items():
        args += [f"--{name}", str(path)]
    result = CliRunner().invoke(lr_command, [*args, "--out", str(tmp_path / "no" / "out.csv")])
    assert result.exit_code != 0
    assert "cannot write the output" in result.output
