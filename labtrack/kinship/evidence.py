"""A minimum of evidence before an identification can be proposed.

A strong LR from a weak family is not proof. In simulation (1.04 × 10⁹ unrelated comparisons
against 4,000 families, prior 1 / families), unrelated remains reached posterior ≥ 99.95 % with
no competitor above 10³, most of them against families whose only typed relatives were a
spouse, half-siblings, one sibling, or children with an untyped other parent. ICMP-style
practice adds to the posterior threshold a minimum of evidence: enough loci typed in both the
remains and the references, and relatives close enough to carry that information. This module
states the rule and checks a case against it; the review service refuses a proposal that fails
it and the review page flags the family as weak.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from labtrack.core.messages import msg
from labtrack.kinship.pedigree import Pedigree

PARENT, CHILD, FULL_SIBLING, HALF_SIBLING, OTHER = "parent", "child", "full_sibling", "half_sibling", "other"


@dataclass(frozen=True)
class EvidenceRule:
    """min_loci : loci typed in the remains and in at least one relative; close : kinds of
    relative that suffice alone; min_full_siblings : full siblings that suffice together when no
    close relative is typed."""

    min_loci: int = 12
    close: tuple[str, ...] = (PARENT, CHILD)
    min_full_siblings: int = 2
    #: unrelated persons expected, among those compared, to reach the candidate's LR by chance
    #: (`labtrack.kinship.false_positive`; checked by the caller, which knows how many there are)
    max_expected_false_positives: float = 0.01

    def describe(self) -> str:
        return (f"at least {self.min_loci} loci compared, and a typed {' or '.join(self.close)} "
                f"or at least {self.min_full_siblings} typed full siblings")


@dataclass(frozen=True)
class EvidenceCheck:
    """The outcome: `weak` with the reasons; `relatives` counts the typed relatives by kind."""

    loci_compared: int
    relatives: dict[str, int] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()

    @property
    def weak(self) -> bool:
        return bool(self.reasons)


def relationship(pedigree: Pedigree, person_id: str) -> str:
    """How `person_id` is related to the family's missing person (parent, child, full or half
    sibling, other)."""
    people = {p.person_id: p for p in pedigree.persons}
    mp = people[pedigree.missing_person_id]
    person = people[person_id]
    if person_id in (mp.father_id, mp.mother_id):
        return PARENT
    if mp.person_id in (person.father_id, person.mother_id):
        return CHILD
    shared = {x for x in (mp.father_id, mp.mother_id) if x} & {x for x in (person.father_id, person.mother_id) if x}
    if len(shared) == 2:
        return FULL_SIBLING
    if len(shared) == 1:
        return HALF_SIBLING
    return OTHER


def check_evidence(
    pedigree: Pedigree, typed_relatives: Iterable[str], loci_compared: int, rule: EvidenceRule
) -> EvidenceCheck:
    """Check a case: `typed_relatives` are the person ids whose genotypes entered the LR."""
    counts: dict[str, int] = {}
    for person_id in typed_relatives:
        kind = relationship(pedigree, person_id)
        counts[kind] = counts.get(kind, 0) + 1
    reasons = []
    if loci_compared < rule.min_loci:
        reasons.append(msg("only %(count)s loci compared (the rule asks for %(min)s)", count=loci_compared,
                           min=rule.min_loci))
    close = any(counts.get(kind, 0) for kind in rule.close)
    if not close and counts.get(FULL_SIBLING, 0) < rule.min_full_siblings:
        typed = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(counts.items())) or "none"
        reasons.append(msg("no close relative typed (typed: %(typed)s; the rule asks for a %(close)s or %(siblings)s "
                           "full siblings)", typed=typed, close=" or ".join(rule.close),
                           siblings=rule.min_full_siblings))
    return EvidenceCheck(loci_compared, counts, tuple(reasons))
