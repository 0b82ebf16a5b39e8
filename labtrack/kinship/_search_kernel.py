"""The compiled inner loop of the blind search (Numba): score a family block, keep the top-k lists.

One call scores every remains of a chunk against one stacked family block and folds each score
straight into the running lists, so no tile of scores is ever stored:

    S[r, f] = block[rows[r, 0], f] + block[rows[r, 1], f] + ... + block[rows[r, L-1], f]

added in float32 in locus order 0..L-1 (the same operations, in the same order, as
`search.score_tile`, so every pair gets the same bits as the NumPy reference and the result never
depends on tiling, threads or Dask).

Lists are kept as (score, index) pairs sorted by score descending, then index ascending (the
order of `_topk`); a candidate enters when it beats the list's last entry in that order. NaN
(undefined) never enters and never counts. Empty slots hold (-inf, EMPTY_INDEX) so that any
finite score beats them.

Exclusions: a locus where the family's LR is 0 is stored as EXCLUDED_LOCUS (-10⁴) rather than
-inf, so that a score still says how many loci exclude: a score at or below EXCLUSION_CEILING is
an exclusion and never enters the main lists, but one with one or two excluded loci (above
NEAR_MISS_FLOOR) enters the remains' *near-miss* list, for an analyst to look at (a mutation or
a drop-out the models did not explain), instead of vanishing.

The functions release the GIL (``nogil``), so chunks run on several threads at once.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Index of an empty list slot: larger than any real index, so (-inf, EMPTY_INDEX) is the worst.
EMPTY_INDEX = np.int64(2**62)
#: Families scored per pass over the remains. 512 (a whole default block) measured fastest on the
#: 2-core benchmark machine; narrower strips read fewer bytes per row but pay the per-remains work
#: more often (``benchmarks/README.md``).
COLUMN_STRIP = 512
#: Families screened at once before the exact list updates (a few SIMD registers).
_GROUP = 16
_MINUS_INF = np.float32(-np.inf)
#: log10 LR stored for a locus that excludes the family (LR 0).
EXCLUDED_LOCUS = np.float32(-1e4)
#: Scores at or below this have at least one excluded locus (real sums stay far above it).
EXCLUSION_CEILING = np.float32(-5e3)
#: Scores above this have at most two excluded loci: near misses.
NEAR_MISS_FLOOR = np.float32(-2.5e4)


@njit(nogil=True, cache=True, inline="always")
def _insert(scores: np.ndarray, index: np.ndarray, owner: int, score: float, other: int) -> bool:
    """Offer (score, other) to the sorted list ``owner``; True when it entered."""
    k = scores.shape[1]
    last = k - 1
    worst_s = scores[owner, last]
    if score < worst_s or (score == worst_s and other > index[owner, last]):
        return False
    j = last
    while j > 0:
        s = scores[owner, j - 1]
        if s > score or (s == score and index[owner, j - 1] < other):
            break
        scores[owner, j] = s
        index[owner, j] = index[owner, j - 1]
        j -= 1
    scores[owner, j] = score
    index[owner, j] = other
    return True


@njit(nogil=True, cache=True)
def search_block(
    block: np.ndarray,
    rows: np.ndarray,
    family_offset: int,
    remains_offset: int,
    log10_threshold: float,
    undefined_columns: np.ndarray,
    remains_scores: np.ndarray,
    remains_index: np.ndarray,
    family_scores: np.ndarray,
    family_index: np.ndarray,
    family_worst: np.ndarray,
    n_above: np.ndarray,
    n_undefined: np.ndarray,
    near_scores: np.ndarray,
    near_index: np.ndarray,
    column_strip: int = COLUMN_STRIP,
) -> None:
    """Score remains ``rows`` against one family block and update the lists in place.

    block : float32 (n_rows, W), stacked log10 LR tables of families family_offset..+W
    rows : intp (R, L), stacked-table row of each remains and locus (valid indices)
    remains_offset : global index of rows[0] (the family lists name remains globally)
    log10_threshold : float32; families above it are counted in n_above
    undefined_columns : int64, columns of the block with a NaN somewhere
    remains_scores / remains_index : (R, k) lists of families (index = global family index)
    family_scores / family_index : (F, k) lists of remains; family_worst (F,) = family_scores[:, -1]
    n_above, n_undefined : int64 (R,), counts added to
    near_scores / near_index : (R, k_near) near-miss lists of families (k_near may be 0)
    """
    width = block.shape[1]
    k = remains_scores.shape[1]
    k_near = near_scores.shape[1]
    acc = np.empty(column_strip, dtype=np.float32)
    threshold = np.float32(log10_threshold)
    for c0 in range(0, width, column_strip):
        c1 = min(c0 + column_strip, width)
        worst = family_worst[family_offset + c0 : family_offset + c1]
        strip = acc[: c1 - c0]
        for r in range(rows.shape[0]):
            _score(block, rows[r], c0, c1, strip)
            for u in range(undefined_columns.size):
                col = undefined_columns[u]
                if c0 <= col < c1 and np.isnan(strip[col - c0]):
                    n_undefined[r] += 1
            # vectorised screen (int32 counts; NaN fails every comparison)
            remains_worst = remains_scores[r, k - 1]
            near_worst = near_scores[r, k_near - 1] if k_near else np.float32(np.inf)
            above = np.int32(0)
            hits = np.int32(0)
            for c in range(strip.size):
                s = strip[c]
                above += np.int32(s > threshold)
                hits += np.int32(s >= worst[c]) | np.int32(s >= remains_worst) | (
                    np.int32(s > NEAR_MISS_FLOOR) & np.int32(s >= near_worst)
                )
            n_above[r] += above
            if hits:
                _offer(strip, worst, r, remains_offset + r, family_offset + c0,
                       remains_scores, remains_index, family_scores, family_index,
                       near_scores, near_index)  # fmt: skip


@njit(nogil=True, cache=True, inline="always")
def _score(block: np.ndarray, rows: np.ndarray, c0: int, c1: int, out: np.ndarray) -> None:
    """out[c] = sum over loci of block[rows[locus], c0 + c], float32, in locus order."""
    source = block[rows[0], c0:c1]
    for c in range(out.size):
        out[c] = source[c]
    for locus in range(1, rows.size):
        source = block[rows[locus], c0:c1]
        for c in range(out.size):
            out[c] += source[c]


@njit(nogil=True, cache=True)
def _offer(
    strip: np.ndarray,
    worst: np.ndarray,
    r: int,
    remains: int,
    first_family: int,
    remains_scores: np.ndarray,
    remains_index: np.ndarray,
    family_scores: np.ndarray,
    family_index: np.ndarray,
    near_scores: np.ndarray,
    near_index: np.ndarray,
) -> None:
    """Offer the scores of remains ``r`` against families first_family.. to the lists, in
    groups screened first (most groups hold nothing that can enter)."""
    k = remains_scores.shape[1]
    k_near = near_scores.shape[1]
    remains_worst = remains_scores[r, k - 1]
    near_worst = near_scores[r, k_near - 1] if k_near else np.float32(np.inf)
    for g0 in range(0, strip.size, _GROUP):
        g1 = min(g0 + _GROUP, strip.size)
        hits = np.int32(0)
        for c in range(g0, g1):
            s = strip[c]
            hits += np.int32(s >= worst[c]) | np.int32(s >= remains_worst) | (
                np.int32(s > NEAR_MISS_FLOOR) & np.int32(s >= near_worst)
            )
        if hits == 0:
            continue
        for c in range(g0, g1):
            s = strip[c]
            family = first_family + c
            if not s > EXCLUSION_CEILING:  # an exclusion, or NaN (undefined): not a candidate
                if k_near and s > NEAR_MISS_FLOOR and s >= near_worst:
                    if _insert(near_scores, near_index, r, s, family):
                        near_worst = near_scores[r, k_near - 1]
                continue
            if s >= remains_worst and _insert(remains_scores, remains_index, r, s, family):
                remains_worst = remains_scores[r, k - 1]
            if s >= worst[c] and _insert(family_scores, family_index, family, s, remains):
                worst[c] = family_scores[family, k - 1]


@njit(nogil=True, cache=True)
def fill_columns(
    block: np.ndarray, first_row: int, columns: np.ndarray, values: np.ndarray, sources: np.ndarray
) -> None:
    """block[first_row + g, columns[i]] = values[sources[i], g] for every i and g.

    Writes a family-major table (values: m x G) into columns of a genotype-major block, row by
    row so that the writes of one genotype row stay close together.
    """
    for g in range(values.shape[1]):
        target = block[first_row + g]
        for i in range(columns.size):
            target[columns[i]] = values[sources[i], g]
