"""Running top-k lists with a total, deterministic order: score descending, then index ascending.

The blind search never holds the remains x families score matrix. It streams tiles of it and
keeps, per owner (a remains or a family), the k best competitors seen so far. Because the order
is total (ties broken by the competitor's index), the final lists do not depend on the order in
which tiles arrive, on the block size, or on how the work was split between Dask workers.

Each entry is one int64 sort key: the high 32 bits order the float32 score (descending), the low
32 bits are the competitor index; so a merge is one `np.sort` along the rows of a small padded
matrix, and ties are resolved by the same comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Cut-off of an owner whose list is not full yet: every finite score passes, -inf does not.
OPEN_CUTOFF = np.float32(np.finfo(np.float32).min)
#: Key of an empty slot (sorts after every real entry).
EMPTY = np.iinfo(np.int64).max


def encode(scores: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Sort keys of (float32 score, index < 2**32) pairs: ascending key = score desc, index asc."""
    bits = (np.asarray(scores, dtype=np.float32) + np.float32(0)).view(np.int32).astype(np.int64)
    ordered = bits ^ ((bits >> 31) & 0x7FFFFFFF)  # int order == float order
    return ((~ordered) << 32) + np.asarray(index, dtype=np.int64)


def decode(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(scores float32, index int64) of keys; empty slots give (-inf, -1)."""
    keys = np.asarray(keys, dtype=np.int64)
    empty = keys == EMPTY
    ordered = ~(keys >> 32)
    bits = (ordered ^ ((ordered >> 31) & 0x7FFFFFFF)).astype(np.int32)
    scores = bits.view(np.float32).copy()
    index = keys & 0xFFFFFFFF
    scores[empty] = -np.inf
    index[empty] = -1
    return scores, index


@dataclass
class TopK:
    """The k best (score, index) pairs of each of n owners.

    keys : ndarray, int64, shape (n, k), ascending per row (see `encode`); EMPTY in free slots
    scores : float32 (n, k), log10 LR, descending per row, -inf in empty slots (decoded)
    index : int64 (n, k), competitor index, -1 in empty slots (decoded)
    """

    keys: np.ndarray

    @classmethod
    def empty(cls, n: int, k: int) -> TopK:
        return cls(np.full((n, k), EMPTY, dtype=np.int64))

    @property
    def k(self) -> int:
        return int(self.keys.shape[1])

    @property
    def scores(self) -> np.ndarray:
        return decode(self.keys)[0]

    @property
    def index(self) -> np.ndarray:
        return decode(self.keys)[1]

    def cutoffs(self, rows: slice = slice(None)) -> np.ndarray:
        """Per owner (of `rows`), the smallest score that can still enter: float32, shape (n,).

        A candidate with score >= cut-off is kept for merging (ties are decided at the merge).
        """
        last = self.keys[rows, -1]
        scores, _ = decode(last)
        return np.where(last == EMPTY, OPEN_CUTOFF, scores).astype(np.float32)

    def merge(self, owner: np.ndarray, other: np.ndarray, scores: np.ndarray) -> None:
        """Offer candidates (owner[i], other[i], scores[i]) and keep the k best per owner.

        owner : int, shape (m,), row of this TopK; other : int64, shape (m,), competitor index;
        scores : float32, shape (m,). NaN and -inf candidates are ignored. Each (owner, other)
        pair must be offered once over the life of the list.
        """
        keep = np.isfinite(scores)
        if not keep.all():
            owner, other, scores = owner[keep], other[keep], scores[keep]
        if owner.size == 0:
            return
        self.merge_keys(np.asarray(owner, dtype=np.int64), encode(scores, other))

    def merge_keys(self, owner: np.ndarray, keys: np.ndarray) -> None:
        """`merge` with candidates already encoded."""
        order = np.argsort(owner, kind="stable")
        owner, keys = owner[order], keys[order]
        touched, starts, counts = _runs(owner)
        if counts.max() > self.k:  # keep at most k candidates per owner: bounded padding
            order = np.lexsort((keys, owner))
            owner, keys = owner[order], keys[order]
            rank = np.arange(owner.size) - np.repeat(starts, counts)
            owner, keys = owner[rank < self.k], keys[rank < self.k]
            touched, starts, counts = _runs(owner)
        width = self.k + int(counts.max())
        pad = np.full((touched.size, width), EMPTY, dtype=np.int64)
        pad[:, : self.k] = self.keys[touched]
        slot = np.arange(owner.size) - np.repeat(starts, counts)
        pad[np.repeat(np.arange(touched.size), counts), self.k + slot] = keys
        pad.sort(axis=1)
        self.keys[touched] = pad[:, : self.k]

    def merge_topk(self, other: TopK) -> None:
        """Merge another TopK over the same owners (e.g. from another block of remains)."""
        owner, slot = np.nonzero(other.keys != EMPTY)
        if owner.size:
            self.merge_keys(owner.astype(np.int64), other.keys[owner, slot])


def _runs(sorted_owner: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct values of a sorted int array with the start and length of each run."""
    edge = np.flatnonzero(sorted_owner[1:] != sorted_owner[:-1]) + 1
    starts = np.concatenate([[0], edge])
    counts = np.diff(np.append(starts, sorted_owner.size))
    return sorted_owner[starts], starts, counts
