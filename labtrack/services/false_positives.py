"""How many unrelated remains would reach a candidate's LR by chance, given the family's
references (`labtrack.kinship.false_positive`): shown on the review page, and part of the
lab's minimum-evidence rule (a weak family cannot support an identification, whatever its LR).

The curve is computed for the loci this candidate compared (remains and a relative both typed),
with the frequency table and the mutation model of the run that computed the candidate; the
unrelated person is taken as typed at those loci without drop-out. It takes a fraction of a
second per family (no simulation), so it is computed when the page is shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, select

from labtrack.core.errors import InputError
from labtrack.core.messages import Message, msg
from labtrack.kinship.false_positive import false_positive_curve
from labtrack.kinship.pedigree import FEMALE, MALE, UNKNOWN_SEX, Pedigree, Person
from labtrack.models import Profile
from labtrack.services import frequencies
from labtrack.services.match_parameters import MatchParameters

if TYPE_CHECKING:
    from labtrack.services.review import MatchContext

#: Default of LABTRACK_EVIDENCE_MAX_EXPECTED_FALSE_POSITIVES: above this expected number of
#: unrelated remains at the candidate's LR or higher, the family is weak evidence.
MAX_EXPECTED = 0.01
_SEX = {"M": MALE, "F": FEMALE, "1": MALE, "2": FEMALE}


@dataclass(frozen=True)
class FalsePositives:
    """probability : P(an unrelated person's LR >= the candidate's LR), an upper bound
    searched : remains the family is compared with (every current remains profile of the lab)
    expected : searched x probability
    loci : markers of the computation; limit : the lab's maximum of `expected`"""

    probability: float
    searched: int
    loci: int
    limit: float

    @property
    def expected(self) -> float:
        return self.probability * self.searched

    @property
    def weak(self) -> bool:
        return self.expected > self.limit

    def reason(self) -> Message:
        return msg("an unrelated person reaches this LR with probability %(probability)s against this family's "
                   "references; among the lab's %(searched)s remains, %(expected)s would be expected to by chance "
                   "(the lab's maximum: %(limit)s)", probability=format(self.probability, ".2g"),
                   searched=self.searched, expected=format(self.expected, ".2g"), limit=format(self.limit, "g"))


def for_match(session: Session, ctx: MatchContext, limit: float = MAX_EXPECTED) -> FalsePositives | None:
    """The false positives of a candidate (None for a near miss, an unreadable candidate, or a
    family whose pedigree or references cannot be used: the evidence check says why)."""
    if ctx.match.near_miss or ctx.loci_error or ctx.frequency_table is None or ctx.missing_person is None:
        return None
    if not math.isfinite(ctx.match.log10_lr):
        return None
    loci = [locus for locus in ctx.loci if locus.remains and locus.relatives]
    if not loci:
        return None
    codes = {m.id: m.person_code for m in ctx.members}
    typed = {pid for locus in loci for pid in locus.relatives}
    persons = [Person(m.person_code, codes.get(m.father_id or -1), codes.get(m.mother_id or -1),
                      _SEX.get(str(m.sex), UNKNOWN_SEX), m.person_code if m.person_code in typed else None,
                      m.missing_person_id is not None)
               for m in ctx.members]
    genotypes: dict[str, dict[str, tuple[str, ...]]] = {}
    for locus in loci:
        for pid, alleles in locus.relatives.items():
            genotypes.setdefault(pid, {})[locus.marker] = tuple(alleles)
    try:
        pedigree = Pedigree.build(ctx.family.code, persons)
        table = frequencies.engine_table(session, ctx.frequency_table)
        mutation = MatchParameters.from_json(ctx.run.params_json).mutation()
        curve = false_positive_curve(pedigree, genotypes, table, markers=[locus.marker for locus in loci],
                                     mutation=mutation)
    except (InputError, KeyError, ValueError):
        return None
    return FalsePositives(curve.tail(ctx.match.log10_lr), _remains_compared(session, ctx), len(curve.markers), limit)


def _remains_compared(session: Session, ctx: MatchContext) -> int:
    """The unrelated remains a family is compared with: every current remains profile of the lab
    (continuous matching compares each with every family), at least those of the run."""
    current = session.exec(select(func.count()).select_from(Profile).where(
        Profile.origin == "remains", Profile.superseded == False)).one()  # noqa: E712
    return max(int(current), ctx.run.n_remains, 1)
