"""`labtrack kinship lr --dropout D --dropin C` reproduces relMix's LRs with allelic drop-out and
drop-in (tests/data/dropout-public, Haned et al. 2012 single-contributor model) to 1e-6 in
log10 LR, and with d = c = 0 gives the ordinary LR (one seen allele read as a homozygote)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from labtrack.cli.kinship_lr import lr_command

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "dropout-public" / "dropout_lr.csv"
FREQS = ROOT / "fixtures" / "freqs" / "nist1036.csv"

PEDIGREES = {
    # the reference R is a parent of the unknown (the missing person MP)
    "parent_child": [("R", "", "", "1", "REF"), ("U", "", "", "2", ""), ("MP", "R", "U", "1", "")],
    "full_sibling": [
        ("F", "", "", "1", ""), ("M", "", "", "2", ""),
        ("R", "F", "M", "1", "REF"), ("MP", "F", "M", "1", ""),
    ],
}

EXPECTED = pd.read_csv(DATA, comment="#", dtype=str, keep_default_na=False)
SETTINGS = sorted({(r.dropout_het, r.dropout_hom, r.dropin) for r in EXPECTED.itertuples()})


def write_cases(folder: Path, rows: pd.DataFrame) -> None:
    pedigrees = ["family_id,person_id,father_id,mother_id,sex,sample_id,missing"]
    genotypes = ["sample_id,marker,allele1,allele2"]
    cases = ["case_id,family_id,unknown_sample_id"]
    for k, row in enumerate(rows.itertuples()):
        family = f"F{k}"
        for person, father, mother, sex, sample in PEDIGREES[row.relation]:
            sample_id = f"{family}-{sample}" if sample else ""
            missing = "1" if person == "MP" else "0"
            pedigrees.append(f"{family},{person},{father},{mother},{sex},{sample_id},{missing}")
        a, b = row.ref_genotype.split("/")
        genotypes.append(f"{family}-REF,{row.marker},{a},{b}")
        seen = row.stain_alleles.split("/")
        genotypes.append(f"{family}-U,{row.marker},{seen[0]},{seen[1] if len(seen) > 1 else ''}")
        cases.append(f"{family},{family},{family}-U")
    for name, lines in (("pedigrees", pedigrees), ("genotypes", genotypes), ("cases", cases)):
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(("dropout", "dropout_hom", "dropin"), SETTINGS)
def test_relmix_values_reproduced(tmp_path: Path, dropout: str, dropout_hom: str, dropin: str) -> None:
    rows = EXPECTED[
        (EXPECTED.dropout_het == dropout) & (EXPECTED.dropout_hom == dropout_hom)
        & (EXPECTED.dropin == dropin)
    ].reset_index(drop=True)
    write_cases(tmp_path, rows)
    out, per_locus = tmp_path / "lr.csv", tmp_path / "loci.csv"
    args = [
        "--freqs", str(FREQS), "--genotypes", str(tmp_path / "genotypes.csv"),
        "--pedigrees", str(tmp_path / "pedigrees.csv"), "--cases", str(tmp_path / "cases.csv"),
        "--out", str(out), "--per-locus", str(per_locus),
        "--dropout", dropout, "--dropout-hom", dropout_hom, "--dropin", dropin,
    ]
    result = CliRunner().invoke(lr_command, args)
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out, dtype={"case_id": str}).set_index("case_id")
    loci = pd.read_csv(per_locus, dtype={"case_id": str}).set_index("case_id")
    for k, row in rows.iterrows():
        want = float(row.log10_LR.replace("Inf", "inf"))
        value = float(got.loc[f"F{k}", "log10_lr"])
        if math.isinf(want):
            assert value == want, (row.to_dict(), value)
        else:
            assert value == pytest.approx(want, abs=1e-6), row.to_dict()
        # the two likelihoods themselves, not only their ratio
        assert float(loci.loc[f"F{k}", "lik_h1"]) == pytest.approx(float(row.lik_H1), rel=1e-9)
        assert float(loci.loc[f"F{k}", "lik_h2"]) == pytest.approx(float(row.lik_H2), rel=1e-9)


def test_a_seen_allele_the_parent_lacks_is_an_exclusion_only_without_drop_out(tmp_path: Path) -> None:
    rows = EXPECTED[(EXPECTED.relation == "parent_child") & (EXPECTED.stain_alleles == "17")]
    write_cases(tmp_path, rows.head(1).reset_index(drop=True))
    common = [
        "--freqs", str(FREQS), "--genotypes", str(tmp_path / "genotypes.csv"),
        "--pedigrees", str(tmp_path / "pedigrees.csv"), "--cases", str(tmp_path / "cases.csv"),
        "--out", str(tmp_path / "lr.csv"),
    ]
    assert CliRunner().invoke(lr_command, common).exit_code == 0
    assert pd.read_csv(tmp_path / "lr.csv")["log10_lr"].iloc[0] == -math.inf
    assert CliRunner().invoke(lr_command, [*common, "--dropout", "0.1"]).exit_code == 0
    assert math.isfinite(pd.read_csv(tmp_path / "lr.csv")["log10_lr"].iloc[0])


@pytest.mark.parametrize(
    ("option", "value"),
    [("--dropout", "1.0"), ("--dropout", "-0.1"), ("--dropin", "1"), ("--mutation-rate", "1.5")],
)
def test_probabilities_outside_the_unit_interval_are_refused(tmp_path: Path, option: str, value: str) -> None:
    rows = EXPECTED.head(1).reset_index(drop=True)
    write_cases(tmp_path, rows)
    extra = ["--mutation-model", "equal"] if option == "--mutation-rate" else []
    result = CliRunner().invoke(lr_command, [
        "--freqs", str(FREQS), "--genotypes", str(tmp_path / "genotypes.csv"),
        "--pedigrees", str(tmp_path / "pedigrees.csv"), "--cases", str(tmp_path / "cases.csv"),
        "--out", str(tmp_path / "lr.csv"), *extra, option, value,
    ])
    assert result.exit_code == 2
    assert "[0, 1)" in result.output
    assert not (tmp_path / "lr.csv").exists()
