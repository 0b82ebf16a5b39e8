"""`labtrack kinship lr` reproduces the public validation set (R pedsuite values) in all five
models: total log10 LR to 1e-6 (-inf and NaN matched exactly), per-locus lik_h1, lik_h2 and lr
to relative 1e-9."""

import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from labtrack.cli.kinship_lr import lr_command

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "kinship-public"
FREQS = ROOT / "fixtures" / "freqs" / "nist1036.csv"

MODELS = {
    "baseline": [],
    "theta_0.01": ["--theta", "0.01"],
    "mut_equal": ["--mutation-model", "equal", "--mutation-rate", "0.002"],
    "mut_proportional": ["--mutation-model", "proportional", "--mutation-rate", "0.002"],
    "mut_stepwise": [
        "--mutation-model", "stepwise", "--mutation-rate", "0.002",
        "--mutation-rate2", "1e-6", "--mutation-range", "0.1",
    ],
}


def run(tmp_path: Path, extra: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    out, per_locus = tmp_path / "lr.csv", tmp_path / "per_locus.csv"
    args = [
        "--freqs", str(FREQS), "--genotypes", str(DATA / "genotypes.csv"),
        "--pedigrees", str(DATA / "pedigrees.csv"), "--cases", str(DATA / "cases.csv"),
        "--out", str(out), "--per-locus", str(per_locus), *extra,
    ]
    result = CliRunner().invoke(lr_command, args)
    assert result.exit_code == 0, result.output
    read = {"keep_default_na": False, "dtype": str}
    return pd.read_csv(out, **read), pd.read_csv(per_locus, **read)


def as_float(text: str) -> float:
    text = str(text).strip()
    if text in ("", "NaN", "NA"):
        return math.nan
    return float(text.replace("Inf", "inf"))


def same(got: float, want: float, *, abs_tol: float = 0.0, rel_tol: float = 0.0) -> bool:
    if math.isnan(want) or math.isinf(want):
        return got == want or (math.isnan(want) and math.isnan(got))
    return math.isclose(got, want, abs_tol=abs_tol, rel_tol=rel_tol)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_totals_match_reference(tmp_path: Path, model: str) -> None:
    got, _ = run(tmp_path, MODELS[model])
    want = pd.read_csv(DATA / "expected" / f"{model}.csv", comment="#", dtype=str,
                       keep_default_na=False)
    assert list(got.case_id) == list(want.case_id)
    for (_, g), (_, w) in zip(got.iterrows(), want.iterrows(), strict=True):
        assert same(as_float(g.log10_lr), as_float(w.log10_lr), abs_tol=1e-6), g.case_id
        assert int(g.loci_used) == int(w.loci_used), g.case_id
        assert int(g.loci_lr_zero) == int(w.loci_lr_zero), g.case_id
        assert g.unseen_alleles == w.unseen_alleles, g.case_id
        assert same(as_float(g.lr), as_float(w.lr), rel_tol=1e-5), g.case_id


@pytest.mark.parametrize("model", sorted(MODELS))
def test_per_locus_likelihoods_match_reference(tmp_path: Path, model: str) -> None:
    _, got = run(tmp_path, MODELS[model])
    want = pd.read_csv(DATA / "expected" / f"{model}_per_locus.csv", comment="#", dtype=str,
                       keep_default_na=False)
    got = got.set_index(["case_id", "marker"])
    assert len(got) == len(want)
    for _, w in want.iterrows():
        g = got.loc[(w.case_id, w.marker)]
        for column in ("lik_h1", "lik_h2", "lr"):
            assert same(as_float(g[column]), as_float(w[column]), rel_tol=1e-9), (
                w.case_id, w.marker, column
            )
        assert int(g.used) == int(w.used)
        assert g.unseen_alleles == w.unseen_alleles


def test_exclusions_are_minus_infinity(tmp_path: Path) -> None:
    got, per_locus = run(tmp_path, [])
    excluded = got.set_index("case_id").loc["PUB-007"]
    assert excluded.log10_lr == "-inf" and excluded.lr == "0"
    flags = per_locus[per_locus.case_id == "PUB-007"].flag
    assert (flags == "exclusion").sum() == 17
