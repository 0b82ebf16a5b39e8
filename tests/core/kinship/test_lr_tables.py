"""LR tables over every genotype of the missing person (interface of the blind search)."""

import numpy as np
import pytest

from labtrack.kinship import (
    MarkerFrequencies,
    MutationModel,
    Pedigree,
    Person,
    genotype_alleles,
    genotype_index,
    locus_lr,
    mp_lr_table,
    mp_lr_tables,
    n_genotypes,
)

RNG = np.random.default_rng(20261121)
N_ALLELES = 9
FREQS = RNG.dirichlet(np.ones(N_ALLELES) * 2)
ALLELES = tuple(str(k + 8) for k in range(N_ALLELES))


def shapes() -> dict[str, Pedigree]:
    P = Person
    return {
        "parent": Pedigree.build(
            "p", [P("R1", sex=1), P("U1", sex=2), P("MP", "R1", "U1", missing=True)]
        ),
        "trio_sib": Pedigree.build(
            "t",
            [P("F", sex=1), P("M", sex=2), P("MP", "F", "M", missing=True), P("S1", "F", "M")],
        ),
        "avuncular": Pedigree.build(
            "a",
            [P("G1", sex=1), P("G2", sex=2), P("U3", "G1", "G2", 1), P("R1", "G1", "G2"),
             P("U4", sex=2), P("MP", "U3", "U4", missing=True)],
        ),
        "child_spouse": Pedigree.build(
            "c",
            [P("MP", sex=1, missing=True), P("SP", sex=2), P("C1", "MP", "SP"),
             P("C2", "MP", "SP")],
        ),
        # first cousins' child: the missing person is inbred (dense fallback path)
        "inbred": Pedigree.build(
            "i",
            [P("G1", sex=1), P("G2", sex=2), P("A", "G1", "G2", 1), P("B", "G1", "G2", 2),
             P("SA", sex=2), P("SB", sex=1), P("X", "A", "SA", 1), P("Y", "SB", "B", 2),
             P("MP", "X", "Y", missing=True), P("R1", "G1", "G2", 1)],
        ),
    }


TYPED = {
    "parent": ["R1"],
    "trio_sib": ["F", "M", "S1"],
    "avuncular": ["R1"],
    "child_spouse": ["SP", "C1", "C2"],
    "inbred": ["R1", "A"],
}


def test_genotype_index_order() -> None:
    assert [genotype_index(i, j) for j in range(3) for i in range(j + 1)] == list(range(6))
    assert genotype_index(2, 0) == genotype_index(0, 2) == 3
    i, j = genotype_alleles(4)
    assert np.array_equal(genotype_index(i, j), np.arange(n_genotypes(4)))
    assert np.array_equal(genotype_index(j, i), np.arange(10))
    assert n_genotypes(50) == 1275


@pytest.mark.parametrize("shape", sorted(TYPED))
def test_vectorised_tables_equal_single_tables_and_locus_lr(shape: str) -> None:
    pedigree = shapes()[shape].with_typed(TYPED[shape])
    typed = pedigree.typed_person_ids
    n_families = 40
    genotypes = RNG.choice(N_ALLELES, size=(n_families, len(typed), 2), p=FREQS)
    tables = mp_lr_tables(pedigree, genotypes, FREQS)
    assert tables.shape == (n_families, n_genotypes(N_ALLELES))
    freqs = MarkerFrequencies("M", ALLELES, FREQS)
    for f in range(n_families):
        relatives = {
            pid: (ALLELES[genotypes[f, k, 0]], ALLELES[genotypes[f, k, 1]])
            for k, pid in enumerate(typed)
        }
        single = mp_lr_table(pedigree, relatives, ALLELES, FREQS)
        np.testing.assert_allclose(tables[f], single, rtol=1e-10, equal_nan=True)
        for g in (0, 7, 20, n_genotypes(N_ALLELES) - 1):
            i, j = genotype_alleles(N_ALLELES)
            unknown = (ALLELES[i[g]], ALLELES[j[g]])
            expected = locus_lr(pedigree, relatives, unknown, freqs).lr
            np.testing.assert_allclose(single[g], expected, rtol=1e-10, equal_nan=True)


def test_inconsistent_family_gives_nan_row() -> None:
    pedigree = shapes()["trio_sib"].with_typed(["F", "M", "S1"])
    genotypes = np.array([[[0, 0], [0, 0], [1, 1]], [[0, 1], [2, 2], [1, 2]]])
    tables = mp_lr_tables(pedigree, genotypes, FREQS)
    assert np.isnan(tables[0]).all()
    assert np.isfinite(tables[1]).all()


def test_tables_with_mutation_and_theta_match_locus_lr() -> None:
    pedigree = shapes()["parent"].with_typed(["R1"])
    freqs = MarkerFrequencies("M", ALLELES, FREQS)
    relatives = {"R1": ("9", "12")}
    i, j = genotype_alleles(N_ALLELES)
    model = MutationModel("stepwise", 0.002)
    for kwargs in ({"mutation": model}, {"theta": 0.02}):
        table = mp_lr_table(pedigree, relatives, ALLELES, FREQS, marker="M", **kwargs)
        for g in (0, 5, 17, 44):
            unknown = (ALLELES[i[g]], ALLELES[j[g]])
            assert table[g] == pytest.approx(
                locus_lr(pedigree, relatives, unknown, freqs, **kwargs).lr, rel=1e-10
            )
    vectorised = mp_lr_tables(pedigree, np.array([[[1, 4]]]), FREQS, theta=0.02)
    single = mp_lr_table(pedigree, relatives, ALLELES, FREQS, theta=0.02)
    np.testing.assert_allclose(vectorised[0], single, rtol=1e-12)


def test_bad_shape_is_rejected() -> None:
    pedigree = shapes()["parent"].with_typed(["R1"])
    with pytest.raises(ValueError, match="shape"):
        mp_lr_tables(pedigree, np.zeros((3, 2, 2), dtype=int), FREQS)
    with pytest.raises(ValueError, match="outside"):
        mp_lr_tables(pedigree, np.full((3, 1, 2), N_ALLELES), FREQS)


@pytest.mark.parametrize("shape", sorted(TYPED))
def test_theta_tables_match_locus_lr(shape: str) -> None:
    """The theta table (one inheritance pass per hypothesis with the genotype left free) equals
    the per-genotype likelihood ratio."""
    pedigree = shapes()[shape].with_typed(TYPED[shape])
    typed = pedigree.typed_person_ids
    freqs = MarkerFrequencies("M", ALLELES, FREQS)
    i, j = genotype_alleles(N_ALLELES)
    for _ in range(3):
        g = RNG.choice(N_ALLELES, size=(len(typed), 2), p=FREQS)
        relatives = {pid: (ALLELES[g[k, 0]], ALLELES[g[k, 1]]) for k, pid in enumerate(typed)}
        table = mp_lr_table(pedigree, relatives, ALLELES, FREQS, theta=0.03)
        for k in range(0, n_genotypes(N_ALLELES), 4):
            unknown = (ALLELES[i[k]], ALLELES[j[k]])
            expected = locus_lr(pedigree, relatives, unknown, freqs, theta=0.03).lr
            np.testing.assert_allclose(table[k], expected, rtol=1e-10, equal_nan=True)


@pytest.mark.parametrize("shape", sorted(TYPED))
def test_vectorised_theta_tables_equal_single_tables(shape: str) -> None:
    """Two implementations of the theta tables: batched over families (`mp_lr_tables`) and one
    family at a time (`mp_lr_table`); inconsistent families give NaN rows in both."""
    pedigree = shapes()[shape].with_typed(TYPED[shape])
    typed = pedigree.typed_person_ids
    genotypes = RNG.choice(N_ALLELES, size=(25, len(typed), 2), p=FREQS)
    genotypes[0] = 0  # everybody homozygous for the same allele
    tables = mp_lr_tables(pedigree, genotypes, FREQS, theta=0.02)
    for f in range(len(genotypes)):
        relatives = {
            pid: (ALLELES[genotypes[f, k, 0]], ALLELES[genotypes[f, k, 1]])
            for k, pid in enumerate(typed)
        }
        single = mp_lr_table(pedigree, relatives, ALLELES, FREQS, theta=0.02)
        np.testing.assert_allclose(tables[f], single, rtol=1e-10, equal_nan=True)


@pytest.mark.parametrize("theta", [0.0, 0.05])
def test_no_typed_relative_gives_ones(theta: float) -> None:
    pedigree = shapes()["parent"].with_typed([])
    tables = mp_lr_tables(pedigree, np.zeros((3, 0, 2), dtype=int), FREQS, theta=theta)
    np.testing.assert_allclose(tables, 1.0, rtol=1e-12)
    single = mp_lr_table(pedigree, {}, ALLELES, FREQS, theta=theta)
    np.testing.assert_allclose(single, 1.0, rtol=1e-12)


@pytest.mark.parametrize("shape", ["parent", "trio_sib", "avuncular", "child_spouse"])
def test_theta_with_mutation_tables_match_locus_lr(shape: str) -> None:
    """theta and a mutation model together (sex-specific stepwise rates): the table, built by one
    batched partition sum per hypothesis with the genotype left free, equals the exact per-genotype
    LR (`locus_lr`, one partition sum per genotype) and its batched form equals the single one."""
    pedigree = shapes()[shape].with_typed(TYPED[shape])
    typed = pedigree.typed_person_ids
    freqs = MarkerFrequencies("M", ALLELES, FREQS)
    model = MutationModel("stepwise", 0.0, female_rate=0.01, male_rate=0.03, range=0.3)
    i, j = genotype_alleles(N_ALLELES)
    genotypes = RNG.choice(N_ALLELES, size=(4, len(typed), 2), p=FREQS)
    genotypes[0, :, :] = [3, 5]  # everybody 11/13
    tables = mp_lr_tables(pedigree, genotypes, FREQS, theta=0.03, mutation=model, marker="M",
                          alleles=ALLELES)
    for f in range(len(genotypes)):
        relatives = {pid: (ALLELES[genotypes[f, k, 0]], ALLELES[genotypes[f, k, 1]])
                     for k, pid in enumerate(typed)}
        single = mp_lr_table(pedigree, relatives, ALLELES, FREQS, theta=0.03, mutation=model,
                             marker="M")
        np.testing.assert_allclose(tables[f], single, rtol=1e-10, equal_nan=True)
        for k in range(0, n_genotypes(N_ALLELES), 7):
            unknown = (ALLELES[i[k]], ALLELES[j[k]])
            expected = locus_lr(pedigree, relatives, unknown, freqs, theta=0.03, mutation=model).lr
            np.testing.assert_allclose(single[k], expected, rtol=1e-9, equal_nan=True)
    # the mutation model matters: a genotype sharing no allele with a typed parent is possible
    if shape == "parent":
        far = genotype_index(0, 1)  # 8/9 against the parent's first row
        assert tables[0][far] > 0
