"""Exclusion and inclusion power against forrel 1.8.1 (tests/data/power-public): EP per marker
to 1e-9, IP and the mean log10 LR within Monte-Carlo error, the hidden true missing person's LR
to 1e-6; EP also by brute force over every genotype with the pedigree likelihood, and by the
textbook formula for one typed parent."""

from __future__ import annotations

import math
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from labtrack.cli.kinship_power import power_command
from labtrack.imports.exchange import read_freqs, read_genotypes, read_pedigrees
from labtrack.kinship.likelihood import pedigree_likelihood
from labtrack.kinship.lr import case_lr
from labtrack.kinship.power import THRESHOLDS, power, what_if

DATA = Path(__file__).resolve().parents[2] / "data" / "power-public"
FAMILIES = ["one_parent", "one_full_sibling", "paternal_grandparents"]
IP_NAMES = ["1", "10", "100", "1e3", "1e4", "1e6", "1e9"]


def table(name: str) -> pd.DataFrame:
    lines = [x for x in (DATA / name).read_text().splitlines(True) if not x.startswith("#")]
    return pd.read_csv(StringIO("".join(lines)), dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def inputs():
    return (read_freqs(DATA / "freqs.csv"), read_genotypes(DATA / "genotypes.csv"),
            read_pedigrees(DATA / "pedigrees.csv"))  # fmt: skip


@pytest.fixture(scope="module", params=FAMILIES)
def cli_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    family = request.param
    out = tmp_path_factory.mktemp(family) / "power.csv"
    result = CliRunner().invoke(power_command, [
        "--freqs", str(DATA / "freqs.csv"), "--genotypes", str(DATA / "genotypes.csv"),
        "--pedigrees", str(DATA / "pedigrees.csv"), "--family", family, "--nsim", "2000",
        "--seed", "11", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    return family, pd.read_csv(out, dtype=str, keep_default_na=False)


def test_ep_per_marker_and_total(cli_run) -> None:
    family, got = cli_run
    exp = table("power_per_marker.csv")
    exp = exp[exp["family_id"] == family].set_index("marker")
    markers = got[got["marker"] != "TOTAL"].set_index("marker")
    assert sorted(markers.index) == sorted(exp.index)
    for marker, row in exp.iterrows():
        assert float(markers.loc[marker, "ep"]) == pytest.approx(float(row["EP"]), abs=1e-9)
    total = got[got["marker"] == "TOTAL"].iloc[0]
    res = table("power_results.csv").set_index("family_id").loc[family]
    assert float(total["ep"]) == pytest.approx(float(res["EP_total"]), abs=1e-9)
    assert float(total["expected_mismatch"]) == pytest.approx(
        float(res["expected_mismatch"]), abs=1e-9)


def test_ip_and_mean_log10_lr_within_monte_carlo_error(cli_run) -> None:
    family, got = cli_run
    total = got[got["marker"] == "TOTAL"].iloc[0]
    res = table("power_results.csv").set_index("family_id").loc[family]
    for name in IP_NAMES:
        assert float(total[f"ip_lr_ge_{name}"]) == pytest.approx(
            float(res[f"IP_LR_ge_{name}"]), abs=0.05)
    assert float(total["mean_log10_lr"]) == pytest.approx(float(res["mean_log10_LR"]), abs=0.3)


def test_true_missing_person_lr(inputs) -> None:
    freqs, genotypes, pedigrees = inputs
    genotypes = {**genotypes, **read_genotypes(DATA / "true_mp_genotypes.csv")}
    res = table("power_results.csv").set_index("family_id")
    for case in table("cases.csv").itertuples():
        lr = case_lr(pedigrees[case.family_id], genotypes, case.unknown_sample_id, freqs)
        assert lr.log10_lr == pytest.approx(float(res.loc[case.family_id, "log10_LR_true_MP"]),
                                            abs=1e-6)  # fmt: skip


@pytest.mark.parametrize("family", FAMILIES)
def test_ep_by_brute_force(inputs, family: str) -> None:
    """EP_m = sum over every genotype g of P(g) [P(references, MP = g) = 0]."""
    freqs, genotypes, pedigrees = inputs
    pedigree = pedigrees[family]
    result = power(pedigree, genotypes, freqs, nsim=10, seed=1)
    for k, marker in enumerate(result.markers[:6]):
        alleles, p = freqs.alleles_and_freqs(marker)
        index = {a: i for i, a in enumerate(alleles)}
        refs = {pid: tuple(index[a] for a in genotypes[s][marker])
                for pid, s in pedigree.sample_of().items()}  # fmt: skip
        ep = 0.0
        for i in range(len(p)):
            for j in range(i, len(p)):
                lik = pedigree_likelihood(pedigree, {**refs, pedigree.missing_person_id: (i, j)}, p)
                if lik == 0:
                    ep += (1 if i == j else 2) * p[i] * p[j]
        assert result.ep[k] == pytest.approx(ep, abs=1e-12)


def test_one_parent_textbook_formula(inputs) -> None:
    freqs, genotypes, pedigrees = inputs
    result = power(pedigrees["one_parent"], genotypes, freqs, nsim=10, seed=1)
    for k, marker in enumerate(result.markers):
        alleles, p = freqs.alleles_and_freqs(marker)
        a, b = genotypes["one_parent:F"][marker]
        pa = p[alleles.index(a)]
        pb = p[alleles.index(b)] if b != a else 0.0
        assert result.ep[k] == pytest.approx((1 - pa - pb) ** 2, abs=1e-12)


def test_what_if_ranks_the_relatives(inputs) -> None:
    """A lone full sibling cannot exclude; typing a parent can, and ranks above a new half
    relation; every expected EP/IP is a probability."""
    freqs, genotypes, pedigrees = inputs
    pedigree = pedigrees["one_full_sibling"]
    base = power(pedigree, genotypes, freqs, nsim=200, seed=5)
    assert base.ep_total == 0
    ranked = what_if(pedigree, genotypes, freqs, nsim=200, seed=5, baseline=base)
    labels = [w.label for w in ranked]
    assert {"F", "M", "new full sibling", "new child", "spouse and new child"} <= set(labels)
    parent = next(w for w in ranked if w.label == "F")
    assert parent.ep_total > 0.99 and parent.ep_gain == pytest.approx(parent.ep_total)
    assert parent.ip[1e4] >= base.ip(1e4)
    for w in ranked:
        assert 0 <= w.ep_total <= 1 and all(0 <= w.ip[t] <= 1 for t in THRESHOLDS)
    # ranked by IP at 1e4, then mean log10 LR
    keys = [(w.ip[1e4], w.mean_log10_lr) for w in ranked]
    assert keys == sorted(keys, reverse=True)
    assert math.isfinite(np.mean([w.mean_log10_lr for w in ranked]))


def test_unknown_family_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(power_command, [
        "--freqs", str(DATA / "freqs.csv"), "--genotypes", str(DATA / "genotypes.csv"),
        "--pedigrees", str(DATA / "pedigrees.csv"), "--family", "nobody",
        "--out", str(tmp_path / "x.csv")])  # fmt: skip
    assert result.exit_code == 1
    assert "family nobody is not in pedigrees.csv" in result.output
    assert not (tmp_path / "x.csv").exists()
