"""Likely duplicate reports of a missing person (the same person reported twice, by two families
or twice by one, with the name spelled differently), shown before a new report is saved.

Candidates come from the name index (``services.name_search``: every word's key, else the keys someone has);
each is scored with rapidfuzz on the name keys, plus agreement on year of birth, place and date of
disappearance and the family contact's phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz
from sqlmodel import Session, col, select

from labtrack.core import names
from labtrack.models import MissingPerson
from labtrack.services.name_search import YEAR_SLACK, search

THRESHOLD = 75.0
SHOWN = 10


@dataclass(frozen=True)
class LikelyDuplicate:
    person: MissingPerson
    score: float
    reasons: tuple[str, ...]  # name, birth_year, place, disappeared_on, contact_phone


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def likely_duplicates(session: Session, *, name_ar: str = "", name_latin: str = "", birth_year: int | None = None,
                      disappearance_place: str = "", disappeared_on: date | None = None,
                      contact_phone: str = "") -> list[LikelyDuplicate]:
    """Registered missing persons who may be the one described, the likeliest first."""
    key_words = names.keys(f"{name_ar} {name_latin}")
    if not key_words:
        return []
    wanted = names.search_key(name_ar, name_latin)
    rows = [r for r in search(session, key_words, []) if r.kind == "missing_person"]
    people = {p.id: p for p in session.exec(select(MissingPerson).where(
        col(MissingPerson.id).in_([r.person_id for r in rows])))}
    found = []
    for row in rows:
        person = people.get(row.person_id)
        if person is None:
            continue
        own = names.search_key(person.name_ar, person.name_latin)
        score = float(fuzz.token_set_ratio(wanted, own))
        reasons = ["name"] if score >= THRESHOLD else []
        if birth_year and person.birth_year and abs(birth_year - person.birth_year) <= YEAR_SLACK:
            score += 10
            reasons.append("birth_year")
        place = names.search_key(disappearance_place)
        if disappearance_place and place == names.search_key(person.disappearance_place):
            score += 5
            reasons.append("place")
        if disappeared_on and person.disappeared_on == disappeared_on:
            score += 10
            reasons.append("disappeared_on")
        if len(_digits(contact_phone)) >= 6 and _digits(contact_phone) == _digits(person.contact_phone):
            score += 20
            reasons.append("contact_phone")
        if "name" in reasons:
            found.append(LikelyDuplicate(person, score, tuple(reasons)))
    found.sort(key=lambda d: (-d.score, d.person.case_number))
    return found[:SHOWN]
