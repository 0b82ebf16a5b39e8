"""LR of every possible genotype of the missing person against one family (blind search).

Genotypes of n alleles are numbered (0,0), (0,1), (1,1), (0,2), (1,2), (2,2), ...: for i <= j
the genotype {i, j} has index j (j + 1) / 2 + i.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from labtrack.core.messages import Message, msg
from labtrack.kinship._genotypes import genotype_alleles
from labtrack.kinship._inheritance import MAX_NON_FOUNDERS, inheritance_query_joint
from labtrack.kinship._lumped_tables import is_inbred, lumped_tables
from labtrack.kinship._partitions import MAX_FOUNDER_ALLELES, founder_slots, partition_query_joint
from labtrack.kinship._peeling import peel
from labtrack.kinship._structure import relevant_structure
from labtrack.kinship._theta_tables import theta_query_genotypes
from labtrack.kinship.mutation import MutationModel, Transmission
from labtrack.kinship.pedigree import Pedigree

#: Upper bound on the floats of one batch of ordered genotype tables (memory per einsum call).
_BATCH_FLOATS = 4_000_000


def genotype_index(i: int | np.ndarray, j: int | np.ndarray) -> int | np.ndarray:
    """Index of the unordered genotype {i, j} (0-based allele indices) among the n (n + 1) / 2
    genotypes, order (0,0),(0,1),(1,1),(0,2),(1,2),(2,2),...: for i <= j, j (j + 1) // 2 + i.
    Symmetric in i, j; works elementwise on integer arrays.

    >>> genotype_index(0, 0), genotype_index(1, 0), genotype_index(2, 2)
    (0, 1, 5)
    """
    if isinstance(i, np.ndarray) or isinstance(j, np.ndarray):
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        return hi * (hi + 1) // 2 + lo
    lo_, hi_ = min(int(i), int(j)), max(int(i), int(j))
    return hi_ * (hi_ + 1) // 2 + lo_


def n_genotypes(n_alleles: int) -> int:
    """Number of unordered genotypes of `n_alleles` alleles: n (n + 1) / 2."""
    return n_alleles * (n_alleles + 1) // 2


def unrelated_genotype_probabilities(freqs: np.ndarray) -> np.ndarray:
    """P(genotype) of an unrelated person, theta = 0: p_i^2 or 2 p_i p_j; shape (n(n+1)/2,)."""
    i, j = genotype_alleles(len(freqs))
    return np.where(i == j, 1.0, 2.0) * freqs[i] * freqs[j]


def theta_limit(pedigree: Pedigree, theta: float, mutation: bool) -> Message | None:
    """Why the tables of this family cannot be computed under theta (with a mutation model when
    `mutation`), or None when they can: theta alone sums over inheritance vectors (at most
    `MAX_NON_FOUNDERS` non-founders after pruning), theta with mutation over the partitions of
    the founder alleles (at most `MAX_FOUNDER_ALLELES`). Checked on both hypotheses with every
    relative typed, the largest structures the tables of any locus can meet."""
    if theta <= 0:
        return None
    typed = list(pedigree.typed_person_ids)
    structures = (relevant_structure(pedigree, [*typed, pedigree.missing_person_id]),
                  relevant_structure(pedigree, typed).with_extra_founders(1))
    if mutation:
        alleles = max(len(founder_slots(s)) for s in structures)
        if alleles > MAX_FOUNDER_ALLELES:
            return msg("theta with a mutation model sums over the partitions of the founder alleles: "
                       "%(count)s here, at most %(limit)s", count=alleles, limit=MAX_FOUNDER_ALLELES)
        return None
    non_founders = max(sum(not s.is_founder(i) for i in range(s.size)) for s in structures)
    if non_founders > MAX_NON_FOUNDERS:
        return msg("theta sums over inheritance vectors: %(count)s non-founders here, at most %(limit)s",
                   count=non_founders, limit=MAX_NON_FOUNDERS)
    return None


def mp_lr_table(
    pedigree: Pedigree,
    relative_genotypes: Mapping[str, tuple[str, str]],
    alleles: Sequence[str],
    freqs: np.ndarray,
    *,
    theta: float = 0.0,
    mutation: MutationModel | None = None,
    marker: str = "",
) -> np.ndarray:
    """LR, for one locus, of every possible unknown genotype vs this family.

    relative_genotypes : person_id -> (allele, allele) of the typed relatives at this locus
        (missing person excluded); alleles are labels from `alleles`
    alleles : the n allele labels; freqs : float64, shape (n,)
    mutation, marker : optional mutation model (its rate for `marker`)

    Returns float64, shape (n_genotypes(n),), in `genotype_index` order; the same value as the
    per-locus LR of `labtrack kinship lr`; NaN everywhere if the references are inconsistent.
    """
    freqs = np.asarray(freqs, dtype=np.float64)
    position = {a: k for k, a in enumerate(alleles)}
    relatives = {pid: (position[g[0]], position[g[1]]) for pid, g in relative_genotypes.items()}
    matrix = None if mutation is None else mutation.transmission(marker, alleles, freqs)
    typed_ids = list(relatives)
    genotypes = np.asarray([relatives[pid] for pid in typed_ids], dtype=np.intp).reshape(1, -1, 2)
    if theta > 0 and matrix is not None:
        return _partition_tables(pedigree, typed_ids, genotypes, freqs, theta, matrix)[0]
    if theta > 0:
        return _theta_table(pedigree, relatives, freqs, theta)
    return _peeled_tables(pedigree, typed_ids, genotypes, freqs, matrix)[0]


def mp_lr_tables(
    pedigree: Pedigree,
    relative_genotypes: np.ndarray,
    freqs: np.ndarray,
    *,
    theta: float = 0.0,
    mutation: MutationModel | None = None,
    marker: str = "",
    alleles: Sequence[str] | None = None,
    observations: np.ndarray | None = None,
) -> np.ndarray:
    """`mp_lr_table` for F families of the same pedigree shape, vectorised across families.

    pedigree : the shared shape; its `typed_person_ids` are the typed relatives, in that order
    relative_genotypes : int array, shape (F, n_typed, 2), allele indices into `freqs`
    freqs : float64, shape (n_alleles,)
    mutation, marker, alleles : optional mutation model, its rates for `marker`; the stepwise
        model needs the allele labels (repeat numbers)
    observations : optional P(observation | genotype), shape (G, O) (drop-out/drop-in of the
        missing person's profile, `search_observations`): the tables are then per observation,
        shape (F, O), LR = P(relatives, o | H1) / P(relatives, o | H2)

    Returns float64, shape (F, n_genotypes(n_alleles)); row f equals `mp_lr_table` of family f
    (NaN rows for inconsistent references). Without theta, P(missing person's genotype,
    relatives) is computed by one peeling pass per batch of families (numpy broadcasting over
    F); with theta > 0 by an inheritance-vector sum shared by all families, batched likewise;
    with theta > 0 and a mutation model by a sum over the identity-by-descent partitions of the
    founder alleles, one batched peeling pass per partition (`_partitions`; at most
    `MAX_FOUNDER_ALLELES` founder alleles, else ValueError).
    """
    freqs = np.asarray(freqs, dtype=np.float64)
    typed_ids = list(pedigree.typed_person_ids)
    genotypes = np.asarray(relative_genotypes, dtype=np.intp)
    if genotypes.ndim != 3 or genotypes.shape[1:] != (len(typed_ids), 2):
        raise ValueError(
            f"relative_genotypes has shape {genotypes.shape}, expected (F, {len(typed_ids)}, 2)"
        )
    if genotypes.size and (genotypes.min() < 0 or genotypes.max() >= len(freqs)):
        raise ValueError("relative_genotypes holds allele indices outside freqs")
    matrix = None
    if mutation is not None:
        if alleles is None and mutation.kind == "stepwise":
            raise ValueError("the stepwise mutation model needs the allele labels (alleles=)")
        labels = [str(k) for k in range(len(freqs))] if alleles is None else list(alleles)
        matrix = mutation.transmission(marker, labels, freqs)
    if theta > 0 and matrix is not None:
        return _partition_tables(pedigree, typed_ids, genotypes, freqs, theta, matrix, observations)
    if theta > 0:
        return _theta_tables(pedigree, typed_ids, genotypes, freqs, theta, observations)
    tables = _peeled_tables(pedigree, typed_ids, genotypes, freqs, matrix)
    if observations is None:
        return tables
    return tables @ observation_weights(freqs, observations)


def _peeled_tables(
    pedigree: Pedigree,
    typed_ids: list[str],
    genotypes: np.ndarray,
    freqs: np.ndarray,
    matrix: Transmission | None,
) -> np.ndarray:
    """theta = 0: LR tables from P(relatives, MP ordered genotype). genotypes (F, T, 2)."""
    n = len(freqs)
    mp = pedigree.missing_person_id
    structure = relevant_structure(pedigree, [*typed_ids, mp])
    query = structure.index(mp)
    columns = [structure.index(pid) for pid in typed_ids]
    if matrix is None and not is_inbred(structure, query) and 2 * len(typed_ids) < n:
        return lumped_tables(structure, columns, query, genotypes, freqs)
    i, j = genotype_alleles(n)
    unrelated = unrelated_genotype_probabilities(freqs)
    n_families = genotypes.shape[0]
    out = np.empty((n_families, len(i)))
    step = max(1, _BATCH_FLOATS // max(1, 2 * n * n))
    for start in range(0, n_families, step):
        block = genotypes[start : start + step]
        typed = {col: block[:, k, :] for k, col in enumerate(columns)}
        joint = peel(structure, typed, freqs, matrix, query=query, batch=block.shape[0])
        total = joint.sum(axis=(1, 2))
        unordered = joint[:, i, j] + np.where(i != j, joint[:, j, i], 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            table = unordered / (total[:, None] * unrelated[None, :])
        table[total == 0] = np.nan
        out[start : start + step] = table
    return out


def _theta_tables(
    pedigree: Pedigree,
    typed_ids: list[str],
    genotypes: np.ndarray,
    freqs: np.ndarray,
    theta: float,
    observations: np.ndarray | None = None,
) -> np.ndarray:
    """theta > 0, vectorised over families: genotypes (F, T, 2) -> LR tables (F, G), or (F, O)
    per observation when `observations` (G, O) is given."""
    mp = pedigree.missing_person_id
    h1_structure = relevant_structure(pedigree, [*typed_ids, mp])
    h1 = theta_query_genotypes(
        h1_structure, [h1_structure.index(pid) for pid in typed_ids],
        h1_structure.index(mp), genotypes, freqs, theta,
    )
    h2_structure = relevant_structure(pedigree, typed_ids).with_extra_founders(1)
    h2 = theta_query_genotypes(
        h2_structure, [h2_structure.index(pid) for pid in typed_ids],
        h2_structure.index("#extra0"), genotypes, freqs, theta,
    )
    return _hypothesis_ratio(h1, h2, observations)


def _hypothesis_ratio(h1: np.ndarray, h2: np.ndarray, observations: np.ndarray | None) -> np.ndarray:
    """LR tables P(rel, g | H1) / P(rel, g | H2) from the two joints (F, G), or per observation
    when `observations` (G, O) is given; NaN rows where the references are impossible under H2."""
    undefined = h2.sum(axis=1) == 0
    if observations is not None:
        h1, h2 = h1 @ observations, h2 @ observations
    with np.errstate(divide="ignore", invalid="ignore"):
        table = np.divide(h1, h2, out=h1)
    table[undefined] = np.nan
    return table


def _partition_tables(
    pedigree: Pedigree,
    typed_ids: list[str],
    genotypes: np.ndarray,
    freqs: np.ndarray,
    theta: float,
    matrix: Transmission,
    observations: np.ndarray | None = None,
) -> np.ndarray:
    """theta > 0 with a mutation model: LR = P(rel, g | H1) / P(rel, g | H2) per unordered
    genotype g (or per observation), each a partition sum with the missing person (H1) or an
    unrelated extra founder (H2) left free. genotypes (F, T, 2) -> (F, G) or (F, O)."""
    n = len(freqs)
    i, j = genotype_alleles(n)
    off = i != j
    mp = pedigree.missing_person_id
    h1_structure = relevant_structure(pedigree, [*typed_ids, mp])
    h2_structure = relevant_structure(pedigree, typed_ids).with_extra_founders(1)
    n_families = genotypes.shape[0]
    h1 = np.empty((n_families, len(i)))
    h2 = np.empty((n_families, len(i)))
    step = max(1, _BATCH_FLOATS // max(1, 2 * n * n))
    for start in range(0, n_families, step):
        block = genotypes[start : start + step]
        for structure, query, out in ((h1_structure, mp, h1), (h2_structure, "#extra0", h2)):
            typed = {structure.index(pid): block[:, k, :] for k, pid in enumerate(typed_ids)}
            joint = partition_query_joint(structure, typed, structure.index(query), freqs, theta,
                                          matrix, batch=block.shape[0])
            out[start : start + step] = joint[:, i, j] + np.where(off, joint[:, j, i], 0.0)
    return _hypothesis_ratio(h1, h2, observations)


def _theta_table(
    pedigree: Pedigree,
    relatives: Mapping[str, tuple[int, int]],
    freqs: np.ndarray,
    theta: float,
) -> np.ndarray:
    """theta > 0, no mutation: one inheritance-vector pass per hypothesis, the missing person (H1) or the
    unrelated extra founder (H2) left free: LR = P(rel, g | H1) / P(rel, g | H2)."""
    mp = pedigree.missing_person_id
    i, j = genotype_alleles(len(freqs))
    h1_structure = relevant_structure(pedigree, [*relatives, mp])
    h1_typed = {h1_structure.index(pid): g for pid, g in relatives.items()}
    h1 = inheritance_query_joint(h1_structure, h1_typed, h1_structure.index(mp), freqs, theta)
    h2_structure = relevant_structure(pedigree, list(relatives)).with_extra_founders(1)
    h2_typed = {h2_structure.index(pid): g for pid, g in relatives.items()}
    h2 = inheritance_query_joint(
        h2_structure, h2_typed, h2_structure.index("#extra0"), freqs, theta
    )
    if h2.sum() == 0:
        return np.full(len(i), np.nan)
    off = i != j
    numerator = h1[i, j] + np.where(off, h1[j, i], 0.0)
    denominator = h2[i, j] + np.where(off, h2[j, i], 0.0)
    return numerator / denominator


def observation_weights(freqs: np.ndarray, likelihoods: np.ndarray) -> np.ndarray:
    """W with (LR tables (F, G)) @ W = observation LR tables, theta = 0:
    W[g, o] = P(g | H2) P(o | g) / sum_g' P(g' | H2) P(o | g')."""
    unrelated = unrelated_genotype_probabilities(np.asarray(freqs, dtype=np.float64))
    weighted = unrelated[:, None] * likelihoods
    total = weighted.sum(axis=0)
    return np.divide(weighted, total, out=np.zeros_like(weighted), where=total > 0)
