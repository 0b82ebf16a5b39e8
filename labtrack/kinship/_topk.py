"""Running top-k lists with a total, deterministic order: score descending, then index ascending.

The blind search never holds the remains x families score matrix. It streams tiles of it and
keeps, per owner (a remains or a family), the k best competitors seen so far. Because the order
is total (ties broken by the competitor's index), the final lists do not depend on the order in
which tiles arrive, on the block size, or on how the work was split between Dask workers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Cut-off of an owner whose list is not full yet: every finite score passes, -inf does not.
OPEN_CUTOFF = np.float32(np.finfo(np.float32).min)


@dataclass
class TopK:
    """The k best (score, index) pairs of each of n owners.

    scores : ndarray, float32, shape (n, k), log10 LR, descending per row; -inf in empty slots
    index : ndarray, int64, shape (n, k), competitor index; -1 in empty slots
    """

    scores: np.ndarray
    index: np.ndarray

    @classmethod
    def empty(cls, n: int, k: int) -> TopK:
        return cls(np.full((n, k), -np.inf, dtype=np.float32), np.full((n, k), -1, dtype=np.int64))

    @property
    def k(self) -> int:
        return int(self.scores.shape[1])

    def cutoffs(self) -> np.ndarray:
        """Per owner, the smallest score that can still enter: float32, shape (n,).

        A candidate with score >= cut-off is kept for merging (ties are decided at the merge).
        """
        last = self.scores[:, -1]
        return np.where(self.index[:, -1] >= 0, last, OPEN_CUTOFF).astype(np.float32)

    def merge(self, owner: np.ndarray, other: np.ndarray, scores: np.ndarray) -> None:
        """Offer candidates (owner[i], other[i], scores[i]) and keep the k best per owner.

        Each (owner, other) pair must be offered once over the life of the list.

        owner : int, shape (m,), row of this TopK; other : int64, shape (m,), competitor index;
        scores : float32, shape (m,). NaN and -inf candidates are ignored.
        """
        keep = np.isfinite(scores)
        if not keep.all():
            owner, other, scores = owner[keep], other[keep], scores[keep]
        if owner.size == 0:
            return
        touched = np.unique(owner)
        old_scores = self.scores[touched]
        old_index = self.index[touched]
        filled = old_index >= 0
        old_owner = np.broadcast_to(touched[:, None], old_index.shape)[filled]
        all_owner = np.concatenate([old_owner, owner.astype(np.int64, copy=False)])
        all_other = np.concatenate([old_index[filled], other.astype(np.int64, copy=False)])
        all_scores = np.concatenate([old_scores[filled], scores.astype(np.float32, copy=False)])
        order = np.lexsort((all_other, -all_scores, all_owner))
        all_owner, all_other, all_scores = all_owner[order], all_other[order], all_scores[order]
        starts = np.searchsorted(all_owner, touched)
        counts = np.diff(np.append(starts, all_owner.size))
        rank = np.arange(all_owner.size) - np.repeat(starts, counts)
        top = rank < self.k
        rows = np.searchsorted(touched, all_owner[top])
        new_scores = np.full((touched.size, self.k), -np.inf, dtype=np.float32)
        new_index = np.full((touched.size, self.k), -1, dtype=np.int64)
        new_scores[rows, rank[top]] = all_scores[top]
        new_index[rows, rank[top]] = all_other[top]
        self.scores[touched] = new_scores
        self.index[touched] = new_index

    def merge_topk(self, other: TopK) -> None:
        """Merge another TopK over the same owners (e.g. from another block of remains)."""
        owner, slot = np.nonzero(other.index >= 0)
        self.merge(owner, other.index[owner, slot], other.scores[owner, slot])
