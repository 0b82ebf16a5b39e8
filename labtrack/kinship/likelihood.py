"""Single-locus pedigree likelihood: P(typed genotypes) for one marker and one pedigree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from labtrack.kinship._inheritance import inheritance_likelihood
from labtrack.kinship._partitions import partition_likelihood
from labtrack.kinship._peeling import peel
from labtrack.kinship._structure import Structure, relevant_structure
from labtrack.kinship.mutation import Transmission, as_transmission
from labtrack.kinship.pedigree import Pedigree

#: Genotype as allele indices into the marker's frequency vector.
IndexGenotype = tuple[int, int]


def pedigree_likelihood(
    pedigree: Pedigree,
    genotypes: Mapping[str, IndexGenotype],
    freqs: np.ndarray,
    *,
    theta: float = 0.0,
    mutation: np.ndarray | Transmission | None = None,
    extra_founders: Sequence[IndexGenotype] = (),
    lump: bool = True,
) -> float:
    """Exact probability of the typed genotypes at one locus.

    pedigree : the family (its own `sample_id`s are ignored; `genotypes` says who is typed)
    genotypes : person_id -> (i, j) allele indices into `freqs`, any person incl. the missing one
    freqs : float64, shape (n,), the marker's allele frequencies (summing to 1)
    theta : Balding–Nichols coancestry; all founder alleles (and `extra_founders`) jointly
    mutation : float64, shape (n, n), rows summing to 1, applied to every transmission, or a
        Transmission (female and male matrices); None for no mutation. theta > 0 with
        mutation sums over the founder alleles' identity-by-descent
        partitions (at most 10 founder alleles after pruning, else ValueError).
    extra_founders : genotypes of further persons unrelated to the pedigree (e.g. the unknown
        under H2), drawn jointly with the founders when theta > 0
    lump : merge the alleles nobody carries into one (exact without mutation, and with a
        mutation matrix that is lumpable for that partition; otherwise the full set is used)
    """
    freqs = np.asarray(freqs, dtype=np.float64)
    unknown = set(genotypes) - set(pedigree.person_ids)
    if unknown:
        raise KeyError(f"not in pedigree {pedigree.family_id}: {sorted(unknown)}")
    structure = relevant_structure(pedigree, list(genotypes))
    structure = structure.with_extra_founders(len(extra_founders))
    typed = {structure.index(pid): tuple(map(int, g)) for pid, g in genotypes.items()}
    for k, genotype in enumerate(extra_founders):
        typed[structure.index(f"#extra{k}")] = (int(genotype[0]), int(genotype[1]))
    return structure_likelihood(structure, typed, freqs, theta=theta, mutation=mutation, lump=lump)


def structure_likelihood(
    structure: Structure,
    typed: Mapping[int, IndexGenotype],
    freqs: np.ndarray,
    *,
    theta: float = 0.0,
    mutation: np.ndarray | Transmission | None = None,
    lump: bool = True,
) -> float:
    """`pedigree_likelihood` on a reduced structure (person index -> genotype)."""
    if not typed:
        return 1.0
    if not 0.0 <= theta < 1.0:
        raise ValueError(f"theta {theta} is not in [0, 1)")
    mutation = as_transmission(mutation)
    if mutation is not None and mutation.is_identity():
        mutation = None
    if theta > 0 and mutation is None:
        return inheritance_likelihood(structure, typed, freqs, theta)
    if lump:
        freqs, mutation, typed = lumped(freqs, mutation, typed)
    if theta > 0:
        return partition_likelihood(structure, typed, freqs, theta, mutation)
    arrays = {i: np.asarray([g], dtype=np.intp) for i, g in typed.items()}
    return float(peel(structure, arrays, freqs, mutation)[0])


def lumped(
    freqs: np.ndarray,
    mutation: np.ndarray | Transmission | None,
    typed: Mapping[int, IndexGenotype],
    keep: Sequence[int] = (),
) -> tuple[np.ndarray, Transmission | None, dict[int, IndexGenotype]]:
    """Merge the alleles that no typed person carries (and not in `keep`) into one allele, when
    that is exact.

    Returns (freqs (k,), mutation (k, k) matrices or None, typed re-indexed). Without mutation
    lumping is always exact; with mutation only if both matrices are lumpable (every lumped row
    has the same entries in the kept columns); otherwise the inputs come back unchanged.
    """
    transmission = as_transmission(mutation)
    observed = sorted({a for g in typed.values() for a in g} | {int(a) for a in keep})
    outside = np.ones(len(freqs), dtype=bool)
    outside[observed] = False
    rest = np.flatnonzero(outside)
    if len(rest) <= 1:
        return freqs, transmission, dict(typed)
    if transmission is not None and not all(
        _lumpable(m, rest, observed) for m in (transmission.female, transmission.male)
    ):
        return freqs, transmission, dict(typed)
    position = {a: k for k, a in enumerate(observed)}
    new_freqs = np.append(freqs[observed], float(freqs[rest].sum()))
    new_mutation = None
    if transmission is not None:
        female = _lump_matrix(transmission.female, rest, observed)
        male = female if transmission.male is transmission.female else _lump_matrix(
            transmission.male, rest, observed
        )
        new_mutation = Transmission(female, male)
    new_typed = {i: (position[g[0]], position[g[1]]) for i, g in typed.items()}
    return new_freqs, new_mutation, new_typed


def _lumpable(matrix: np.ndarray, rest: np.ndarray, observed: list[int]) -> bool:
    """Whether the rows of `rest` agree on the `observed` columns. The answer for a read-only
    matrix that owns its data (the models' cached matrices, shared by every case of a marker) is
    kept per matrix and observed alleles; any other is checked every time (it may change)."""
    key = (id(matrix), len(matrix), tuple(observed))
    fixed = not matrix.flags.writeable and matrix.flags.owndata
    if fixed:
        kept = _LUMPABLE.get(key)
        if kept is not None and kept[0] is matrix:
            return kept[1]
    block = matrix[np.ix_(rest, observed)]
    answer = bool(np.allclose(block, block[0], rtol=1e-12, atol=0))
    if fixed:
        if len(_LUMPABLE) >= _LUMPABLE_SIZE:
            _LUMPABLE.clear()
        _LUMPABLE[key] = (matrix, answer)  # the matrix held: its id cannot be reused meanwhile
    return answer


#: Lumpability of read-only matrices by (id, size, observed alleles); cleared when full.
_LUMPABLE: dict[tuple, tuple[np.ndarray, bool]] = {}
_LUMPABLE_SIZE = 20_000


def _lump_matrix(matrix: np.ndarray, rest: np.ndarray, observed: list[int]) -> np.ndarray:
    k = len(observed)
    out = np.empty((k + 1, k + 1))
    out[:k, :k] = matrix[np.ix_(observed, observed)]
    out[:k, k] = matrix[np.ix_(observed, rest)].sum(axis=1)
    out[k, :k] = matrix[rest[0], observed]
    out[k, k] = matrix[rest[0], rest].sum()
    return out
