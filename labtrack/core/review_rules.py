"""Pure rules of match review (no Flask, no database): the per-locus evidence format, the
anthropology-versus-ante-mortem contradiction checks, and the review status derived from the
append-only review steps.

Per-locus evidence (``Match.per_locus_json``)
---------------------------------------------
The match-run writer stores a JSON **list**, one object per locus, in kit order::

    [{"marker": "D3S1358",
      "remains": ["15", "16"],                 # the remains genotype, two allele strings
      "relatives": {"F": ["15", "17"],         # PedigreeMember.person_code -> genotype
                    "M": ["16", "16"]},        #   of each typed relative at this locus
      "lr": 3.2,                               # likelihood ratio at this locus (float >= 0)
      "log10_lr": 0.505,                       # log10 of it (null when lr == 0)
      "flag": ""},                             # "" or a short code, e.g. "inconsistent"
     ...]                                      #   (Mendelian inconsistency), "mutation",
                                               #   "rare_allele", "untyped"

Alleles are strings as typed (``"9.3"``, ``"OL"``); an untyped person at a locus is left out
of ``relatives``. Unknown keys are kept and ignored. ``parse_per_locus`` validates the shape and
names every bad entry; a locus whose ``flag`` is not empty, or whose ``lr`` is 0, is
*inconsistent* and highlighted in the review table.

Review status
-------------
Derived from the review steps in order: ``open`` → ``propose_confirm`` /
``propose_reject`` → ``approve`` (``confirmed`` / ``rejected``) or ``send_back`` (``open``). The
review service keeps the result on the match (``match.review_status``, indexed for the queue); the
database refuses any other value and ``audit verify --deep`` compares the two.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from labtrack.core.messages import msg, term

# --- per-locus evidence ------------------------------------------------------------------

INCONSISTENT_FLAGS = frozenset({"inconsistent", "mutation", "exclusion"})


@dataclass(frozen=True)
class LocusEvidence:
    marker: str
    remains: tuple[str, ...]
    relatives: dict[str, tuple[str, ...]]
    lr: float | None
    log10_lr: float | None
    flag: str = ""
    #: how the locus reads (labtrack.kinship.consistency): consistent, mutation, dropout, ...
    reading: str = ""
    #: repeat steps of the mutation the reading needs (None if none)
    steps: float | None = None

    @property
    def inconsistent(self) -> bool:
        """A locus to highlight: flagged by the engine, or excluding (LR 0)."""
        return bool(self.flag) or (self.lr is not None and self.lr == 0)

    @property
    def one_seen(self) -> bool:
        """Only one allele was seen in the remains (a possible drop-out)."""
        return len(self.remains) == 1

    @property
    def needs_a_person(self) -> bool:
        """Consistent only through a mutation or a drop-out, or excluding: an analyst must look."""
        return self.reading not in ("", "consistent", "not_compared") or self.inconsistent

    def as_dict(self) -> dict[str, Any]:
        return {"marker": self.marker, "remains": list(self.remains),
                "relatives": {k: list(v) for k, v in sorted(self.relatives.items())},
                "lr": self.lr, "log10_lr": self.log10_lr, "flag": self.flag,
                "reading": self.reading, "steps": self.steps}


class PerLocusFormatError(ValueError):
    """``per_locus_json`` does not follow the documented format; ``problems`` name each entry."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _genotype(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list | tuple) and 1 <= len(value) <= 2 and all(
            isinstance(a, str | int | float) and not isinstance(a, bool) for a in value):
        return tuple(str(a) for a in value)
    return None


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _reading(entry: dict[str, Any], where: str, problems: list[str]) -> tuple[str, float | None]:
    """The locus' reading (text) and mutation steps (a number or None)."""
    reading = entry.get("reading") or ""
    if not isinstance(reading, str):
        problems.append(f"{where}: 'reading' must be text")
        reading = str(reading)
    return reading, _number(entry.get("steps"))


def parse_per_locus(text: str | list[Any]) -> list[LocusEvidence]:
    """Parse and validate per-locus evidence (JSON text or an already-decoded list).

    >>> [l.marker for l in parse_per_locus('[{"marker": "TH01", "remains": ["6", "9.3"], '
    ...  '"relatives": {"2": ["6", "7"]}, "lr": 2.5, "log10_lr": 0.398, "flag": ""}]')]
    ['TH01']
    """
    try:
        data = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError as error:
        raise PerLocusFormatError([f"not valid JSON: {error.msg} at position {error.pos}"]) from error
    if not isinstance(data, list):
        raise PerLocusFormatError(["expected a JSON list of loci"])
    problems: list[str] = []
    loci: list[LocusEvidence] = []
    for index, entry in enumerate(data, start=1):
        where = f"locus {index}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected an object")
            continue
        marker = entry.get("marker")
        if not isinstance(marker, str) or not marker.strip():
            problems.append(f"{where}: 'marker' is missing")
            continue
        where = f"locus {index} ({marker})"
        raw_remains = entry.get("remains", "missing")
        remains = () if raw_remains is None else _genotype(raw_remains)  # null: untyped in the remains
        if remains is None:
            problems.append(f"{where}: 'remains' must be a list of one or two alleles, or null (untyped)")
        relatives: dict[str, tuple[str, ...]] = {}
        raw_relatives = entry.get("relatives", {})
        if not isinstance(raw_relatives, dict):
            problems.append(f"{where}: 'relatives' must be an object of person id -> alleles")
        else:
            for person, alleles in raw_relatives.items():
                genotype = _genotype(alleles)
                if genotype is None:
                    problems.append(f"{where}: relative {person}: expected one or two alleles")
                else:
                    relatives[str(person)] = genotype
        lr, log10_lr = _number(entry.get("lr")), _number(entry.get("log10_lr"))
        if entry.get("lr") is not None and (lr is None or lr < 0 or math.isnan(lr)):
            problems.append(f"{where}: 'lr' must be a number >= 0")
        if lr is not None and log10_lr is None and lr > 0:
            log10_lr = math.log10(lr)
        flag = entry.get("flag") or ""
        if not isinstance(flag, str):
            problems.append(f"{where}: 'flag' must be text")
            flag = str(flag)
        reading, steps = _reading(entry, where, problems)
        if remains is not None:
            loci.append(LocusEvidence(marker.strip(), remains, relatives, lr, log10_lr, flag, reading, steps))
    if problems:
        raise PerLocusFormatError(problems)
    return loci


def total_log10_lr(loci: Iterable[LocusEvidence]) -> float | None:
    """Sum of per-locus log10 LRs (``None`` when a locus excludes, i.e. LR 0)."""
    total = 0.0
    for locus in loci:
        if locus.lr == 0:
            return None
        if locus.log10_lr is not None:
            total += locus.log10_lr
    return total


def posterior(log10_lr: float, prior: float) -> float:
    """Posterior probability of identity from the LR and a prior: LR·p / (LR·p + 1 − p).

    >>> round(posterior(4.0, 0.001), 6)
    0.909174
    """
    if prior <= 0:
        return 0.0
    if prior >= 1:
        return 1.0
    log_odds = log10_lr + math.log10(prior) - math.log10(1 - prior)
    if log_odds > 300:
        return 1.0
    odds = 10 ** log_odds
    return odds / (1 + odds)


# --- anthropology versus ante-mortem data ------------------------------------------------

STATURE_TOLERANCE_CM = 10.0


@dataclass(frozen=True)
class RemainsEstimates:
    """Anthropological estimates of the remains (``U`` = sex undetermined)."""

    sex: str = "U"
    age_min: int | None = None
    age_max: int | None = None
    stature_cm: float | None = None


@dataclass(frozen=True)
class AnteMortem:
    """What the family reported about the missing person."""

    sex: str = "U"
    birth_date: date | None = None
    birth_year: int | None = None
    disappeared_on: date | None = None
    height_cm: float | None = None


@dataclass(frozen=True)
class Contradiction:
    kind: str  # "sex", "age", "stature"
    message: str


@dataclass(frozen=True)
class Comparison:
    age_at_disappearance: tuple[int, int] | None
    contradictions: list[Contradiction] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not self.contradictions


def age_at_disappearance(person: AnteMortem) -> tuple[int, int] | None:
    """Age range (years) at disappearance: exact with a birth date, else from the birth year
    (one year's uncertainty: the birthday may or may not have passed).

    >>> age_at_disappearance(AnteMortem(birth_year=1992, disappeared_on=date(2013, 8, 14)))
    (20, 21)
    >>> age_at_disappearance(AnteMortem(birth_date=date(1992, 9, 1), disappeared_on=date(2013, 8, 14)))
    (20, 20)
    """
    if person.disappeared_on is None:
        return None
    end = person.disappeared_on
    if person.birth_date is not None:
        born = person.birth_date
        years = end.year - born.year - ((end.month, end.day) < (born.month, born.day))
        return (years, years)
    if person.birth_year is not None:
        years = end.year - person.birth_year
        return (years - 1, years)
    return None


def compare(remains: RemainsEstimates, person: AnteMortem, *,
            stature_tolerance_cm: float = STATURE_TOLERANCE_CM) -> Comparison:
    """Flag contradictions between the remains and the missing person.

    Rules: a determined sex (M/F) on both sides must agree; the age at disappearance (from the
    birth date or year and the disappearance date) must overlap the estimated age range of the
    remains; the estimated stature must be within ``stature_tolerance_cm`` of the reported
    height. An age below the range is still flagged (the person may have died years after the
    disappearance, e.g. in detention: the analyst judges). Missing data never contradicts.

    >>> [c.kind for c in compare(RemainsEstimates(sex="F"), AnteMortem(sex="M")).contradictions]
    ['sex']
    """
    found: list[Contradiction] = []
    if remains.sex in ("M", "F") and person.sex in ("M", "F") and remains.sex != person.sex:
        found.append(Contradiction("sex", msg("sex mismatch: remains estimated %(remains)s, missing person %(person)s",
                                              remains=term(remains.sex), person=term(person.sex))))
    ages = age_at_disappearance(person)
    if ages is not None:
        low, high = ages
        if remains.age_max is not None and low > remains.age_max:
            found.append(Contradiction("age", msg("age at disappearance %(ages)s is above the estimated age of the "
                                                  "remains (%(range)s years)", ages=_span(ages),
                                                  range=_range(remains))))
        elif remains.age_min is not None and high < remains.age_min:
            found.append(Contradiction("age", msg("age at disappearance %(ages)s is below the estimated age of the "
                                                  "remains (%(range)s years)", ages=_span(ages),
                                                  range=_range(remains))))
    if remains.stature_cm is not None and person.height_cm is not None:
        gap = abs(remains.stature_cm - person.height_cm)
        if gap > stature_tolerance_cm:
            found.append(Contradiction("stature", msg(
                "estimated stature %(stature)s cm is %(gap)s cm from the reported height %(height)s cm (tolerance "
                "%(tolerance)s cm)", stature=format(remains.stature_cm, "g"), gap=format(gap, "g"),
                height=format(person.height_cm, "g"), tolerance=format(stature_tolerance_cm, "g"))))
    return Comparison(ages, found)


def _span(ages: tuple[int, int]) -> str:
    return str(ages[0]) if ages[0] == ages[1] else f"{ages[0]}–{ages[1]}"


def _range(remains: RemainsEstimates) -> str:
    low = "?" if remains.age_min is None else str(remains.age_min)
    high = "?" if remains.age_max is None else str(remains.age_max)
    return f"{low}–{high}"


# --- review status -----------------------------------------------------------------------

OPEN, PROPOSED_CONFIRM, PROPOSED_REJECT, CONFIRMED, REJECTED = (
    "open", "proposed_confirm", "proposed_reject", "confirmed", "rejected")
STATUSES: tuple[str, ...] = (OPEN, PROPOSED_CONFIRM, PROPOSED_REJECT, CONFIRMED, REJECTED)
UNRESOLVED: frozenset[str] = frozenset({OPEN, PROPOSED_CONFIRM, PROPOSED_REJECT})


def review_status(steps: Sequence[str]) -> str:
    """Status from the review steps, oldest first.

    >>> review_status([]), review_status(["propose_confirm"]), review_status(["propose_reject", "approve"])
    ('open', 'proposed_confirm', 'rejected')
    >>> review_status(["propose_confirm", "send_back"])
    'open'
    """
    status = OPEN
    for step in steps:
        if step == "propose_confirm" and status == OPEN:
            status = PROPOSED_CONFIRM
        elif step == "propose_reject" and status == OPEN:
            status = PROPOSED_REJECT
        elif step == "approve" and status in (PROPOSED_CONFIRM, PROPOSED_REJECT):
            status = CONFIRMED if status == PROPOSED_CONFIRM else REJECTED
        elif step == "send_back" and status in (PROPOSED_CONFIRM, PROPOSED_REJECT):
            status = OPEN
    return status


def strength(log10_lr: float) -> str:
    """Verbal scale of the LR (ENFSI-style bands), for filtering the queue."""
    if log10_lr >= 6:
        return "extremely_strong"
    if log10_lr >= 4:
        return "very_strong"
    if log10_lr >= 2:
        return "moderate"
    return "weak"


STRENGTHS: tuple[str, ...] = ("extremely_strong", "very_strong", "moderate", "weak")
MIN_LOG10_LR = {"extremely_strong": 6.0, "very_strong": 4.0, "moderate": 2.0, "weak": float("-inf")}
