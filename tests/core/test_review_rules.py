"""Pure review rules: per-locus format, contradiction checks, derived review status."""

from __future__ import annotations

import doctest
import json
from datetime import date

import pytest

from labtrack.core import review_rules
from labtrack.core.review_rules import (
    AnteMortem,
    PerLocusFormatError,
    RemainsEstimates,
    age_at_disappearance,
    compare,
    parse_per_locus,
    posterior,
    review_status,
    total_log10_lr,
)


def test_doctests() -> None:
    assert doctest.testmod(review_rules).failed == 0


GOOD = [
    {"marker": "D3S1358", "remains": ["15", "16"], "relatives": {"1": ["15", "17"], "2": ["16", "16"]},
     "lr": 4.0, "log10_lr": 0.60206, "flag": ""},
    {"marker": "TH01", "remains": ["9.3", "9.3"], "relatives": {"1": ["6", "9.3"]}, "lr": 0.0,
     "log10_lr": None, "flag": "inconsistent"},
]


def test_per_locus_parses_and_flags_inconsistencies() -> None:
    loci = parse_per_locus(json.dumps(GOOD))
    assert [locus.marker for locus in loci] == ["D3S1358", "TH01"]
    assert loci[0].relatives["2"] == ("16", "16")
    assert not loci[0].inconsistent and loci[1].inconsistent
    assert total_log10_lr(loci) is None  # LR 0 excludes
    assert total_log10_lr(loci[:1]) == pytest.approx(0.60206)


def test_per_locus_computes_missing_log10() -> None:
    loci = parse_per_locus([{"marker": "FGA", "remains": ["21", "22"], "lr": 100}])
    assert loci[0].log10_lr == pytest.approx(2.0)


def test_per_locus_names_every_bad_entry() -> None:
    bad = [{"remains": ["1", "2"]}, {"marker": "FGA", "remains": "21,22"},
           {"marker": "vWA", "remains": ["14"], "relatives": {"3": ["1", "2", "3"]}, "lr": -1}]
    with pytest.raises(PerLocusFormatError) as info:
        parse_per_locus(bad)
    text = "; ".join(info.value.problems)
    assert "locus 1: 'marker' is missing" in text
    assert "locus 2 (FGA): 'remains'" in text
    assert "relative 3" in text and "'lr' must be a number >= 0" in text
    with pytest.raises(PerLocusFormatError, match="not valid JSON"):
        parse_per_locus("{oops")
    with pytest.raises(PerLocusFormatError, match="expected a JSON list"):
        parse_per_locus("{}")


def test_posterior_from_lr_and_prior() -> None:
    assert posterior(0.0, 0.5) == pytest.approx(0.5)
    assert posterior(6.0, 1 / 1000) == pytest.approx(1e6 * 1e-3 / (1e6 * 1e-3 + 0.999))
    assert posterior(500.0, 0.01) == 1.0


def test_age_at_disappearance() -> None:
    assert age_at_disappearance(AnteMortem(birth_year=1992, disappeared_on=date(2013, 8, 14))) == (20, 21)
    assert age_at_disappearance(AnteMortem(birth_date=date(1992, 8, 14),
                                           disappeared_on=date(2013, 8, 14))) == (21, 21)
    assert age_at_disappearance(AnteMortem(birth_year=1992)) is None


def test_consistent_case_has_no_contradictions() -> None:
    result = compare(RemainsEstimates(sex="M", age_min=18, age_max=25, stature_cm=172),
                     AnteMortem(sex="M", birth_year=1992, disappeared_on=date(2013, 8, 14), height_cm=174))
    assert result.consistent and result.age_at_disappearance == (20, 21)


def test_sex_age_and_stature_contradictions() -> None:
    result = compare(RemainsEstimates(sex="F", age_min=40, age_max=55, stature_cm=150),
                     AnteMortem(sex="M", birth_year=1992, disappeared_on=date(2013, 8, 14), height_cm=174))
    kinds = [c.kind for c in result.contradictions]
    assert kinds == ["sex", "age", "stature"]
    assert "24 cm" in result.contradictions[2].message
    older = compare(RemainsEstimates(age_min=18, age_max=25), AnteMortem(birth_year=1975,
                                                                        disappeared_on=date(2012, 11, 2)))
    assert [c.kind for c in older.contradictions] == ["age"] and "above" in older.contradictions[0].message


def test_edges_do_not_contradict() -> None:
    assert compare(RemainsEstimates(sex="U", stature_cm=164), AnteMortem(sex="M", height_cm=174)).consistent
    assert not compare(RemainsEstimates(stature_cm=163.9), AnteMortem(height_cm=174)).consistent
    # birth year uncertainty: 25 or 26 overlaps 26-40
    assert compare(RemainsEstimates(age_min=26, age_max=40),
                   AnteMortem(birth_year=1990, disappeared_on=date(2016, 1, 1))).consistent


def test_review_status_is_derived_from_steps() -> None:
    assert review_status([]) == "open"
    assert review_status(["propose_confirm", "approve"]) == "confirmed"
    assert review_status(["propose_reject", "send_back", "propose_confirm"]) == "proposed_confirm"
    assert review_status(["approve"]) == "open"  # an approval without a proposal means nothing
    assert review_status(["propose_reject", "approve", "propose_confirm"]) == "rejected"


def test_per_locus_keeps_the_reading_and_untyped_remains() -> None:
    loci = parse_per_locus([
        {"marker": "D8S1179", "remains": ["13"], "relatives": {"F": ["12", "14"]}, "lr": 0.4,
         "reading": "dropout"},
        {"marker": "FGA", "remains": ["22", "25"], "relatives": {"F": ["21", "24"]}, "lr": 0.01,
         "reading": "mutation", "steps": 1},
        {"marker": "TH01", "remains": None, "relatives": {"F": ["6", "7"]}, "lr": 1.0, "reading": "not_compared"},
        {"marker": "vWA", "remains": ["16", "17"], "lr": 2.0, "reading": "consistent"},
    ])
    dropout, mutation, untyped, plain = loci
    assert dropout.one_seen and dropout.needs_a_person and dropout.reading == "dropout"
    assert mutation.steps == 1.0 and mutation.needs_a_person
    assert untyped.remains == () and not untyped.needs_a_person
    assert not plain.needs_a_person
    assert mutation.as_dict()["reading"] == "mutation" and mutation.as_dict()["steps"] == 1.0
