"""The blind search under mutation and drop-out/drop-in models equals `labtrack kinship lr`
under the same models (float32 aside), on random simulated cases with one-allele-seen loci,
failed loci and mutated transmissions; per-profile drop-out classes too."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from labtrack.imports.exchange import read_freqs, read_genotypes, read_pedigrees
from labtrack.kinship.dropout import DropModel
from labtrack.kinship.lr import case_lr
from labtrack.kinship.mutation import MutationModel
from labtrack.kinship.search import score_pairs
from labtrack.kinship.search_tables import prepare_search
from labtrack.kinship.simulate import simulate

ROOT = Path(__file__).resolve().parents[3]
FREQS = ROOT / "fixtures" / "freqs" / "nist1036.csv"

MODELS = {
    "stepwise by sex + drop-out": (
        MutationModel("stepwise", 0.0, female_rate=0.004, male_rate=0.012), DropModel(0.1)
    ),
    "proportional + drop-out and drop-in": (
        MutationModel("proportional", 0.005), DropModel(0.2, 0.05)
    ),
    "equal, no drop model": (MutationModel("equal", 0.003), None),
    "drop-out only": (None, DropModel(0.15, 0.0, 0.05)),
}


@pytest.fixture(scope="module")
def grave(tmp_path_factory) -> tuple:
    out = tmp_path_factory.mktemp("grave")
    table = read_freqs(FREQS)
    data = simulate(30, 24, 12, 5, table, rare_rate=0.0, mutation_rate=0.03, one_seen_rate=0.3,
                    remains_missing_rate=0.1)
    data.write(out)
    genotypes = read_genotypes(out / "genotypes.csv")
    pedigrees = list(read_pedigrees(out / "pedigrees.csv").values())
    remains = [str(r) for r in data.remains_ids]
    assert any(len(g) == 1 for r in remains for g in genotypes[r].values())  # one allele seen occurs
    return table, genotypes, pedigrees, remains, data


@pytest.mark.parametrize("name", sorted(MODELS))
def test_search_equals_the_exact_lr(grave: tuple, name: str) -> None:
    table, genotypes, pedigrees, remains, data = grave
    mutation, drop = MODELS[name]
    prepared = prepare_search(table, pedigrees, genotypes, remains, mutation=mutation, drop=drop)
    rng = np.random.default_rng(1)
    true_pairs = [(r, int(f)) for r, f in enumerate(data.remains_family) if f >= 0]
    pairs = true_pairs[:8] + [(int(rng.integers(len(remains))), int(rng.integers(len(pedigrees))))
                              for _ in range(12)]
    r_idx = np.array([r for r, _ in pairs])
    f_idx = np.array([f for _, f in pairs])
    got = score_pairs(prepared.tables, prepared.rows, r_idx, f_idx)
    for (r, f), value in zip(pairs, got, strict=True):
        exact = case_lr(pedigrees[f], genotypes, remains[r], table, mutation=mutation, drop=drop)
        if math.isnan(exact.log10_lr):  # references inconsistent without a mutation model
            assert np.isnan(value)
        elif exact.log10_lr == -math.inf:
            assert value == -np.inf, (name, remains[r], pedigrees[f].family_id)
        else:
            assert value == pytest.approx(exact.log10_lr, abs=2e-3, rel=1e-5), (name, r, f)


def test_a_degraded_sample_gets_its_own_drop_out(grave: tuple) -> None:
    table, genotypes, pedigrees, remains, data = grave
    r = next(i for i, sample in enumerate(remains)
             if any(len(g) == 1 for g in genotypes[sample].values()) and data.remains_family[i] >= 0)
    f = int(data.remains_family[r])
    own = {remains[r]: 0.4}
    prepared = prepare_search(table, pedigrees, genotypes, remains, drop=DropModel(0.05),
                              remains_dropout=own)
    value = score_pairs(prepared.tables, prepared.rows, np.array([r]), np.array([f]))[0]
    exact = case_lr(pedigrees[f], genotypes, remains[r], table, drop=DropModel(0.4))
    default = case_lr(pedigrees[f], genotypes, remains[r], table, drop=DropModel(0.05))
    assert value == pytest.approx(exact.log10_lr, abs=2e-3)
    assert abs(exact.log10_lr - default.log10_lr) > 1e-2  # the override made a difference


def test_theta_with_a_drop_model_equals_the_exact_lr(grave: tuple) -> None:
    table, genotypes, pedigrees, remains, data = grave
    drop = DropModel(0.15, 0.02)
    prepared = prepare_search(table, pedigrees, genotypes, remains, theta=0.02, drop=drop)
    pairs = [(r, int(f)) for r, f in enumerate(data.remains_family) if f >= 0][:6]
    got = score_pairs(prepared.tables, prepared.rows, np.array([r for r, _ in pairs]),
                      np.array([f for _, f in pairs]))
    for (r, f), value in zip(pairs, got, strict=True):
        exact = case_lr(pedigrees[f], genotypes, remains[r], table, theta=0.02, drop=drop)
        if math.isnan(exact.log10_lr):
            assert np.isnan(value)
        elif exact.log10_lr == -math.inf:
            assert value == -np.inf
        else:
            assert value == pytest.approx(exact.log10_lr, abs=2e-3, rel=1e-5)
