"""Simulator: Mendelian, deterministic, realistic enough that true relatives are found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labtrack.imports.exchange import read_freqs, read_genotypes, read_pedigrees
from labtrack.kinship.search import search
from labtrack.kinship.search_tables import build_search_tables, prepare_search
from labtrack.kinship.simulate import SimulatedData, search_inputs, simulate

FREQS = Path(__file__).resolve().parents[3] / "fixtures" / "freqs" / "nist1036.csv"


@pytest.fixture(scope="module")
def table():
    return read_freqs(FREQS)


@pytest.fixture(scope="module")
def data(table) -> SimulatedData:
    return simulate(300, 200, 20, 7, table, rare_rate=0.01)


def test_children_carry_one_allele_of_each_parent(data):
    checked = 0
    for s, shape in enumerate(data.shapes):
        geno = data.family_genotypes[s]  # (F_s, persons, L, 2); untyped refs are -1
        for p, (_pid, father, mother, _sex) in enumerate(shape.persons):
            if not father:
                continue
            child = geno[:, p]
            for side, parent in enumerate((father, mother)):
                par = geno[:, shape.index(parent)]
                ok = (child[..., side, None] == par).any(axis=-1)
                known = (child[..., side] >= 0) & (par[..., 0] >= 0)
                assert ok[known].all()
                checked += int(known.sum())
    assert checked > 1000


def test_deterministic_for_a_seed(table):
    a = simulate(50, 40, 10, 3, table)
    b = simulate(50, 40, 10, 3, table)
    c = simulate(50, 40, 10, 4, table)
    np.testing.assert_array_equal(a.remains_genotypes, b.remains_genotypes)
    np.testing.assert_array_equal(a.remains_family, b.remains_family)
    assert not np.array_equal(a.remains_genotypes, c.remains_genotypes)


def test_mix_of_shapes_missing_loci_rare_alleles_unrelated(data):
    used = {data.shapes[s].name for s in np.unique(data.family_shape)}
    assert {"parent", "both_parents", "full_sibling", "half_sibling", "grandparents"} <= used
    n_typed = {len(data.shapes[s].typed) for s in np.unique(data.family_shape)}
    assert n_typed == {1, 2, 3, 4}
    assert (data.remains_family == -1).sum() == 40  # 20% of 200 unrelated
    assert len(set(data.remains_family[data.remains_family >= 0])) == 160
    assert (data.remains_genotypes[..., 0] == -1).any()
    rare = np.array([len(a) - 1 for a in data.alleles])
    assert (data.remains_genotypes == rare[None, :, None]).any()


def test_files_round_trip_through_the_readers(data, table, tmp_path):
    data.write(tmp_path)
    peds = read_pedigrees(tmp_path / "pedigrees.csv")
    profiles = read_genotypes(tmp_path / "genotypes.csv")
    assert list(peds) == list(data.family_ids)
    assert set(read_freqs(tmp_path / "freqs.csv").marker_names()) == set(data.markers)
    remains = (tmp_path / "remains.txt").read_text().split()
    from_files = prepare_search(table, list(peds.values()), profiles, remains)
    groups, freqs, geno = search_inputs(data, table)
    direct = build_search_tables(groups, freqs, list(data.family_ids))
    assert set(from_files.tables.markers) == set(direct.markers)
    for locus, marker in enumerate(direct.markers):
        other = from_files.tables.markers.index(marker)
        np.testing.assert_array_equal(from_files.genotypes[:, other], geno[:, locus])
        np.testing.assert_array_equal(
            from_files.tables.locus_table(other), direct.locus_table(locus)
        )


CLOSE = {"parent", "both_parents", "full_sibling", "two_siblings", "mother_and_sibling",
         "parents_and_sibling", "mother_and_three_siblings", "child_and_spouse",
         "spouse_and_children"}  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2])
def test_true_relatives_rank_first(table, seed):
    data = simulate(200, 200, 20, seed, table, related_fraction=1.0)
    groups, freqs, geno = search_inputs(data, table)
    tables = build_search_tables(groups, freqs, list(data.family_ids))
    result = search(tables, geno, top_k=10)
    truth = data.remains_family
    shape = np.array([data.shapes[s].name for s in data.family_shape])[truth]
    close = np.isin(shape, list(CLOSE))
    top1 = result.remains_top.index[:, 0] == truth
    assert close.sum() > 100
    assert top1[close].mean() >= 0.9
    top10 = (result.remains_top.index == truth[:, None]).any(axis=1)
    assert top10.mean() >= 0.9
    # the family's own list finds its missing person too
    fam_first = result.family_top.index[truth, 0] == np.arange(truth.size)
    assert fam_first[close].mean() >= 0.9
