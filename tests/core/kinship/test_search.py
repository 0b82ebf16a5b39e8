"""Blind search: the blocked, streaming search equals a dense brute-force computation."""

from __future__ import annotations

import numpy as np
import pytest

from labtrack.kinship._topk import TopK, decode, encode
from labtrack.kinship.search import (
    SearchTables,
    query,
    score_pairs,
    search,
)


def random_problem(seed: int, n_rem: int = 37, n_fam: int = 53, n_loci: int = 5):
    """Random tables with exclusions, undefined families, ties and untyped loci."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 12, n_loci)
    tables = []
    for g in sizes:
        t = np.round(rng.normal(0, 1, (g, n_fam)), 1).astype(np.float32)  # rounding: ties
        t[rng.random((g, n_fam)) < 0.1] = -np.inf
        tables.append(t)
    tables[0][:, rng.choice(n_fam, 3, replace=False)] = np.nan  # inconsistent references
    tables[1][:, rng.choice(n_fam, 4, replace=False)] = 0.0  # relatives untyped at this locus
    geno = np.stack([rng.integers(0, g, n_rem) for g in sizes], axis=1).astype(np.int32)
    geno[rng.random(geno.shape) < 0.15] = -1
    geno[:2] = geno[2:4]  # duplicate remains: ties in the per-family lists
    return [f"L{i}" for i in range(n_loci)], tables, geno


def dense(tables, geno):
    n_rem, n_loci = geno.shape
    acc = np.zeros((n_rem, tables[0].shape[1]), dtype=np.float32)
    for locus in range(n_loci):
        g = geno[:, locus]
        part = np.where(g[:, None] >= 0, tables[locus][np.maximum(g, 0)], np.float32(0))
        acc += part.astype(np.float32)
    return acc


def dense_topk(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row: finite scores, descending, ties by column ascending -> (scores, index)."""
    top_scores = np.full((scores.shape[0], k), -np.inf, dtype=np.float32)
    top_index = np.full((scores.shape[0], k), -1, dtype=np.int64)
    for i, row in enumerate(scores):
        cols = [j for j in range(row.size) if np.isfinite(row[j])]
        cols.sort(key=lambda j: (-row[j], j))
        for rank, j in enumerate(cols[:k]):
            top_scores[i, rank] = row[j]
            top_index[i, rank] = j
    return top_scores, top_index


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    ("family_block", "chunk_size", "n_threads"),
    [(512, None, 1), (7, None, 1), (1, 3, 1), (16, 11, 2), (53, 37, 1)],
)
def test_blocked_search_equals_dense(seed, family_block, chunk_size, n_threads):
    markers, tables, geno = random_problem(seed)
    k = 4
    st = SearchTables.from_locus_tables(
        markers, [f"F{i}" for i in range(53)], tables, family_block=family_block
    )
    res = search(
        st,
        geno,
        top_k=k,
        threshold=10.0,
        chunk_size=chunk_size,
        n_threads=n_threads,
    )
    full = dense(tables, geno)
    want_scores, want_index = dense_topk(full, k)
    np.testing.assert_array_equal(res.remains_top.index, want_index)
    np.testing.assert_array_equal(res.remains_top.scores, want_scores)
    want_scores, want_index = dense_topk(full.T, k)
    np.testing.assert_array_equal(res.family_top.index, want_index)
    np.testing.assert_array_equal(res.family_top.scores, want_scores)
    np.testing.assert_array_equal(res.n_above, (full > 1.0).sum(axis=1))
    np.testing.assert_array_equal(res.n_undefined, np.isnan(full).sum(axis=1))
    assert res.prior == pytest.approx(1 / 53)


def test_ties_are_broken_by_index():
    tables = [np.zeros((2, 6), dtype=np.float32)]
    st = SearchTables.from_locus_tables(["L0"], list("abcdef"), tables, family_block=4)
    res = search(st, np.zeros((5, 1), dtype=np.int32), top_k=3, chunk_size=2)
    assert res.remains_top.index.tolist() == [[0, 1, 2]] * 5
    assert res.family_top.index.tolist() == [[0, 1, 2]] * 6


def test_excluded_and_undefined_are_never_listed():
    t = np.array([[0.5, -np.inf, np.nan]], dtype=np.float32)
    st = SearchTables.from_locus_tables(["L0"], ["a", "b", "c"], [t])
    res = search(st, np.zeros((1, 1), dtype=np.int32), top_k=3)
    assert res.remains_top.index.tolist() == [[0, -1, -1]]
    assert res.n_undefined.tolist() == [1]
    assert np.isnan(res.remains_posterior()[0, 1]) or res.remains_posterior()[0, 1] == 0


def test_query_and_score_pairs_match_dense():
    markers, tables, geno = random_problem(5)
    st = SearchTables.from_locus_tables(
        markers, [str(i) for i in range(53)], tables, family_block=8
    )
    full = dense(tables, geno)
    np.testing.assert_array_equal(query(st, geno[7]), full[7])
    r = np.array([0, 3, 36, 7])
    f = np.array([52, 0, 9, 17])
    np.testing.assert_array_equal(score_pairs(st, geno, r, f), full[r, f])


def test_locus_table_round_trip():
    markers, tables, _ = random_problem(6)
    st = SearchTables.from_locus_tables(
        markers, [str(i) for i in range(53)], tables, family_block=10
    )
    for locus, t in enumerate(tables):
        np.testing.assert_array_equal(st.locus_table(locus), t)


def test_bad_genotype_index_is_refused():
    st = SearchTables.from_locus_tables(["L0"], ["a"], [np.zeros((3, 1), dtype=np.float32)])
    with pytest.raises(ValueError, match="out of range"):
        search(st, np.array([[3]]))


def test_posterior_of_the_lists():
    tables = [np.array([[4.0, 0.0, 400.0]], dtype=np.float32)]
    st = SearchTables.from_locus_tables(["L0"], ["a", "b", "c"], tables)
    res = search(st, np.zeros((1, 1), dtype=np.int32), top_k=4, prior=0.5)
    np.testing.assert_allclose(res.remains_posterior()[0, :3], [1.0, 1e4 / (1e4 + 1), 0.5])
    assert res.remains_posterior()[0, 3] == 0.0  # empty slot
    assert search(st, np.zeros((1, 1), dtype=np.int32)).prior == pytest.approx(1 / 3)


def test_progress_reports_all_remains():
    markers, tables, geno = random_problem(7)
    st = SearchTables.from_locus_tables(markers, [str(i) for i in range(53)], tables)
    seen = []
    search(st, geno, chunk_size=5, n_threads=2, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1][1] == 37
    assert max(d for d, _ in seen) == 37


def test_sort_keys_order_scores_then_index():
    scores = np.array(
        [3.5, -2.0, 0.0, -0.0, 3.5, -1e30, 1e-30, np.finfo(np.float32).min], dtype=np.float32
    )
    index = np.array([7, 1, 4, 2, 3, 0, 9, 5])
    keys = encode(scores, index)
    order = np.argsort(keys)
    want = sorted(range(8), key=lambda i: (-float(scores[i]), int(index[i])))
    # -0.0 and 0.0 compare equal as floats but have distinct keys: both orders are stable
    assert [int(index[i]) for i in order][:2] == [3, 7]
    assert [i for i in order if scores[i] != 0] == [i for i in want if scores[i] != 0]
    back_scores, back_index = decode(keys)
    np.testing.assert_array_equal(back_scores, scores)
    np.testing.assert_array_equal(back_index, index)


def test_topk_merge_keeps_k_best_per_owner():
    top = TopK.empty(3, 2)
    top.merge(
        np.array([0, 0, 0, 2]),
        np.array([5, 6, 7, 1]),
        np.array([1.0, 2.0, 2.0, np.nan], dtype=np.float32),
    )
    top.merge(np.array([0, 1]), np.array([1, 2]), np.array([2.0, -np.inf], dtype=np.float32))
    assert top.index.tolist() == [[1, 6], [-1, -1], [-1, -1]]
    assert top.scores[0].tolist() == [2.0, 2.0]
    assert top.cutoffs()[0] == 2.0


@pytest.mark.parametrize(("family_block", "column_strip"), [(512, 512), (512, 48), (300, 7)])
def test_compiled_kernel_equals_dense_on_wide_blocks(family_block, column_strip, monkeypatch):
    """Blocks wider than the kernel's screening groups and column strips, many list updates."""
    import importlib

    from labtrack.kinship import _search_kernel

    search_module = importlib.import_module("labtrack.kinship.search")

    def kernel_with_strip(*args):
        return _search_kernel.search_block(*args, column_strip)

    monkeypatch.setattr(search_module, "search_block", kernel_with_strip)
    markers, tables, geno = random_problem(11, n_rem=90, n_fam=700, n_loci=6)
    k = 7
    st = SearchTables.from_locus_tables(markers, [f"F{i}" for i in range(700)], tables,
                                        family_block=family_block)
    res = search(st, geno, top_k=k, threshold=10.0, n_threads=2)
    full = dense(tables, geno)
    for top, scores in ((res.remains_top, full), (res.family_top, full.T)):
        want_scores, want_index = dense_topk(scores, k)
        np.testing.assert_array_equal(top.index, want_index)
        np.testing.assert_array_equal(top.scores, want_scores)
    np.testing.assert_array_equal(res.n_above, (full > 1.0).sum(axis=1))
    np.testing.assert_array_equal(res.n_undefined, np.isnan(full).sum(axis=1))


def test_progress_callbacks_never_overlap():
    """Chunks run in threads, but the caller's callback (which may write to a database session)
    is entered by one thread at a time."""
    import threading
    import time

    markers, tables, geno = random_problem(8, n_rem=200, n_fam=600)
    st = SearchTables.from_locus_tables(markers, [str(i) for i in range(600)], tables, family_block=16)
    inside, overlaps, calls = threading.Lock(), [], []

    def progress(done, total):
        if not inside.acquire(blocking=False):
            overlaps.append(done)
            return
        try:
            calls.append(done)
            time.sleep(0.001)  # long enough for another thread to arrive
        finally:
            inside.release()

    search(st, geno, chunk_size=20, n_threads=4, progress=progress)
    assert overlaps == [] and len(calls) > 10 and max(calls) == 200
