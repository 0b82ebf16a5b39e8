"""Properties of the exact likelihood: invariances and agreement between independent methods."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labtrack.kinship import (
    MarkerFrequencies,
    Pedigree,
    Person,
    equal_matrix,
    locus_lr,
    pedigree_likelihood,
)
from labtrack.kinship._inheritance import inheritance_likelihood
from labtrack.kinship._structure import relevant_structure

P = Person
SHAPES = {
    "avuncular": Pedigree.build(
        "a",
        [P("G1", sex=1), P("G2", sex=2), P("U3", "G1", "G2", 1), P("R1", "G1", "G2"),
         P("U4", sex=2), P("MP", "U3", "U4", missing=True)],
    ),
    "sibs_and_parent": Pedigree.build(
        "s",
        [P("F", sex=1), P("M", sex=2), P("MP", "F", "M", missing=True), P("R1", "F", "M"),
         P("R2", "F", "M")],
    ),
    "cousin_marriage": Pedigree.build(
        "c",
        [P("G1", sex=1), P("G2", sex=2), P("A", "G1", "G2", 1), P("B", "G1", "G2", 2),
         P("SA", sex=2), P("SB", sex=1), P("X", "A", "SA", 1), P("Y", "SB", "B", 2),
         P("MP", "X", "Y", missing=True), P("R1", "X", "Y")],
    ),
}
TYPED = {"avuncular": ["R1", "G1"], "sibs_and_parent": ["R1", "R2", "M"],
         "cousin_marriage": ["R1", "A", "B"]}
N = 6
genotype = st.tuples(st.integers(0, N - 1), st.integers(0, N - 1))
freq_vectors = st.lists(st.floats(0.05, 1.0), min_size=N, max_size=N).map(
    lambda xs: np.array(xs) / sum(xs)
)


def draw_family(data, shape: str) -> dict[str, tuple[int, int]]:
    return {pid: data.draw(genotype) for pid in [*TYPED[shape], "MP"]}


@settings(max_examples=40, deadline=None)
@given(data=st.data(), shape=st.sampled_from(sorted(SHAPES)), p=freq_vectors)
def test_lumping_is_exact(data, shape, p) -> None:
    genotypes = draw_family(data, shape)
    pedigree = SHAPES[shape]
    lumped = pedigree_likelihood(pedigree, genotypes, p, lump=True)
    full = pedigree_likelihood(pedigree, genotypes, p, lump=False)
    assert lumped == pytest.approx(full, rel=1e-10, abs=1e-300)
    matrix = equal_matrix(N, 0.01)
    lumped = pedigree_likelihood(pedigree, genotypes, p, mutation=matrix, lump=True)
    full = pedigree_likelihood(pedigree, genotypes, p, mutation=matrix, lump=False)
    assert lumped == pytest.approx(full, rel=1e-10)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), shape=st.sampled_from(sorted(SHAPES)), p=freq_vectors)
def test_peeling_equals_inheritance_enumeration(data, shape, p) -> None:
    """Two independent exact methods agree at theta = 0 (the enumeration is the theta engine)."""
    genotypes = draw_family(data, shape)
    pedigree = SHAPES[shape]
    structure = relevant_structure(pedigree, list(genotypes))
    typed = {structure.index(pid): g for pid, g in genotypes.items()}
    enumerated = inheritance_likelihood(structure, typed, p, 0.0)
    peeled = pedigree_likelihood(pedigree, genotypes, p)
    assert peeled == pytest.approx(enumerated, rel=1e-10, abs=1e-300)


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    shape=st.sampled_from(sorted(SHAPES)),
    p=freq_vectors,
    theta=st.sampled_from([0.0, 0.02]),
    permutation=st.permutations(list(range(N))),
)
def test_lr_invariant_to_allele_order_and_labels(data, shape, p, theta, permutation) -> None:
    pedigree = SHAPES[shape]
    genotypes = draw_family(data, shape)
    labels = [f"{k + 10}" for k in range(N)]
    freqs = MarkerFrequencies("M", tuple(labels), p)
    relatives = {pid: (labels[a], labels[b]) for pid, (a, b) in genotypes.items() if pid != "MP"}
    unknown = (labels[genotypes["MP"][0]], labels[genotypes["MP"][1]])
    base = locus_lr(pedigree, relatives, unknown, freqs, theta=theta)
    swapped = locus_lr(
        pedigree, {k: (b, a) for k, (a, b) in relatives.items()}, unknown[::-1], freqs,
        theta=theta,
    )
    order = np.array(permutation)
    shuffled = MarkerFrequencies("M", tuple(labels[k] for k in order), p[order])
    relabelled = locus_lr(pedigree, relatives, unknown, shuffled, theta=theta)
    for other in (swapped, relabelled):
        np.testing.assert_allclose(other.lr, base.lr, rtol=1e-10, equal_nan=True)
        np.testing.assert_allclose(other.lik_h2, base.lik_h2, rtol=1e-10)


@settings(max_examples=15, deadline=None)
@given(
    data=st.data(),
    shape=st.sampled_from(sorted(SHAPES)),
    p=freq_vectors,
    theta=st.sampled_from([0.0, 0.05]),
)
def test_likelihood_sums_over_genotypes_to_the_marginal(data, shape, p, theta) -> None:
    """Summed over all genotypes of the missing person, the likelihood is the likelihood of
    the others (a probability distribution; checks the theta engine with inbreeding too)."""
    pedigree = SHAPES[shape]
    fixed = {TYPED[shape][0]: data.draw(genotype)}
    total = sum(
        pedigree_likelihood(pedigree, {**fixed, "MP": (i, j)}, p, theta=theta)
        for i in range(N) for j in range(i, N)
    )
    marginal = pedigree_likelihood(pedigree, fixed, p, theta=theta)
    assert total == pytest.approx(marginal, rel=1e-10)
