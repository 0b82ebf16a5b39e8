"""Posterior of identity, and direct (identity) matching."""

import math

import numpy as np
import pytest

from labtrack.kinship import (
    IDENTIFICATION_THRESHOLD,
    FrequencyTable,
    direct_match,
    is_identified,
    match_probability,
    posterior,
    posterior_from_log10,
    search_prior,
)


def test_posterior_values() -> None:
    # LR 1e6, prior 1/1000: odds 1000 -> 1000/1001
    assert posterior(1e6, 1e-3) == pytest.approx(1000 / 1001)
    assert posterior(1.0, 0.25) == pytest.approx(0.25)
    assert posterior(math.inf, 1e-4) == 1.0
    assert posterior(0.0, 0.5) == 0.0
    assert math.isnan(posterior(math.nan, 0.5))
    assert posterior(5.0, 0.0) == 0.0
    np.testing.assert_allclose(posterior(np.array([1.0, 3.0]), 0.5), [0.5, 0.75])
    with pytest.raises(ValueError):
        posterior(-1.0, 0.5)
    with pytest.raises(ValueError):
        posterior(1.0, 1.5)


def test_posterior_from_log10_handles_huge_lrs() -> None:
    assert posterior_from_log10(400.0, 1e-4) == 1.0
    assert posterior_from_log10(-math.inf, 0.1) == 0.0
    assert math.isnan(posterior_from_log10(math.nan, 0.1))
    assert posterior_from_log10(6.0, 1e-3) == pytest.approx(1000 / 1001)


def test_identification_threshold() -> None:
    assert IDENTIFICATION_THRESHOLD == 0.9995
    prior = search_prior(2000)
    assert prior == 1 / 2000
    # needs LR >= (0.9995 / 0.0005) * 1999 = 1999^2 ~ 4.0e6
    assert not is_identified(posterior(3.9e6, prior))
    assert is_identified(posterior(4.1e6, prior))
    assert not is_identified(math.nan)
    with pytest.raises(ValueError):
        search_prior(0)


P = np.array([0.1, 0.2, 0.7])


@pytest.mark.parametrize("theta", [0.0, 0.01, 0.03])
def test_match_probabilities_balding_nichols(theta: float) -> None:
    """NRC II 4.10: a/a -> (2θ+(1-θ)p)(3θ+(1-θ)p)/((1+θ)(1+2θ));
    a/b -> 2(θ+(1-θ)p_a)(θ+(1-θ)p_b)/((1+θ)(1+2θ)); θ = 0 gives p^2 and 2 p_a p_b."""
    d = (1 + theta) * (1 + 2 * theta)
    hom = (2 * theta + (1 - theta) * 0.1) * (3 * theta + (1 - theta) * 0.1) / d
    het = 2 * (theta + (1 - theta) * 0.1) * (theta + (1 - theta) * 0.2) / d
    assert match_probability((0, 0), P, theta) == pytest.approx(hom)
    assert match_probability((0, 1), P, theta) == pytest.approx(het)
    if theta == 0:
        assert hom == pytest.approx(0.01) and het == pytest.approx(0.04)


def test_direct_match_profiles() -> None:
    table = FrequencyTable.from_rows(
        [("A", "1", 0.1, 100), ("A", "2", 0.2, 100), ("A", "3", 0.7, 100),
         ("B", "5", 0.5, 200), ("B", "6", 0.5, 200)]
    )
    remains = {"A": ("1", "2"), "b": ("5", "5"), "C": ("9", "9")}
    reference = {"A": ("2", "1"), "B": ("5", "5"), "C": ("9", "9")}
    result = direct_match(remains, reference, table)
    assert result.lr == pytest.approx(1 / (2 * 0.1 * 0.2) / 0.25)
    assert result.loci_used == 2 and result.skipped_markers == ("C",)
    other = direct_match(remains, {"A": ("1", "3"), "B": ("5", "5")}, table)
    assert other.lr == 0.0 and other.log10_lr == -math.inf and other.mismatched_loci == ("A",)
    theta = direct_match(remains, reference, table, theta=0.01)
    assert theta.lr < result.lr


def test_direct_match_with_a_drop_model_by_hand() -> None:
    """Identity LR with drop-out (no drop-in), from the model's probabilities written out:
    P(see a and b | ab) = (1-d)^2, P(see a only | ab) = d(1-d), P(see a | aa) = 1 - d^2."""
    from labtrack.kinship.dropout import DropModel

    d = 0.1
    table = FrequencyTable.from_rows(
        [("A", "1", 0.1, 100), ("A", "2", 0.2, 100), ("A", "3", 0.7, 100),
         ("B", "5", 0.5, 200), ("B", "6", 0.5, 200)]
    )
    model = DropModel(d)
    pa, pb = 0.1, 0.2
    one_seen_a = pa**2 * (1 - d**2) + 2 * pa * (1 - pa) * (1 - d) * d  # P(see "1" only | unrelated)
    partial = direct_match({"A": ("1", "2")}, {"A": ("1",)}, table, drop=model)
    assert partial.lr == pytest.approx((1 - d) * d / one_seen_a)
    assert partial.dropout_loci == ("A",) and partial.mismatched_loci == ()
    full = direct_match({"A": ("1", "2"), "B": ("5", "6")}, {"A": ("2", "1"), "B": ("5", "6")}, table, drop=model)
    assert full.lr == pytest.approx(1 / (2 * pa * pb) / (2 * 0.25)) and full.dropout_loci == ()
    called = direct_match({"A": ("1", "1")}, {"A": ("1",)}, table, drop=model)
    assert called.lr == pytest.approx((1 - d**2) / one_seen_a)
    apart = direct_match({"A": ("1", "2")}, {"A": ("3",)}, table, drop=model)
    assert apart.lr == 0.0 and apart.mismatched_loci == ("A",)
    without = direct_match({"A": ("1", "2")}, {"A": ("1",)}, table)
    assert without.lr == 0.0  # as before: one allele seen read as a homozygote
    with pytest.raises(ValueError, match="theta"):
        direct_match({"A": ("1", "2")}, {"A": ("1",)}, table, drop=model, theta=0.01)
