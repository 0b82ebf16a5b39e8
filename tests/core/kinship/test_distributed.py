"""The Dask search gives exactly the single-process result."""

from __future__ import annotations

import time

import numpy as np
import pytest
from dask.distributed import Client, LocalCluster

from labtrack.kinship.distributed import search_dask
from labtrack.kinship.search import SearchTables, search


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def test_dask_equals_single_process(client):
    rng = np.random.default_rng(11)
    n_fam, n_rem = 70, 45
    sizes = [4, 7, 10]
    tables = []
    for g in sizes:
        t = np.round(rng.normal(0, 1, (g, n_fam)), 1).astype(np.float32)
        t[rng.random(t.shape) < 0.1] = -np.inf
        tables.append(t)
    tables[2][:, 5] = np.nan
    geno = np.stack([rng.integers(-1, g, n_rem) for g in sizes], axis=1)
    st = SearchTables.from_locus_tables(
        ["A", "B", "C"], [str(i) for i in range(n_fam)], tables, family_block=16
    )
    want = search(st, geno, top_k=5, threshold=3.0)
    seen = []
    got = search_dask(
        client,
        st,
        geno,
        top_k=5,
        threshold=3.0,
        chunk_size=7,
        progress=lambda d, t: seen.append(d),
    )
    for a, b in [
        (got.remains_top.index, want.remains_top.index),
        (got.remains_top.scores, want.remains_top.scores),
        (got.family_top.index, want.family_top.index),
        (got.family_top.scores, want.family_top.scores),
        (got.n_above, want.n_above),
        (got.n_undefined, want.n_undefined),
    ]:
        np.testing.assert_array_equal(a, b)
    assert got.prior == want.prior
    assert max(seen) == n_rem


def test_the_evidence_map_keeps_only_a_window_of_chunks_on_the_cluster(client):
    """Every item's result comes back once, while the cluster never holds more than the window
    (2 per worker thread): not every chunk's input and result at once."""
    import operator

    from labtrack.kinship.distributed import IN_FLIGHT_PER_THREAD, evidence_map

    window = IN_FLIGHT_PER_THREAD * sum(client.nthreads().values())
    items = list(range(40))
    held, results = [], []
    for result in evidence_map(client)(operator.neg, items):
        held.append(len(client.futures))
        results.append(result)
    assert sorted(results) == sorted(-i for i in items)
    # a release reaches the client's event loop a moment later: one or two more may still count
    assert max(held) <= window + 2 < len(items) // 2
    deadline = time.monotonic() + 10
    while client.futures and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not client.futures  # nothing left on the cluster
