"""Theta LR tables for many families of one shape at once (inheritance vectors, vectorised).

Same method as `_inheritance.inheritance_query_joint`, batched over F families: the inheritance
vectors are shared, the typed genotypes are per family (on each family's own small alphabet of
typed alleles). For every consistent (family, vector, ordering) row the fixed founder alleles
have Balding–Nichols weight w; the query person's two alleles are fixed or drawn from the urn:
after N fixed alleles with counts m, the next is y with probability (θ m_y + (1-θ) p_y) / d,
d = 1 + (N-1)θ. The contributions are polynomials in p and m and are accumulated per family:
terms in p by coefficient, terms in m by scatter-add.
"""

from __future__ import annotations

import numpy as np

from labtrack.kinship._genotypes import genotype_alleles
from labtrack.kinship._inheritance import _origins
from labtrack.kinship._lumped_tables import _local_alphabet
from labtrack.kinship._structure import Structure

_BATCH_CELLS = 1 << 22


def theta_query_genotypes(
    structure: Structure,
    columns: list[int],
    query: int,
    genotypes: np.ndarray,
    freqs: np.ndarray,
    theta: float,
) -> np.ndarray:
    """P(typed genotypes, query's unordered genotype g) per family, float64 (F, n(n+1)/2) in
    `genotype_index` order.

    columns : structure indices of the typed persons; genotypes : int (F, T, 2) into freqs (n,)
    """
    founders = [i for i in range(structure.size) if structure.is_founder(i)]
    non_founders = [i for i in range(structure.size) if not structure.is_founder(i)]
    origin = _origins(structure, founders, non_founders)
    n_orders = 1 << len(columns)
    cells = origin.shape[0] * n_orders * max(1, 2 * len(founders))
    step = max(1, _BATCH_CELLS // cells)
    n = len(freqs)
    out = np.empty((genotypes.shape[0], n * (n + 1) // 2))
    for start in range(0, genotypes.shape[0], step):
        block = genotypes[start : start + step]
        _block(origin, columns, query, block, freqs, theta, 2 * len(founders),
               out[start : start + step])
    return out


def _block(
    origin: np.ndarray,
    columns: list[int],
    query: int,
    genotypes: np.ndarray,
    freqs: np.ndarray,
    theta: float,
    n_founder_alleles: int,
    out: np.ndarray,
) -> None:
    """Fill `out` (F, n(n+1)/2) for the families of `genotypes` (F, T, 2)."""
    n_fam, n_typed = genotypes.shape[0], genotypes.shape[1]
    n = len(freqs)
    width = max(1, 2 * n_typed)
    if n_typed:
        values, local, _ = _local_alphabet(genotypes.reshape(n_fam, 2 * n_typed), width)
    else:
        values, local = np.full((n_fam, width), -1), np.zeros((n_fam, 0), dtype=np.intp)
    first, second = local[:, 0::2], local[:, 1::2]  # (F, T)
    n_orders = 1 << n_typed
    flip = ((np.arange(n_orders)[:, None] >> np.arange(n_typed)[None, :]) & 1).astype(bool)
    het = first != second
    order_ok = ~(flip[None, :, :] & ~het[:, None, :]).any(axis=2)  # (F, O)
    pat = np.where(flip[None], second[:, None, :], first[:, None, :])  # (F, O, T)
    mat = np.where(flip[None], first[:, None, :], second[:, None, :])
    n_vec = origin.shape[0]
    fixed = np.full((n_fam, n_vec, n_orders, n_founder_alleles), -1, dtype=np.int16)
    ok = np.broadcast_to(order_ok[:, None, :], (n_fam, n_vec, n_orders)).copy()
    f_idx = np.arange(n_fam)[:, None, None]
    v_idx = np.arange(n_vec)[None, :, None]
    o_idx = np.arange(n_orders)[None, None, :]
    for t, person in enumerate(columns):
        for side, wanted in ((0, pat[:, :, t]), (1, mat[:, :, t])):
            slot = origin[:, person, side][None, :, None]
            current = fixed[f_idx, v_idx, o_idx, slot]
            want = wanted[:, None, :]
            ok &= (current < 0) | (current == want)
            fixed[f_idx, v_idx, o_idx, slot] = want
    fam, vec, order = np.nonzero(ok)
    rows = fixed[fam, vec, order]  # (R, K)
    counts = np.zeros((len(fam), width))
    for column in rows.T:
        assigned = column >= 0
        counts[assigned, column[assigned]] += 1
    n_fixed = counts.sum(axis=1)
    p_local = np.where(values >= 0, freqs[np.maximum(values, 0)], 0.0)  # (F, W)
    k = np.arange(n_founder_alleles + 1)
    # rising[f, l, m] = prod_{j<m} (j θ + (1-θ) p_l)
    terms = k[None, None, :-1] * theta + (1 - theta) * p_local[:, :, None]
    rising = np.concatenate([np.ones((n_fam, width, 1)), np.cumprod(terms, axis=2)], axis=2)
    denominator = np.concatenate([[1.0], np.cumprod(1.0 + (k[:-1] - 1) * theta)])
    c_int = counts.astype(np.intp)
    weight = np.prod(rising[fam[:, None], np.arange(width)[None, :], c_int], axis=1)
    weight = weight / denominator[c_int.sum(axis=1)]
    q1, q2 = origin[vec, query, 0], origin[vec, query, 1]
    r_idx = np.arange(len(fam))
    v1, v2 = rows[r_idx, q1], rows[r_idx, q2]
    gval = values[fam]  # (R, W) global allele of each local index
    _accumulate(
        out, values, n, fam, weight, counts, n_fixed, v1, v2, q1 == q2, gval, freqs, theta
    )
    out /= n_vec


def _accumulate(
    table: np.ndarray,
    values: np.ndarray,
    n: int,
    fam: np.ndarray,
    weight: np.ndarray,
    counts: np.ndarray,
    n_fixed: np.ndarray,
    v1: np.ndarray,
    v2: np.ndarray,
    same: np.ndarray,
    gval: np.ndarray,
    freqs: np.ndarray,
    theta: float,
) -> None:
    """Sum the rows' contributions into `table`: P(typed, query genotype), (F, n(n+1)/2).

    values : (F, W) global allele of each family's local allele index (-1 padding).
    """
    a0 = 1.0 - theta
    d0 = 1.0 + (n_fixed - 1.0) * theta
    d1 = 1.0 + n_fixed * theta
    width = counts.shape[1]
    flat_index: list[np.ndarray] = []
    flat_weight: list[np.ndarray] = []

    def scatter(f: np.ndarray, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> None:
        keep = (x >= 0) & (y >= 0) & (w != 0)
        flat_index.append((f[keep] * n + x[keep]) * n + y[keep])
        flat_weight.append(w[keep])

    n_fam = table.shape[0]
    row_p = np.zeros((n_fam, n))
    col_p = np.zeros((n_fam, n))
    diag_p = np.zeros(n_fam)
    pp = np.zeros(n_fam)
    vm = np.zeros((n_fam, n))
    both = (v1 >= 0) & (v2 >= 0)
    only1 = (v1 >= 0) & (v2 < 0)
    only2 = (v1 < 0) & (v2 >= 0)
    free_same = (v1 < 0) & (v2 < 0) & same
    free_two = (v1 < 0) & (v2 < 0) & ~same
    r = np.arange(len(fam))
    x1 = np.where(v1 >= 0, gval[r, np.maximum(v1, 0)], -1)
    x2 = np.where(v2 >= 0, gval[r, np.maximum(v2, 0)], -1)
    scatter(fam[both], x1[both], x2[both], weight[both])
    # one allele fixed: the other from the urn, (a0 p + θ m) / d0
    np.add.at(row_p, (fam[only1], x1[only1]), weight[only1] * a0 / d0[only1])
    np.add.at(col_p, (fam[only2], x2[only2]), weight[only2] * a0 / d0[only2])
    np.add.at(diag_p, fam[free_same], weight[free_same] * a0 / d0[free_same])
    e = weight / (d0 * d1)
    np.add.at(pp, fam[free_two], e[free_two] * a0 * a0)
    np.add.at(diag_p, fam[free_two], e[free_two] * theta * a0)
    for l1 in range(width):
        m1 = counts[:, l1]
        g1 = gval[:, l1]
        has = m1 > 0
        s = has & only1
        scatter(fam[s], x1[s], g1[s], weight[s] * theta * m1[s] / d0[s])
        s = has & only2
        scatter(fam[s], g1[s], x2[s], weight[s] * theta * m1[s] / d0[s])
        s = has & free_same
        scatter(fam[s], g1[s], g1[s], weight[s] * theta * m1[s] / d0[s])
        s = has & free_two
        np.add.at(vm, (fam[s], g1[s]), e[s] * a0 * theta * m1[s])
        scatter(fam[s], g1[s], g1[s], e[s] * theta * theta * m1[s])
        for l2 in range(width):
            m2 = counts[:, l2]
            s2 = s & (m2 > 0)
            scatter(fam[s2], g1[s2], gval[s2, l2], e[s2] * theta * theta * m1[s2] * m2[s2])
    # unordered genotype g = {x, y}: U = J[x, y] + J[y, x] (J[x, x] on the diagonal) where
    # J = scatter + row_p (x) p + p (x) col_p + diag_p diag(p) + pp p (x) p + p (x) vm + vm (x) p
    i, j = genotype_alleles(n)
    p = freqs
    np.multiply(pp[:, None], (np.where(i == j, 1.0, 2.0) * p[i] * p[j])[None, :], out=table)
    if flat_index:
        index = np.concatenate(flat_index)
        f_of, rest = np.divmod(index, n * n)
        x, y = np.divmod(rest, n)
        lo, hi = np.minimum(x, y), np.maximum(x, y)
        np.add.at(table.reshape(-1), f_of * len(i) + hi * (hi + 1) // 2 + lo,
                  np.concatenate(flat_weight))
    every = np.arange(n)
    table[:, every * (every + 1) // 2 + every] += diag_p[:, None] * p[None, :]
    # A = row_p + col_p + 2 vm is non-zero at the family's alleles only: U[x, y] += A_x p_y
    a = row_p + col_p + 2.0 * vm
    for column in range(values.shape[1]):
        families = np.flatnonzero(values[:, column] >= 0)
        x = values[families, column][:, None]
        lo, hi = np.minimum(x, every[None, :]), np.maximum(x, every[None, :])
        table[families[:, None], hi * (hi + 1) // 2 + lo] += a[families, x[:, 0]][:, None] * p
