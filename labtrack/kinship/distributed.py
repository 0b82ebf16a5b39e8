"""The blind search on a Dask cluster: the same `search_chunk` mapped over blocks of remains.

The family tables are scattered to the workers once (broadcast); each task searches one chunk
of remains against every family and returns its top-k lists; the client merges them with the
same `combine` as the single-process search, so results are identical bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any

import dask
import numpy as np
from dask.distributed import Client, LocalCluster, as_completed

from labtrack.kinship.search import (
    Progress,
    SearchResult,
    SearchTables,
    chunk_bounds,
    combine,
    default_prior,
    search_chunk,
)

#: glibc mmap threshold for worker processes (bytes). Dask's nanny sets MALLOC_TRIM_THRESHOLD_,
#: which freezes glibc's mmap threshold at 128 KiB: every tile-sized temporary then becomes an
#: mmap/munmap pair and the search runs several times slower. Workers of a cluster started
#: elsewhere should get the same environment variable (MALLOC_MMAP_THRESHOLD_=67108864).
WORKER_MMAP_THRESHOLD = 64 * 2**20
_MMAP_ENV = "distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_"


@contextmanager
def dask_client(address: str | None = "local", *, n_workers: int = 2) -> Iterator[Client]:
    """A client: `local` (or None) starts a LocalCluster of n_workers single-threaded worker
    processes (with `WORKER_MMAP_THRESHOLD`), closed on exit; otherwise connect to the
    scheduler at `address`."""
    if address in (None, "", "local"):
        with dask.config.set({_MMAP_ENV: WORKER_MMAP_THRESHOLD}):
            cluster = LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            )
        with cluster, Client(cluster) as client:
            yield client
    else:
        with Client(address) as client:
            yield client


def search_dask(
    client: Client,
    tables: SearchTables,
    genotypes: np.ndarray,
    *,
    top_k: int = 10,
    threshold: float = 1e4,
    prior: float | None = None,
    chunk_size: int = 4096,
    near_k: int = 0,
    progress: Progress | None = None,
) -> SearchResult:
    """Blind search of all remains (genotypes int, shape (R, L)) on the cluster of `client`.

    Same arguments and result as `labtrack.kinship.search.search`; chunk_size remains per task.
    """
    genotypes = np.asarray(genotypes)
    n = genotypes.shape[0]
    prior = default_prior(tables.n_families) if prior is None else prior
    [remote_tables] = client.scatter([tables], broadcast=True)
    futures = [
        client.submit(
            search_chunk,
            remote_tables,
            genotypes[s:e],
            s,
            top_k=top_k,
            threshold=threshold,
            near_k=near_k,
            pure=False,
        )
        for s, e in chunk_bounds(n, chunk_size) or [(0, 0)]
    ]
    chunks = []
    for future in as_completed(futures):
        chunk = future.result()
        chunks.append(chunk)
        if progress is not None:
            progress(sum(c.n_above.size for c in chunks), n)
    return combine(chunks, n, prior=prior)


#: evidence chunks on the cluster at once, per worker thread: enough that no worker waits for
#: its next task, few enough that neither the scheduler nor the workers hold every chunk's input
#: and result (at 100,000 × 100,000, some 2,300 chunks: several GB when all were submitted at once)
IN_FLIGHT_PER_THREAD = 2


def evidence_map(client: Client) -> Callable[[Callable[[Any], Any], list[Any]], Iterator[Any]]:
    """The evidence step of `find_candidates` on the cluster of `client`: one task per chunk,
    results yielded as they complete (each carries its position; the caller restores order).
    At most `IN_FLIGHT_PER_THREAD` chunks per worker thread are on the cluster at a time; a
    result is released on the cluster once it is taken."""

    def run(fn: Callable[[Any], Any], items: list[Any]) -> Iterator[Any]:
        window = max(2, IN_FLIGHT_PER_THREAD * sum(client.nthreads().values()))
        todo = iter(items)
        running = as_completed([client.submit(fn, item, pure=False) for item in islice(todo, window)])
        for future in running:
            result = future.result()
            future.release()
            for item in islice(todo, 1):  # the next chunk, if any is left
                running.add(client.submit(fn, item, pure=False))
            yield result

    return run


def local_evidence_map(n_workers: int) -> Callable[[Callable[[Any], Any], list[Any]], Iterator[Any]]:
    """Every core of this machine for the evidence step: a LocalCluster of `n_workers`
    processes, started only when there is more than one chunk of candidates (a few hundred
    candidates are computed in this process, without the cluster's start-up time)."""

    def run(fn: Callable[[Any], Any], items: list[Any]) -> Iterator[Any]:
        if len(items) <= 1 or n_workers <= 1:
            yield from map(fn, items)
            return
        with dask_client("local", n_workers=n_workers) as client:
            yield from evidence_map(client)(fn, items)

    return run
