"""Mutation matrices (pedmut definitions) and their effect on pedigree likelihoods."""

import numpy as np
import pytest

from labtrack.kinship import (
    MarkerFrequencies,
    MutationModel,
    Pedigree,
    Person,
    equal_matrix,
    locus_lr,
    pedigree_likelihood,
    proportional_matrix,
    stepwise_matrix,
)

P = np.array([0.1, 0.2, 0.3, 0.15, 0.25])


@pytest.mark.parametrize(
    "matrix",
    [
        equal_matrix(5, 0.002),
        proportional_matrix(P, 0.002),
        stepwise_matrix(["9", "9.3", "10", "11", "12.2"], 0.002, 1e-6, 0.1),
    ],
)
def test_rows_sum_to_one(matrix) -> None:
    assert np.allclose(matrix.sum(axis=1), 1.0, atol=1e-15)
    assert (matrix >= 0).all()


def test_equal_model() -> None:
    m = equal_matrix(5, 0.01)
    assert m[0, 0] == pytest.approx(0.99)
    assert m[0, 3] == pytest.approx(0.01 / 4)


def test_proportional_model_is_stationary() -> None:
    """a = r / sum p(1-p); M = (1-a) I + a 1 p^T, hence p M = p."""
    m = proportional_matrix(P, 0.01)
    a = 0.01 / np.sum(P * (1 - P))
    assert m[1, 2] == pytest.approx(a * P[2])
    assert m[1, 1] == pytest.approx(1 - a + a * P[1])
    assert np.allclose(P @ m, P)


def test_stepwise_example() -> None:
    """Alleles 10, 11, 12 (group 0) and 9.3 (group 3); r = 0.002, r2 = 1e-6, range 0.1.

    Row 11: C = {10, 12} at distance 1 each -> r/2 each; D = {9.3} -> r2; diagonal 1 - r - r2.
    Row 10: C = {11, 12}, weights 0.1 and 0.01 -> r 0.1/0.11 and r 0.01/0.11.
    Row 9.3: C empty -> diagonal 1 - r2, r2/3 to each of 10, 11, 12.
    """
    r, r2 = 0.002, 1e-6
    m = stepwise_matrix(["10", "11", "12", "9.3"], r, r2, 0.1)
    assert m[1, 0] == pytest.approx(r / 2) and m[1, 2] == pytest.approx(r / 2)
    assert m[1, 3] == pytest.approx(r2) and m[1, 1] == pytest.approx(1 - r - r2)
    assert m[0, 1] == pytest.approx(r * 0.1 / 0.11) and m[0, 2] == pytest.approx(r * 0.01 / 0.11)
    assert m[3, 3] == pytest.approx(1 - r2) and m[3, 0] == pytest.approx(r2 / 3)


def test_stepwise_needs_numeric_alleles() -> None:
    with pytest.raises(ValueError, match="numeric"):
        stepwise_matrix(["10", "OL"], 0.002)


def test_per_locus_rates() -> None:
    model = MutationModel("equal", {"vWA": 0.003}, default_rate=0.001)
    assert model.rate_for("VWA") == 0.003
    assert model.rate_for("TH01") == 0.001
    with pytest.raises(ValueError):
        MutationModel("geometric", 0.001)


def test_parent_child_mismatch_under_equal_model() -> None:
    """Child (MP) a/b, father c/c, mother untyped. The father's c mutates (M[c, x]); the mother
    passes p M (the matrix acts on every transmission):
    LR = (M[c,a] (pM)_b + M[c,b] (pM)_a) / (2 p_a p_b)."""
    ped = Pedigree.build(
        "PC", [Person("R1", sex=1), Person("U1", sex=2), Person("MP", "R1", "U1", missing=True)]
    )
    freqs = MarkerFrequencies("M1", ("a", "b", "c", "d", "e"), P.copy())
    model = MutationModel("equal", 0.01)
    m = equal_matrix(5, 0.01)
    pm = P @ m
    expected = (m[2, 0] * pm[1] + m[2, 1] * pm[0]) / (2 * P[0] * P[1])
    got = locus_lr(ped, {"R1": ("c", "c")}, ("a", "b"), freqs, mutation=model)
    assert got.lr == pytest.approx(expected, rel=1e-12)
    assert locus_lr(ped, {"R1": ("c", "c")}, ("a", "b"), freqs).lr == 0.0


def test_lumping_only_when_exact() -> None:
    """Lumped and full-alphabet likelihoods agree for the lumpable equal model and, by falling
    back to the full alphabet, for the stepwise model."""
    ped = Pedigree.build(
        "A",
        [Person("F", sex=1), Person("M", sex=2), Person("R1", "F", "M"), Person("S", sex=2),
         Person("MP", "R1", "S", missing=True)],
    )
    genotypes = {"F": (0, 1), "MP": (2, 3)}
    for matrix in (equal_matrix(5, 0.01), stepwise_matrix(["9", "10", "11", "12", "13"], 0.01)):
        lumped = pedigree_likelihood(ped, genotypes, P, mutation=matrix, lump=True)
        full = pedigree_likelihood(ped, genotypes, P, mutation=matrix, lump=False)
        assert lumped == pytest.approx(full, rel=1e-12)
