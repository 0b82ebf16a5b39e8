"""Blind search: every remains profile against every family, in blocks, never the full matrix.

The score of remains r against family f is the search log10 LR

    S[r, f] = sum over loci l of log10_lr_l[g[r, l], f]

where `log10_lr_l` (float32, shape (G_l, F)) is the table of the family LR of every possible
genotype of the missing person at locus l (genotype-major, so that one remains reads contiguous
rows), and g[r, l] is the remains' genotype index at l (-1 untyped: contributes 0).

Values: a locus where the family's LR is 0 is stored as EXCLUDED_LOCUS (-10⁴), so a score at or
below EXCLUSION_CEILING is an exclusion (never in the candidate lists; with one or two excluded
loci it may enter the remains' near-miss list, `near_k`); `query` and `score_pairs` report
exclusions as -inf. NaN is undefined (the relatives contradict their own pedigree: never
reported, counted in `n_undefined`).

Memory: the families are cut into blocks of `family_block` columns, each a stacked table of all
loci (rows: genotypes of all loci plus one zero row for untyped loci; ~5 MB for 20 loci and 512
families, so it stays in cache). For each family block, the compiled kernel
(`_search_kernel.search_block`, Numba, no GIL) scores every remains of a chunk (float32 adds in
locus order, so every pair gets the same bits whatever the split), screens the scores against
the running top-k lists and the threshold with vector compares, and updates the lists in place
only where a score can enter. No score matrix is stored: memory is the tables plus the lists.
`score_tile` is the NumPy form of the same sum (single queries, pair look-ups, tests).

Order: lists are sorted by log10 LR descending, then by index ascending, so that block sizes,
threads and the Dask split never change a result.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from labtrack.kinship._search_kernel import (
    EMPTY_INDEX,
    EXCLUDED_LOCUS,
    EXCLUSION_CEILING,
    fill_columns,
    search_block,
)
from labtrack.kinship._topk import EMPTY, TopK, encode
from labtrack.kinship.posterior import posterior_from_log10

#: Default number of families per stacked table block.
FAMILY_BLOCK = 512

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SearchTables:
    """Family LR tables of all loci, laid out for the blind search.

    markers : tuple of str, length L (locus order of the genotype indices)
    family_ids : tuple of str, length F
    offsets : ndarray, int64, shape (L + 1,); rows offsets[l]:offsets[l+1] of a block are locus
        l's genotypes; row offsets[L] is all zeros (an untyped locus)
    blocks : tuple of ndarray, float32, shape (offsets[L] + 1, F_j); block j holds the log10 LR
        of families block_starts[j]:block_starts[j+1], C-contiguous
    block_starts : ndarray, int64, shape (n_blocks + 1,)
    """

    markers: tuple[str, ...]
    family_ids: tuple[str, ...]
    offsets: np.ndarray
    blocks: tuple[np.ndarray, ...]
    block_starts: np.ndarray

    @classmethod
    def from_locus_tables(
        cls,
        markers: Sequence[str],
        family_ids: Sequence[str],
        log10_lr: Sequence[np.ndarray],
        *,
        family_block: int = FAMILY_BLOCK,
    ) -> SearchTables:
        """Lay out per-locus tables: log10_lr[l] float, shape (G_l, F), genotype-major."""
        n_fam = len(family_ids)
        if len(markers) != len(log10_lr):
            raise ValueError(f"{len(markers)} markers but {len(log10_lr)} tables")
        for marker, table in zip(markers, log10_lr, strict=True):
            if table.ndim != 2 or table.shape[1] != n_fam:
                raise ValueError(f"{marker}: table shape {table.shape}, expected (G, {n_fam})")
        tables = cls.allocate(
            markers, family_ids, [t.shape[0] for t in log10_lr], family_block=family_block
        )
        everyone = np.arange(n_fam)
        for locus, table in enumerate(log10_lr):
            tables.fill(locus, everyone, np.asarray(table).T)
        return tables

    @classmethod
    def allocate(
        cls,
        markers: Sequence[str],
        family_ids: Sequence[str],
        n_genotypes: Sequence[int],
        *,
        family_block: int = FAMILY_BLOCK,
    ) -> SearchTables:
        """All-zero tables (log10 LR 0 = no information) to be filled locus by locus."""
        n_fam = len(family_ids)
        offsets = np.concatenate([[0], np.cumsum(n_genotypes)]).astype(np.int64)
        starts = np.unique(np.append(np.arange(0, n_fam, max(family_block, 1)), n_fam))
        if starts.size == 1:
            starts = np.array([0, 0])
        blocks = tuple(
            np.zeros((offsets[-1] + 1, f1 - f0), dtype=np.float32)
            for f0, f1 in zip(starts[:-1], starts[1:], strict=True)
        )
        return cls(tuple(markers), tuple(family_ids), offsets, blocks, starts.astype(np.int64))

    def fill(self, locus: int, families: np.ndarray, log10_lr: np.ndarray) -> None:
        """Set the tables of some families at one locus.

        families : int, shape (m,), family indices; log10_lr : float, shape (m, G_l)
        (family-major, as `mp_lr_tables` returns it; stored transposed, float32)
        """
        families = np.asarray(families, dtype=np.int64)
        lo, hi = self.offsets[locus], self.offsets[locus + 1]
        values = np.asarray(log10_lr, dtype=np.float32)
        values = np.where(values == -np.inf, EXCLUDED_LOCUS, values)  # see the module docstring
        if values.shape != (families.size, hi - lo):
            raise ValueError(f"table shape {values.shape}, expected ({families.size}, {hi - lo})")
        block = np.searchsorted(self.block_starts, families, side="right") - 1
        order = np.argsort(block, kind="stable")
        bounds = np.searchsorted(block[order], np.arange(len(self.blocks) + 1))
        for j in np.flatnonzero(np.diff(bounds)):
            sources = order[bounds[j] : bounds[j + 1]]
            columns = families[sources] - self.block_starts[j]
            fill_columns(self.blocks[j], int(lo), columns, values, sources)

    @property
    def n_families(self) -> int:
        return len(self.family_ids)

    @property
    def n_genotypes(self) -> np.ndarray:
        """Genotypes per locus: int64, shape (L,)."""
        return np.diff(self.offsets)

    def locus_table(self, locus: int) -> np.ndarray:
        """The table of one locus: float32, shape (G_l, F) (a copy; -inf where LR is 0)."""
        lo, hi = self.offsets[locus], self.offsets[locus + 1]
        table = np.concatenate([b[lo:hi] for b in self.blocks], axis=1)
        return np.where(table == EXCLUDED_LOCUS, np.float32(-np.inf), table)

    def rows(self, genotypes: np.ndarray) -> np.ndarray:
        """Stacked-table rows of remains genotypes.

        genotypes : int, shape (R, L), genotype index per locus, -1 untyped
        returns : intp, shape (R, L)
        """
        g = np.asarray(genotypes)
        if g.ndim != 2 or g.shape[1] != len(self.markers):
            raise ValueError(f"genotypes shape {g.shape}, expected (R, {len(self.markers)})")
        if ((g < -1) | (g >= self.n_genotypes[None, :])).any():
            raise ValueError("genotype index out of range of the tables")
        return np.where(g < 0, self.offsets[-1], g + self.offsets[:-1]).astype(np.intp)

    def undefined_columns(self) -> list[np.ndarray]:
        """Per block, the columns (local) of families with a NaN anywhere: int64 arrays."""
        return [np.flatnonzero(np.isnan(b).any(axis=0)) for b in self.blocks]


@dataclass
class SearchResult:
    """Outcome of a blind search of R remains against F families.

    remains_top : TopK, shape (R, k): index = family index, scores = log10 LR
    family_top : TopK, shape (F, k): index = remains index, scores = log10 LR
    n_above : ndarray, int64, shape (R,): families with log10 LR > log10(threshold)
    n_undefined : ndarray, int64, shape (R,): families with an undefined (NaN) LR
    prior : float, prior probability of identity used for `posterior`
    near_top : TopK (R, k_near) or None: per remains, the best families excluded by one or two
        loci only (scores include EXCLUDED_LOCUS per excluded locus; see `near_miss`)
    """

    remains_top: TopK
    family_top: TopK
    n_above: np.ndarray
    n_undefined: np.ndarray
    prior: float
    near_top: TopK | None = None

    def remains_posterior(self) -> np.ndarray:
        """Posterior of each remains' top-k families: float64, shape (R, k) (0 in empty slots).

        LR * prior / (LR * prior + 1 - prior), computed from log10 LR without overflow.
        """
        return np.asarray(posterior_from_log10(self.remains_top.scores, self.prior))

    def family_posterior(self) -> np.ndarray:
        """Posterior of each family's top-k remains: float64, shape (F, k) (0 in empty slots)."""
        return np.asarray(posterior_from_log10(self.family_top.scores, self.prior))


@dataclass
class ChunkResult:
    """Search outcome of remains start:start+n (the unit of work that Dask maps)."""

    start: int
    remains_top: TopK
    family_top: TopK
    n_above: np.ndarray
    n_undefined: np.ndarray
    near_top: TopK | None = None


def score_tile(
    block: np.ndarray,
    rows: np.ndarray,
    out: np.ndarray | None = None,
    work: np.ndarray | None = None,
) -> np.ndarray:
    """log10 LR of a tile: block float32 (n_rows, F_j), rows intp (R_b, L) -> float32 (R_b, F_j).

    Adds the loci in order 0..L-1 in float32, so a pair's score never depends on the tiling.
    out, work : optional float32 buffers of at least R_b rows and exactly F_j columns, reused
    across tiles (no allocation per locus: allocator churn is costly, e.g. in Dask workers).
    Row indices must be valid (`SearchTables.rows` checks them).
    """
    n, width = rows.shape[0], block.shape[1]
    acc = np.empty((n, width), dtype=np.float32) if out is None else out[:n]
    tmp = np.empty((n, width), dtype=np.float32) if work is None else work[:n]
    np.take(block, rows[:, 0], axis=0, out=acc, mode="clip")
    for locus in range(1, rows.shape[1]):
        np.take(block, rows[:, locus], axis=0, out=tmp, mode="clip")
        acc += tmp
    return acc


def search_chunk(
    tables: SearchTables,
    genotypes: np.ndarray,
    start: int = 0,
    *,
    top_k: int = 10,
    threshold: float = 1e4,
    near_k: int = 0,
    progress: Progress | None = None,
) -> ChunkResult:
    """Search remains start:start+R (genotypes int, shape (R, L)) against all families.

    The function that every backend maps over blocks of remains; `start` is the global index
    of the first remains (family top-k lists name remains by global index). The scoring and the
    list updates run in the compiled kernel (`_search_kernel.search_block`), one family block per
    call, without the GIL.
    """
    rows = tables.rows(genotypes)
    n = rows.shape[0]
    log10_thr = np.float32(np.log10(threshold)) if threshold > 0 else np.float32(-np.inf)
    remains_lists = _Lists(n, top_k)
    family_lists = _Lists(tables.n_families, top_k)
    near_lists = _Lists(n, near_k)
    n_above = np.zeros(n, dtype=np.int64)
    n_undef = np.zeros(n, dtype=np.int64)
    undefined = tables.undefined_columns()
    n_blocks = len(tables.blocks)
    for j, block in enumerate(tables.blocks):
        search_block(
            block, rows, int(tables.block_starts[j]), start, log10_thr,
            undefined[j].astype(np.int64),
            remains_lists.scores, remains_lists.index,
            family_lists.scores, family_lists.index, family_lists.worst,
            n_above, n_undef, near_lists.scores, near_lists.index,
        )  # fmt: skip
        if progress is not None:
            progress(n * (j + 1) // n_blocks, n)
    near = near_lists.top() if near_k else None
    return ChunkResult(start, remains_lists.top(), family_lists.top(), n_above, n_undef, near)


class _Lists:
    """Top-k lists as the kernel keeps them: scores float32 (n, k) descending, index int64."""

    def __init__(self, n: int, k: int) -> None:
        self.scores = np.full((n, k), -np.inf, dtype=np.float32)
        self.index = np.full((n, k), EMPTY_INDEX, dtype=np.int64)
        self.worst = np.full(n, -np.inf, dtype=np.float32)

    def top(self) -> TopK:
        """The lists as a TopK (sort keys; EMPTY in free slots)."""
        empty = self.index == EMPTY_INDEX
        keys = encode(self.scores, np.where(empty, 0, self.index))
        keys[empty] = EMPTY
        return TopK(keys)


def combine(chunks: Sequence[ChunkResult], n_remains: int, *, prior: float) -> SearchResult:
    """Merge chunk results (disjoint remains ranges covering 0..n_remains) into one result."""
    chunks = sorted(chunks, key=lambda c: c.start)
    if not chunks:
        raise ValueError("no chunks to combine")
    k = chunks[0].remains_top.k
    n_fam = chunks[0].family_top.keys.shape[0]
    rtop = TopK.empty(n_remains, k)
    ftop = TopK.empty(n_fam, k)
    first_near = chunks[0].near_top
    ntop = None if first_near is None else TopK.empty(n_remains, first_near.k)
    n_above = np.zeros(n_remains, dtype=np.int64)
    n_undef = np.zeros(n_remains, dtype=np.int64)
    for chunk in chunks:
        sl = slice(chunk.start, chunk.start + chunk.n_above.size)
        rtop.keys[sl] = chunk.remains_top.keys
        if ntop is not None and chunk.near_top is not None:
            ntop.keys[sl] = chunk.near_top.keys
        n_above[sl] = chunk.n_above
        n_undef[sl] = chunk.n_undefined
        ftop.merge_topk(chunk.family_top)
    return SearchResult(rtop, ftop, n_above, n_undef, prior, ntop)


def chunk_bounds(n_remains: int, chunk_size: int) -> list[tuple[int, int]]:
    """[start, stop) ranges of remains, each at most chunk_size long."""
    return [(s, min(s + chunk_size, n_remains)) for s in range(0, n_remains, max(chunk_size, 1))]


def search(
    tables: SearchTables,
    genotypes: np.ndarray,
    *,
    top_k: int = 10,
    threshold: float = 1e4,
    prior: float | None = None,
    chunk_size: int | None = None,
    n_threads: int = 1,
    near_k: int = 0,
    progress: Progress | None = None,
) -> SearchResult:
    """Blind search of all remains against all families in this process (NumPy, threads).

    tables : SearchTables over F families and L loci
    genotypes : int, shape (R, L), genotype index per locus (-1 untyped)
    top_k : length of the per-remains and per-family lists
    threshold : LR (not log10) above which a family counts in `n_above`
    prior : prior probability of identity for the posterior, default 1 / F
    chunk_size : remains per unit of work (default R / n_threads, rounded up); n_threads :
        threads (the compiled kernel releases the GIL, so threads run on separate cores)
    near_k : length of the per-remains near-miss lists (families excluded by one or two loci
        only); 0 keeps none
    progress : called with (remains done, total), from one thread at a time
    """
    genotypes = np.asarray(genotypes)
    n = genotypes.shape[0]
    prior = default_prior(tables.n_families) if prior is None else prior
    if chunk_size is None:
        chunk_size = max(1, -(-n // max(n_threads, 1)))
    bounds = chunk_bounds(n, chunk_size) or [(0, 0)]
    done = _Counter(n, progress)

    def run(bound: tuple[int, int]) -> ChunkResult:
        s, e = bound
        return search_chunk(
            tables,
            genotypes[s:e],
            s,
            top_k=top_k,
            threshold=threshold,
            near_k=near_k,
            progress=done.reporter(s),
        )

    if n_threads > 1 and len(bounds) > 1:
        with ThreadPoolExecutor(max_workers=n_threads) as pool:
            chunks = list(pool.map(run, bounds))
    else:
        chunks = [run(b) for b in bounds]
    return combine(chunks, n, prior=prior)


def default_prior(n_families: int) -> float:
    """1 / number of families (0.5 for a single family, so that the prior stays below 1)."""
    return 1.0 / max(n_families, 2)


def excluded_loci(scores: np.ndarray) -> np.ndarray:
    """Number of excluding loci in raw kernel scores (0 for a non-excluded family): int64."""
    scores = np.asarray(scores, dtype=np.float64)
    finite = np.isfinite(scores)
    ratio = np.where(finite, np.minimum(scores, 0.0), 0.0) / float(EXCLUDED_LOCUS)
    count = np.maximum(np.round(ratio).astype(np.int64), 1)
    return np.where(finite & (scores > EXCLUSION_CEILING), 0, count)


def near_miss(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(excluded loci, log10 LR of the other loci) of raw near-miss scores: the LR of the
    loci that do not exclude is what is left once EXCLUDED_LOCUS is taken off per excluded
    locus (float32 precision: about 10⁻³)."""
    count = excluded_loci(scores)
    return count, np.asarray(scores, dtype=np.float64) - count * float(EXCLUDED_LOCUS)


def _with_exclusions(scores: np.ndarray) -> np.ndarray:
    return np.where(scores > EXCLUSION_CEILING, scores, np.where(np.isnan(scores), scores, -np.inf))


def query(tables: SearchTables, genotype: np.ndarray) -> np.ndarray:
    """log10 LR of one new remains against every family: genotype int (L,) -> float32 (F,);
    -inf for an excluded family."""
    rows = tables.rows(np.asarray(genotype).reshape(1, -1))
    return _with_exclusions(np.concatenate([score_tile(b, rows)[0] for b in tables.blocks]))


def score_pairs(
    tables: SearchTables, genotypes: np.ndarray, remains: np.ndarray, families: np.ndarray
) -> np.ndarray:
    """log10 LR of given pairs: remains int (m,) into genotypes (R, L), families int (m,);
    -inf for an excluded pair."""
    rows = tables.rows(np.asarray(genotypes)[np.asarray(remains)])
    families = np.asarray(families)
    block = np.searchsorted(tables.block_starts, families, side="right") - 1
    out = np.zeros(families.size, dtype=np.float32)
    for locus in range(rows.shape[1]):
        for j in np.unique(block):
            sel = block == j
            col = families[sel] - tables.block_starts[j]
            out[sel] += tables.blocks[j][rows[sel, locus], col]
    return _with_exclusions(out).astype(np.float32)


class _Counter:
    """Progress over chunks run in threads: sums what each chunk reports and calls the
    caller's callback from one thread at a time (callbacks may write to a database session)."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.progress = progress
        self.done: dict[int, int] = {}
        self.lock = threading.Lock()

    def reporter(self, key: int) -> Progress | None:
        """A progress callback for the chunk `key` (None when nobody listens)."""
        if self.progress is None:
            return None

        def report(done: int, _total: int) -> None:
            with self.lock:
                self.done[key] = done
                assert self.progress is not None  # noqa: S101
                self.progress(sum(self.done.values()), self.total)

        return report
