"""Joint DVI against the public dvir 3.3.0 results (tests/data/dvi-public, see its README):
pairwise LRs, every joint assignment's log-likelihood and posterior, pairing probabilities to
1e-6, the best assignment exactly, and dvir's conclusions."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from labtrack.cli.kinship_dvi import dvi_command
from labtrack.imports.dvi_dataset import read_dvi_dataset
from labtrack.kinship.dvi import EventLikelihood, joint, pairwise_log_lr, solve

DATA = Path(__file__).resolve().parents[2] / "data" / "dvi-public"
DATASETS = ["example1", "example2", "KETPex481", "KETPch4"]
TOL = 1e-6


def expected(dataset: str, name: str) -> pd.DataFrame:
    path = DATA / dataset / name
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    from io import StringIO

    return pd.read_csv(StringIO("".join(lines)), dtype=str, keep_default_na=False)


def as_float(text: str) -> float:
    return {"-Inf": -math.inf, "Inf": math.inf, "": math.nan, "NA": math.nan}.get(text) or (
        0.0 if text in ("0", "0.0") else float(text)
    )


@pytest.fixture(scope="module", params=DATASETS)
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    dataset = request.param
    out = tmp_path_factory.mktemp(dataset)
    result = CliRunner().invoke(dvi_command, [str(DATA / dataset), "--out", str(out),
                                              "--top", "1000"])  # fmt: skip
    assert result.exit_code == 0, result.output
    return dataset, out


def ours(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / name, dtype=str, keep_default_na=False)


def test_pairwise_lrs(run) -> None:
    dataset, out = run
    exp = expected(dataset, "pairwise_lr.csv")
    exp = exp[exp["allowed"] == "TRUE"]
    got = ours(out, "pairwise_lr.csv").set_index(["victim", "missing_person_id"])
    assert len(got) == len(exp)
    for row in exp.itertuples():
        mine = got.loc[(row.victim, row.missing)]
        assert mine["family_id"] == row.family
        value, want = as_float(mine["log10_lr"]), as_float(row.log10_LR)
        if math.isinf(want):
            assert value == want
        else:
            assert value == pytest.approx(want, abs=TOL)


def test_every_joint_assignment(run) -> None:
    dataset, out = run
    exp = expected(dataset, "joint_all.csv.gz")
    got = ours(out, "joint.csv")
    victims = [c for c in exp.columns if c.startswith("V")]
    finite = exp[exp["loglik"] != "-Inf"]
    assert len(got) == len(finite)  # assignments of likelihood 0 are pruned, not listed
    key = lambda frame: frame[victims].agg("|".join, axis=1)  # noqa: E731
    mine = got.assign(key=key(got)).set_index("key")
    for row, k in zip(finite.itertuples(), key(finite), strict=True):
        assert float(mine.loc[k, "loglik"]) == pytest.approx(float(row.loglik), abs=TOL)
        assert float(mine.loc[k, "posterior"]) == pytest.approx(float(row.posterior_flat), abs=TOL)
        assert float(mine.loc[k, "log10_lr_vs_null"]) == pytest.approx(
            float(row.log10_LR_vs_null), abs=TOL)
        assert float(mine.loc[k, "log10_lr_vs_best"]) == pytest.approx(
            float(row.log10_LR_vs_best), abs=TOL)
    # the best assignment exactly, and the ranking (ties in any order)
    assert list(got.loc[0, victims]) == list(finite.iloc[0][victims])
    assert np.all(np.diff(got["loglik"].astype(float)) <= 1e-9)
    assert got["rank"].tolist() == [str(k) for k in range(1, len(got) + 1)]


def test_pairing_probabilities(run) -> None:
    dataset, out = run
    exp = expected(dataset, "bmarginal.csv").set_index("victim")
    got = ours(out, "bmarginal.csv").set_index("victim")
    assert list(got.columns) == list(exp.columns)
    assert list(got.index) == list(exp.index)
    np.testing.assert_allclose(got.astype(float).to_numpy(), exp.astype(float).to_numpy(),
                               atol=TOL, rtol=0)  # fmt: skip


def test_conclusions_per_missing_person(run) -> None:
    dataset, out = run
    exp = expected(dataset, "dvisolve_AM.csv")
    got = ours(out, "conclusions.csv")
    got = got[got["side"] == "AM"].reset_index(drop=True)
    assert got["missing_person_id"].tolist() == exp["Missing"].tolist()
    assert got["family_id"].tolist() == exp["Family"].tolist()
    assert got["conclusion"].tolist() == exp["Conclusion"].tolist()
    assert got["victim"].tolist() == exp["Sample"].tolist()
    for column, theirs in (("lr", "LR"), ("glr", "GLR")):
        for a, b in zip(got[column], exp[theirs], strict=True):
            assert (a == "") == (b == "")
            if b:
                assert math.log10(float(a)) == pytest.approx(math.log10(float(b)), abs=TOL)
    assert got["comment"].tolist() == exp["Comment"].tolist()


def test_conclusions_per_victim(run) -> None:
    """Every victim conclusion dvir gives is ours too. (dvir 3.3.0 gives no line for a victim
    whose only candidate is a missing person concluded "No match" when the exclusion step
    changed nothing, e.g. V3 of example2; we report it as "No match" with its best LR.)"""
    dataset, out = run
    exp = expected(dataset, "dvisolve_PM.csv")
    got = ours(out, "conclusions.csv")
    got = got[got["side"] == "PM"].set_index("victim")
    for row in exp.itertuples():
        mine = got.loc[row.Sample]
        assert mine["conclusion"] == row.Conclusion
        assert mine["missing_person_id"] == row.Missing
        assert mine["comment"] == row.Comment


def test_api_matches_the_files() -> None:
    """The core API gives the same numbers as the CLI files (one dataset with mutation)."""
    problem = read_dvi_dataset(DATA / "KETPch4")
    lik = EventLikelihood(problem)
    result = joint(problem, lik)
    assert result.method == "exact" and result.neglected_mass == 0
    meta = (DATA / "KETPch4" / "meta.txt").read_text()
    loglik0 = float(meta.split("loglik0 (all victims unidentified): ")[1].split()[0])
    assert result.loglik0 == pytest.approx(loglik0, abs=TOL)
    pair = pairwise_log_lr(lik)
    assert pair.shape == (4, 4)
    assert {c.conclusion for c in solve(problem, lik)} >= {"Undisputed", "Match (GLR)"}
