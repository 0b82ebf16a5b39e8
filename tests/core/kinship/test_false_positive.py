"""The false-positive curve (P(LR >= t | an unrelated person)) against brute-force enumeration
of every genotype combination, and against a simulation of unrelated persons."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from labtrack.imports.exchange import read_freqs
from labtrack.kinship.false_positive import false_positive_curve
from labtrack.kinship.mutation import MutationModel
from labtrack.kinship.pedigree import FEMALE, MALE, Pedigree, Person
from labtrack.kinship.tables import mp_lr_table, unrelated_genotype_probabilities

FREQS = Path(__file__).resolve().parents[3] / "fixtures" / "freqs" / "nist1036.csv"
MARKERS = ("TPOX", "TH01", "D5S818")


@pytest.fixture(scope="module")
def table():
    return read_freqs(FREQS)


def _parent_child(table) -> tuple[Pedigree, dict]:  # noqa: ANN001
    persons = [Person("FA", None, None, MALE, "s-fa"), Person("MO", None, None, FEMALE),
               Person("MP", "FA", "MO", MALE, None, True)]
    genotypes = {"s-fa": {"TPOX": ("8", "11"), "TH01": ("6", "9.3"), "D5S818": ("12", "12")}}
    return Pedigree.build("F1", persons), genotypes


def _half_sibling(table) -> tuple[Pedigree, dict]:  # noqa: ANN001
    persons = [Person("FA", None, None, MALE), Person("M1", None, None, FEMALE), Person("M2", None, None, FEMALE),
               Person("HS", "FA", "M1", MALE, "s-hs"), Person("MP", "FA", "M2", MALE, None, True)]
    genotypes = {"s-hs": {"TPOX": ("8", "8"), "TH01": ("7", "9.3"), "D5S818": ("11", "13")}}
    return Pedigree.build("F2", persons), genotypes


def _exact(pedigree, genotypes, table, mutation):  # noqa: ANN001, ANN202
    """Every genotype combination of an unrelated person: (log10 LR, probability)."""
    per_marker = []
    sample = next(iter(pedigree.sample_of().items()))
    for marker in sorted(MARKERS):
        g = genotypes[sample[1]][marker]
        mf = table.for_case(marker, list(g))
        lr = mp_lr_table(pedigree, {sample[0]: g}, mf.alleles, mf.freqs, mutation=mutation, marker=marker)
        per_marker.append((lr, unrelated_genotype_probabilities(mf.freqs)))
    lrs, probs = [], []
    for combo in itertools.product(*[range(len(lr)) for lr, _ in per_marker]):
        lr = np.prod([per_marker[m][0][k] for m, k in enumerate(combo)])
        probs.append(np.prod([per_marker[m][1][k] for m, k in enumerate(combo)]))
        lrs.append(lr)
    return np.asarray(lrs), np.asarray(probs)


@pytest.mark.parametrize("family", [_parent_child, _half_sibling])
@pytest.mark.parametrize("mutation", [None, MutationModel("stepwise", 0.005)])
def test_the_curve_bounds_the_exact_tail_from_above_and_tightly(table, family, mutation) -> None:  # noqa: ANN001
    pedigree, genotypes = family(table)
    curve = false_positive_curve(pedigree, genotypes, table, mutation=mutation)
    assert curve.markers == tuple(sorted(MARKERS))
    lrs, probs = _exact(pedigree, genotypes, table, mutation)
    assert probs.sum() == pytest.approx(1.0)
    assert curve.p_excluded == pytest.approx(probs[lrs == 0].sum(), abs=1e-12)
    slack = len(MARKERS) * curve.step
    with np.errstate(divide="ignore"):
        log10 = np.log10(lrs)
    for t in np.linspace(-3, float(log10.max()), 25):
        exact = probs[log10 >= t - 1e-12].sum()
        looser = probs[log10 >= t - slack - 1e-12].sum()
        assert exact - 1e-15 <= curve.tail(t) <= looser + 1e-15
    assert curve.tail(float(log10.max()) + 2 * slack) == 0.0
    assert curve.tail(-np.inf) == 1.0


@pytest.mark.parametrize("family", [_parent_child, _half_sibling])
def test_no_family_beats_the_bound_of_one_over_t(table, family) -> None:  # noqa: ANN001
    """E[LR | unrelated] = 1, so P(LR >= t | unrelated) <= 1 / t (up to the grid's rounding up)."""
    curve = false_positive_curve(*family(table), table)
    slack = len(curve.markers) * curve.step
    for t in (0.0, 0.3, 1.0, 2.0, 3.0):
        assert curve.tail(t) <= 10 ** (slack - t) + 1e-12
    assert curve.expected(0.0, 1000) == pytest.approx(1000 * curve.tail(0.0))


def test_a_half_sibling_never_excludes_and_a_parent_often_does(table) -> None:  # noqa: ANN001
    assert false_positive_curve(*_half_sibling(table), table).p_excluded == 0.0
    assert false_positive_curve(*_parent_child(table), table).p_excluded > 0.3


def test_the_curve_agrees_with_simulated_unrelated_persons(table) -> None:  # noqa: ANN001
    pedigree, genotypes = _half_sibling(table)
    curve = false_positive_curve(pedigree, genotypes, table)
    rng = np.random.default_rng(3)
    total = np.zeros(200_000)
    for marker in MARKERS:
        g = genotypes["s-hs"][marker]
        mf = table.for_case(marker, list(g))
        lr = mp_lr_table(pedigree, {"HS": g}, mf.alleles, mf.freqs, marker=marker)
        probability = unrelated_genotype_probabilities(mf.freqs)
        draws = rng.choice(len(probability), size=total.size, p=probability / probability.sum())
        total += np.log10(lr[draws])
    slack = len(MARKERS) * curve.step
    for t in (0.0, 0.5, 1.0, 1.5):
        at_least = float(np.mean(total >= t))
        looser = float(np.mean(total >= t - slack))
        assert at_least - 0.005 <= curve.tail(t) <= looser + 0.005


def test_markers_can_be_restricted_and_bad_families_are_refused(table) -> None:  # noqa: ANN001
    pedigree, genotypes = _parent_child(table)
    one = false_positive_curve(pedigree, genotypes, table, markers=["tpox"])
    assert one.markers == ("TPOX",)
    persons = [Person("FA", None, None, MALE, "a"), Person("MO", None, None, FEMALE, "b"),
               Person("C", "FA", "MO", MALE, "c"), Person("MP", "FA", "MO", MALE, None, True)]
    contradiction = {"a": {"TPOX": ("8", "8")}, "b": {"TPOX": ("8", "8")}, "c": {"TPOX": ("11", "11")}}
    with pytest.raises(ValueError, match="contradict"):
        false_positive_curve(Pedigree.build("F3", persons), contradiction, table)
