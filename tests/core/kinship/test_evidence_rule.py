"""The minimum-evidence rule: relationships to the missing person, loci compared, and which
typed relatives are close enough to support an identification."""

from __future__ import annotations

from labtrack.kinship import Pedigree, Person
from labtrack.kinship.evidence import EvidenceRule, check_evidence, relationship

P = Person
FAMILY = Pedigree.build("F", [
    P("FA", sex=1), P("MO", sex=2), P("M2", sex=2), P("SP", sex=2),
    P("MP", "FA", "MO", 1, missing=True), P("S1", "FA", "MO", 1, "s1"), P("S2", "FA", "MO", 2, "s2"),
    P("H1", "FA", "M2", 1, "h1"), P("C1", "MP", "SP", 2, "c1"),
])


def test_relationships_to_the_missing_person() -> None:
    assert [relationship(FAMILY, p) for p in ("FA", "MO", "S1", "H1", "C1", "SP")] == [
        "parent", "parent", "full_sibling", "half_sibling", "child", "other"]


def test_close_relatives_or_two_full_siblings_suffice() -> None:
    rule = EvidenceRule(min_loci=12)
    assert not check_evidence(FAMILY, ["FA"], 20, rule).weak
    assert not check_evidence(FAMILY, ["C1"], 20, rule).weak
    assert not check_evidence(FAMILY, ["S1", "S2"], 20, rule).weak
    one_sibling = check_evidence(FAMILY, ["S1", "H1", "SP"], 20, rule)
    assert one_sibling.weak and one_sibling.relatives == {"full_sibling": 1, "half_sibling": 1, "other": 1}
    assert "no close relative typed" in one_sibling.reasons[0]
    few_loci = check_evidence(FAMILY, ["FA", "MO"], 9, rule)
    assert few_loci.weak and few_loci.reasons == ("only 9 loci compared (the rule asks for 12)",)
