"""Fast LR tables without mutation or theta: peel each family on its own lumped alphabet.

Per family, the alleles of the typed relatives (at most 2T distinct) keep their identity and all
other alleles are merged into one class L (exact without mutation). One batched peeling pass gives
J[f, x, y] = P(relatives, missing person's ordered genotype (x, y)) on that small alphabet. When
the missing person is not inbred, an allele of the missing person in L comes from a founder
allele that nobody typed carries, independent of everything else, so within L it is distributed
as p / p_L; the full table follows:
    both alleles in L:          LR = J[L, L] / (p_L^2 P(rel))
    a typed allele x, y in L:   LR = (J[x, L] + J[L, x]) / (2 p_x p_L P(rel))
    both typed alleles:         LR = (J[x, y] + J[y, x]) / (P(x, y) P(rel))   (J[x, x] if x = y)
"""

from __future__ import annotations

import numpy as np

from labtrack.kinship._peeling import peel
from labtrack.kinship._structure import Structure

_BATCH_FLOATS = 4_000_000


def is_inbred(structure: Structure, person: int) -> bool:
    """True when the person's parents share an ancestor (or one descends from the other)."""
    father, mother = structure.father[person], structure.mother[person]
    if father < 0:
        return False

    def ancestry(i: int) -> set[int]:
        seen: set[int] = set()
        stack = [i]
        while stack:
            k = stack.pop()
            if k in seen or k < 0:
                continue
            seen.add(k)
            stack += [structure.father[k], structure.mother[k]]
        return seen

    return bool(ancestry(father) & ancestry(mother))


def lumped_tables(
    structure: Structure,
    columns: list[int],
    query: int,
    genotypes: np.ndarray,
    freqs: np.ndarray,
) -> np.ndarray:
    """LR tables, shape (F, n(n+1)/2), for typed persons `columns` (structure indices) with
    genotypes int (F, T, 2) into freqs (n,); `query` = the missing person (not inbred)."""
    n_families, n_typed = genotypes.shape[0], genotypes.shape[1]
    n = len(freqs)
    width = min(2 * n_typed, n)
    out = np.empty((n_families, n * (n + 1) // 2))
    step = max(1, _BATCH_FLOATS // (width + 1) ** 3)
    for start in range(0, n_families, step):
        block = genotypes[start : start + step]
        _block_tables(structure, columns, query, block, freqs, width, out[start : start + step])
    return out


def _local_alphabet(flat: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per family: distinct alleles `values` (F, width; -1 padding), each slot's local index
    (F, 2T), and the number of distinct alleles (F,)."""
    n_families = flat.shape[0]
    order = np.argsort(flat, axis=1, kind="stable")
    ordered = np.take_along_axis(flat, order, axis=1)
    new = np.ones_like(ordered, dtype=bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    rank = np.cumsum(new, axis=1) - 1
    local = np.empty_like(rank)
    np.put_along_axis(local, order, rank, axis=1)
    values = np.full((n_families, width), -1, dtype=np.intp)
    rows = np.repeat(np.arange(n_families), flat.shape[1])
    values[rows, rank.ravel()] = ordered.ravel()
    return values, local, new.sum(axis=1)


def _block_tables(
    structure: Structure,
    columns: list[int],
    query: int,
    genotypes: np.ndarray,
    freqs: np.ndarray,
    width: int,
    table: np.ndarray,
) -> None:
    """Fill `table` (F, n(n+1)/2) in place for the families of `genotypes` (F, T, 2)."""
    n_families, n_typed = genotypes.shape[0], genotypes.shape[1]
    n = len(freqs)
    values, local, _ = _local_alphabet(genotypes.reshape(n_families, 2 * n_typed), width)
    valid = values >= 0
    local_freqs = np.zeros((n_families, width + 1))
    local_freqs[:, :width] = np.where(valid, freqs[np.where(valid, values, 0)], 0.0)
    p_lumped = np.maximum(float(freqs.sum()) - local_freqs[:, :width].sum(axis=1), 0.0)
    local_freqs[:, width] = p_lumped
    local_genotypes = local.reshape(n_families, n_typed, 2)
    typed = {col: local_genotypes[:, k, :] for k, col in enumerate(columns)}
    joint = peel(structure, typed, local_freqs, None, query=query, batch=n_families)
    total = joint.sum(axis=(1, 2))
    lumped = width
    rows = np.arange(n_families)
    safe_values = np.where(valid, values, 0)
    p_x = freqs[safe_values]  # (F, width)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = joint[:, lumped, lumped] / (p_lumped**2 * total)
        # one typed allele x, the other in L: constant over the L alleles
        one = (joint[:, :width, lumped] + joint[:, lumped, :width]) / (
            2.0 * p_x * p_lumped[:, None] * total[:, None]
        )
        table[...] = base[:, None]
        every = np.arange(n)[None, :]
        for r in range(width):
            fam = rows[valid[:, r]]
            x = values[fam, r][:, None]
            lo, hi = np.minimum(x, every), np.maximum(x, every)
            table[fam[:, None], hi * (hi + 1) // 2 + lo] = one[fam, r][:, None]
        # both alleles typed in the family: exact values
        for r in range(width):
            for s in range(r, width):
                fam = rows[valid[:, r] & valid[:, s]]
                if not fam.size:
                    continue
                x, y = values[fam, r], values[fam, s]
                if r == s:
                    lr = joint[fam, r, r] / (p_x[fam, r] ** 2 * total[fam])
                else:
                    lr = (joint[fam, r, s] + joint[fam, s, r]) / (
                        2.0 * p_x[fam, r] * p_x[fam, s] * total[fam]
                    )
                lo, hi = np.minimum(x, y), np.maximum(x, y)
                table[fam, hi * (hi + 1) // 2 + lo] = lr
    table[total == 0] = np.nan
