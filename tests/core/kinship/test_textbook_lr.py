"""Single-locus LRs against hand-derived textbook formulas.

Notation: p_a frequency of allele a, θ the Balding–Nichols coancestry. The unknown (U) is tested
as the missing person (MP); H2 = U unrelated, drawn jointly (θ) with the family's founders.
"""

import math

import numpy as np
import pytest

from labtrack.kinship import MarkerFrequencies, Pedigree, Person, locus_lr

ALLELES = ("a", "b", "c", "d", "e")
P = np.array([0.1, 0.2, 0.3, 0.15, 0.25])
pa, pb, pc, pd = P[:4]


def freqs() -> MarkerFrequencies:
    return MarkerFrequencies("M1", ALLELES, P.copy())


def parent_child() -> Pedigree:
    """R1 (typed father) and an untyped mother U1; MP their child."""
    return Pedigree.build(
        "PC",
        [Person("R1", sex=1), Person("U1", sex=2), Person("MP", "R1", "U1", 1, missing=True)],
    )


def siblings(half: bool = False) -> Pedigree:
    persons = [Person("F", sex=1), Person("M", sex=2), Person("MP", "F", "M", 1, missing=True)]
    if half:
        persons += [Person("M2", sex=2), Person("R1", "F", "M2", 1)]
    else:
        persons += [Person("R1", "F", "M", 1)]
    return Pedigree.build("SIB", persons)


def trio() -> Pedigree:
    return Pedigree.build(
        "TRIO",
        [Person("R1", sex=1), Person("R2", sex=2), Person("MP", "R1", "R2", 1, missing=True)],
    )


def lr(pedigree: Pedigree, relatives: dict, unknown: tuple, theta: float = 0.0) -> float:
    return locus_lr(pedigree, relatives, unknown, freqs(), theta=theta).lr


# -- parent-child ------------------------------------------------------------------------------
# H1: P(child | parent) = P(parent passes the shared allele) x P(other parent passes the other).
# child a/b, parent a/c: (1/2 p_b) / (2 p_a p_b) = 1 / (4 p_a)
# child a/a, parent a/b: (1/2 p_a) / p_a^2      = 1 / (2 p_a)
# child a/b, parent a/b: (p_b/2 + p_a/2) / (2 p_a p_b) = (p_a + p_b) / (4 p_a p_b)
# child a/a, parent a/a: p_a / p_a^2 = 1 / p_a
# child a/b, parent c/d: 0 (exclusion, no mutation)
@pytest.mark.parametrize(
    ("child", "parent", "expected"),
    [
        (("a", "b"), ("a", "c"), 1 / (4 * pa)),
        (("a", "a"), ("a", "b"), 1 / (2 * pa)),
        (("a", "b"), ("a", "b"), (pa + pb) / (4 * pa * pb)),
        (("a", "a"), ("a", "a"), 1 / pa),
        (("a", "b"), ("c", "d"), 0.0),
    ],
)
def test_parent_child(child, parent, expected) -> None:
    assert lr(parent_child(), {"R1": parent}, child) == pytest.approx(expected, rel=1e-12)


# With θ (NRC II 4.4 style, all founder alleles jointly):
# child a/a, parent a/b: (1 + 2θ) / (2 (2θ + (1-θ) p_a))
# child a/b, parent a/c: (1 + 2θ) / (4 (θ + (1-θ) p_a))
@pytest.mark.parametrize("theta", [0.01, 0.03, 0.2])
def test_parent_child_theta(theta) -> None:
    hom = lr(parent_child(), {"R1": ("a", "b")}, ("a", "a"), theta)
    het = lr(parent_child(), {"R1": ("a", "c")}, ("a", "b"), theta)
    assert hom == pytest.approx((1 + 2 * theta) / (2 * (2 * theta + (1 - theta) * pa)), rel=1e-12)
    assert het == pytest.approx((1 + 2 * theta) / (4 * (theta + (1 - theta) * pa)), rel=1e-12)


# -- siblings: LR = k0 + k1 P(R | U, IBD 1)/P(R | U) + k2 / P(R | U) ----------------------------
# full sibs (k = 1/4, 1/2, 1/4); half sibs (1/2, 1/2, 0).
# a/a vs a/a, θ = 0: IBD1 term 1/p_a, IBD2 term 1/p_a^2.
# a/b vs a/b, θ = 0: IBD1 term (p_a + p_b)/(4 p_a p_b), IBD2 term 1/(2 p_a p_b).
# no shared allele: k0.
def test_full_siblings() -> None:
    ped = siblings()
    assert lr(ped, {"R1": ("a", "a")}, ("a", "a")) == pytest.approx(
        0.25 + 0.5 / pa + 0.25 / pa**2, rel=1e-12
    )
    assert lr(ped, {"R1": ("a", "b")}, ("a", "b")) == pytest.approx(
        (1 + pa + pb + 2 * pa * pb) / (8 * pa * pb), rel=1e-12
    )
    assert lr(ped, {"R1": ("a", "b")}, ("c", "d")) == pytest.approx(0.25, rel=1e-12)


def test_half_siblings() -> None:
    ped = siblings(half=True)
    assert lr(ped, {"R1": ("a", "a")}, ("a", "a")) == pytest.approx(0.5 + 0.5 / pa, rel=1e-12)
    assert lr(ped, {"R1": ("a", "b")}, ("a", "c")) == pytest.approx(
        0.5 + 0.5 / (4 * pa), rel=1e-12
    )
    assert lr(ped, {"R1": ("a", "b")}, ("c", "d")) == pytest.approx(0.5, rel=1e-12)


# θ: for U = R = a/a, with x_k = kθ + (1-θ) p_a:
# P(a | a, a) = x_2 / (1 + θ); P(a, a | a, a) = x_2 x_3 / ((1 + θ)(1 + 2θ))
# LR = k0 + k1 (1 + 2θ) / x_3 + k2 (1 + θ)(1 + 2θ) / (x_2 x_3)
@pytest.mark.parametrize("theta", [0.01, 0.05])
@pytest.mark.parametrize(("half", "kappa"), [(False, (0.25, 0.5, 0.25)), (True, (0.5, 0.5, 0.0))])
def test_siblings_theta(theta, half, kappa) -> None:
    x2, x3 = 2 * theta + (1 - theta) * pa, 3 * theta + (1 - theta) * pa
    expected = (
        kappa[0]
        + kappa[1] * (1 + 2 * theta) / x3
        + kappa[2] * (1 + theta) * (1 + 2 * theta) / (x2 * x3)
    )
    got = lr(siblings(half), {"R1": ("a", "a")}, ("a", "a"), theta)
    assert got == pytest.approx(expected, rel=1e-12)


# -- trio: P(child | both parents) / P(child) ------------------------------------------------
# parents a/b and c/d, child a/c: (1/4) / (2 p_a p_c) = 1 / (8 p_a p_c)
# parents a/b and a/c, child a/a: (1/4) / p_a^2
# θ, parents a/b, c/d, child a/c: H2 = BN(a,b,c,d,a,c) / BN(a,b,c,d)
#   = 2 (θ + (1-θ)p_a)(θ + (1-θ)p_c) / ((1 + 3θ)(1 + 4θ)) -> LR = (1/4) / that.
def test_trio() -> None:
    assert lr(trio(), {"R1": ("a", "b"), "R2": ("c", "d")}, ("a", "c")) == pytest.approx(
        1 / (8 * pa * pc), rel=1e-12
    )
    assert lr(trio(), {"R1": ("a", "b"), "R2": ("a", "c")}, ("a", "a")) == pytest.approx(
        0.25 / pa**2, rel=1e-12
    )
    assert lr(trio(), {"R1": ("a", "b"), "R2": ("c", "d")}, ("b", "b")) == 0.0


@pytest.mark.parametrize("theta", [0.01, 0.1])
def test_trio_theta(theta) -> None:
    h2 = 2 * (theta + (1 - theta) * pa) * (theta + (1 - theta) * pc) / (
        (1 + 3 * theta) * (1 + 4 * theta)
    )
    got = lr(trio(), {"R1": ("a", "b"), "R2": ("c", "d")}, ("a", "c"), theta)
    assert got == pytest.approx(0.25 / h2, rel=1e-12)


def test_missing_person_as_parent_with_and_without_other_parent() -> None:
    """MP father of a typed child C: with the child's mother typed the child's paternal allele
    is known. Child a/b, mother b/c, MP a/d: H1 = (1/2)(1/2) = 1/4 vs H2 = p_a / 2 ->
    LR = 1 / (2 p_a). Without the mother: child a/b, MP a/d: LR = 1 / (4 p_a)."""
    with_mother = Pedigree.build(
        "C", [Person("MP", sex=1, missing=True), Person("SP", sex=2), Person("C", "MP", "SP")]
    )
    got = lr(with_mother, {"C": ("a", "b"), "SP": ("b", "c")}, ("a", "d"))
    assert got == pytest.approx(1 / (2 * pa), rel=1e-12)
    assert lr(with_mother, {"C": ("a", "b")}, ("a", "d")) == pytest.approx(1 / (4 * pa))


def test_inconsistent_references_give_undefined_lr() -> None:
    """Mother a/a and her child b/c contradict the pedigree: LR NaN, flagged, never finite."""
    ped = Pedigree.build(
        "X",
        [Person("R1", sex=2), Person("F", sex=1), Person("C", "F", "R1"),
         Person("MP", "F", "R1", missing=True)],
    )
    result = locus_lr(ped, {"R1": ("a", "a"), "C": ("b", "c")}, ("a", "b"), freqs())
    assert math.isnan(result.lr)
    assert result.flag == "inconsistent_references"
    assert result.lik_h2 == 0
