"""Search tables agree with the exact per-case LR of the likelihood engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labtrack.imports.exchange import read_freqs, read_genotypes, read_pedigrees
from labtrack.kinship.dropout import DropModel
from labtrack.kinship.lr import case_lr
from labtrack.kinship.mutation import MutationModel
from labtrack.kinship.search import score_pairs, search
from labtrack.kinship.search_observations import DropClasses, observation_likelihoods
from labtrack.kinship.search_tables import (
    build_search_tables,
    distinct_references,
    prepare_search,
    shape_key,
)
from labtrack.kinship.simulate import search_inputs, simulate
from labtrack.kinship.tables import mp_lr_tables

FREQS = Path(__file__).resolve().parents[3] / "fixtures" / "freqs" / "nist1036.csv"


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    table = read_freqs(FREQS)
    out = tmp_path_factory.mktemp("sim")
    simulate(60, 40, 15, 5, table, rare_rate=0.0, reference_missing_rate=0.1).write(out)
    pedigrees = list(read_pedigrees(out / "pedigrees.csv").values())
    profiles = read_genotypes(out / "genotypes.csv")
    remains = (out / "remains.txt").read_text().split()
    return table, pedigrees, profiles, remains


def test_search_lr_equals_case_lr(job):
    table, pedigrees, profiles, remains = job
    prepared = prepare_search(table, pedigrees, profiles, remains)
    result = search(prepared.tables, prepared.genotypes, top_k=3)
    rng = np.random.default_rng(0)
    pairs = [(r, int(result.remains_top.index[r, 0])) for r in range(len(remains))]
    pairs += [(int(rng.integers(len(remains))), int(rng.integers(len(pedigrees))))
              for _ in range(40)]  # fmt: skip
    r_idx = np.array([p[0] for p in pairs])
    f_idx = np.array([p[1] for p in pairs])
    got = score_pairs(prepared.tables, prepared.genotypes, r_idx, f_idx)
    for (r, f), value in zip(pairs, got, strict=True):
        exact = case_lr(pedigrees[f], profiles, remains[r], table).log10_lr
        if np.isneginf(exact):
            assert np.isneginf(value)
        else:
            assert value == pytest.approx(exact, abs=1e-4)  # float32 sums


def test_unseen_alleles_get_one_search_wide_frequency(job):
    table, pedigrees, profiles, remains = job
    profiles = {s: dict(p) for s, p in profiles.items()}
    marker = "TH01"
    profiles[remains[0]][marker] = ("99", "99")
    prepared = prepare_search(table, pedigrees, profiles, remains)
    th01 = next(f for f in prepared.freqs if f.marker == marker)
    assert th01.unseen == ("99",)
    two_n = table.markers[marker].n_alleles
    assert th01.freqs[-1] == pytest.approx((5 / two_n) / (1 + 5 / two_n))
    assert th01.freqs.sum() == pytest.approx(1.0)
    # markers without unseen alleles keep the table frequencies
    other = next(f for f in prepared.freqs if f.marker == "CSF1PO")
    np.testing.assert_allclose(other.freqs, table.alleles_and_freqs("CSF1PO")[1])


def test_untyped_relatives_contribute_nothing(job):
    table, pedigrees, profiles, remains = job
    profiles = {s: dict(p) for s, p in profiles.items()}
    for sample in pedigrees[0].sample_of().values():
        profiles[sample].pop("TH01", None)
    prepared = prepare_search(table, pedigrees, profiles, remains)
    locus = prepared.tables.markers.index("TH01")
    np.testing.assert_array_equal(prepared.tables.locus_table(locus)[:, 0], 0.0)


def test_shape_key_ignores_names_but_not_structure(job):
    _, pedigrees, _, _ = job
    keys = {shape_key(p) for p in pedigrees}
    assert 1 < len(keys) <= 12


def test_families_with_the_same_references_share_one_table():
    genotypes = np.array(
        [
            [[3, 1], [2, 2]],
            [[1, 3], [2, 2]],  # same references, first genotype written the other way round
            [[1, 3], [2, 4]],
            [[3, 1], [2, 2]],
        ]
    )
    distinct, inverse = distinct_references(genotypes)
    assert distinct.shape == (2, 2, 2)
    assert inverse[0] == inverse[1] == inverse[3] != inverse[2]
    np.testing.assert_array_equal(distinct[inverse], np.sort(genotypes, axis=2))


@pytest.mark.parametrize("model", [None, MutationModel("stepwise", 0.01), "drop"])
def test_shared_tables_equal_each_familys_own(model):
    """Many families of one shape with repeated references: each family's row of the search
    tables equals its own exact table (the sharing changes no number)."""
    table = read_freqs(FREQS)
    data = simulate(400, 5, 6, 11, table, related_fraction=1.0)
    groups, freqs, _ = search_inputs(data, table)
    mutation = model if isinstance(model, MutationModel) else None
    classes = DropClasses.build(DropModel(0.1) if model == "drop" else None)
    tables = build_search_tables(groups, freqs, list(data.family_ids), mutation=mutation,
                                 classes=classes)
    group = next(g for g in groups if list(g.pedigree.typed_person_ids) == ["FA"])
    rel = group.relatives[:, :, 0, :]
    assert len(distinct_references(rel)[0]) < len(group.families)  # repeats do occur
    weights = observation_likelihoods(freqs[0].freqs, classes.models) if classes.active else None
    locus0 = tables.locus_table(0)
    for row, family in enumerate(group.families[:40]):
        own = mp_lr_tables(group.pedigree, rel[row : row + 1], freqs[0].freqs, mutation=mutation,
                           marker=freqs[0].marker, alleles=freqs[0].alleles, observations=weights)
        with np.errstate(divide="ignore"):
            expected = np.log10(own[0]).astype(np.float32)
        np.testing.assert_allclose(locus0[:, family], expected, rtol=1e-6)


def _same_tables(a, b) -> bool:
    return (a.markers == b.markers and a.family_ids == b.family_ids and np.array_equal(a.offsets, b.offsets)
            and len(a.blocks) == len(b.blocks)
            and all(np.array_equal(x, y) for x, y in zip(a.blocks, b.blocks, strict=True)))


def test_a_table_cache_reuses_the_family_tables_only_for_the_same_family_side(job):
    """Runs of one new remains against the same families rebuild nothing; a changed reference,
    model or unseen allele builds afresh, and the tables always equal an uncached build."""
    from labtrack.kinship.search_tables import TableCache

    table, pedigrees, profiles, remains = job
    models = {"mutation": MutationModel("stepwise", 0.002), "drop": DropModel(0.05)}
    cache = TableCache()
    first = prepare_search(table, pedigrees, profiles, remains[:1], **models, table_cache=cache)
    second = prepare_search(table, pedigrees, profiles, remains[1:2], **models, table_cache=cache)
    assert second.tables is first.tables and (cache.builds, cache.hits) == (1, 1)
    fresh = prepare_search(table, pedigrees, profiles, remains[1:2], **models)
    assert _same_tables(second.tables, fresh.tables)
    assert np.array_equal(second.rows, fresh.rows)
    found = search(second.tables, second.rows, top_k=3)
    expected = search(fresh.tables, fresh.rows, top_k=3)
    assert np.array_equal(found.remains_top.index, expected.remains_top.index)

    typed = next(s for p in pedigrees for s in p.sample_of().values() if s in profiles)
    marker = next(iter(profiles[typed]))
    changed = {**profiles, typed: {**profiles[typed], marker: ("9", "10") if profiles[typed][marker] != ("9", "10")
                                   else ("8", "11")}}
    third = prepare_search(table, pedigrees, changed, remains[1:2], **models, table_cache=cache)
    assert third.tables is not first.tables and cache.builds == 2
    assert _same_tables(third.tables, prepare_search(table, pedigrees, changed, remains[1:2], **models).tables)
    other_model = prepare_search(table, pedigrees, changed, remains[1:2], mutation=MutationModel("stepwise", 0.003),
                                 drop=DropModel(0.05), table_cache=cache)
    assert other_model.tables is not third.tables and cache.builds == 3
    unseen = {**changed, remains[2]: {**changed[remains[2]], marker: ("99.9", "99.9")}}
    with_unseen = prepare_search(table, pedigrees, unseen, remains[2:3], mutation=MutationModel("stepwise", 0.003),
                                 drop=DropModel(0.05), table_cache=cache)
    assert with_unseen.tables is not other_model.tables and cache.builds == 4
