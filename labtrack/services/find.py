"""Find: what the search box of every page looks for (a read model).

1. An accession ID, scanned or typed (the Arabic keyboard layout and Arabic-Indic digits read
   back as at the scanning station, check characters validated): the item itself.
2. A case number, donor code, family code or site code, exactly: that record.
3. For roles who may see identities only: missing persons and donors by name in Arabic or Latin
   script, with spelling variants (``core.names``), year of birth (``1980``, give or take two
   years) and place; candidates are taken from the name index through the database's trigram
   index (``services.name_search``) and ranked with rapidfuzz. Technicians and analysts never get names: for them the
   name index is not read at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from sqlmodel import Session, col, select

from labtrack.core import names
from labtrack.core.scanning import read_scan
from labtrack.models import Donor, Family, IssuedDocument, MissingPerson, Remains, Sample, Site
from labtrack.models.samples import StorageLocation
from labtrack.services import name_search

MAX_QUERY = 200
SHOWN = 25


@dataclass(frozen=True)
class Target:
    """The one record the search names: ``kind`` (remains, sample, location, document,
    missing_person, donor, family, site) and its key (accession, id or code)."""

    kind: str
    key: str | int


@dataclass(frozen=True)
class Hit:
    kind: str  # missing_person or donor
    id: int
    code: str
    name_ar: str
    name_latin: str
    birth_year: int | None
    place: str
    score: float


@dataclass
class FindResult:
    query: str
    target: Target | None = None
    id_problem: str = ""  # an ID whose check characters (or shape) are wrong, or not registered
    names_searched: bool = False
    hits: list[Hit] = field(default_factory=list)


def _looks_like_id(text: str) -> bool:
    """A hyphen and digits once the keyboard layout is read back (``QTF-00042-…``), not a name."""
    reading = read_scan(text)
    return "-" in reading.text and any(c.isdigit() for c in reading.text)


def _by_accession(session: Session, accession: str, kind: str | None) -> Target | None:
    if kind == "remains" and session.exec(select(Remains.id).where(Remains.accession == accession)).first():
        return Target("remains", accession)
    if kind in ("sample", "reference") and session.exec(select(Sample.id).where(Sample.accession == accession)).first():
        return Target("sample", accession)
    if kind == "location" and session.exec(select(StorageLocation.id)
                                           .where(StorageLocation.accession == accession)).first():
        return Target("location", accession)
    if kind == "document":
        found = session.exec(select(IssuedDocument.id).where(IssuedDocument.number == accession)).first()
        if found:
            return Target("document", found)
    return None


def _by_code(session: Session, text: str) -> Target | None:
    code = text.strip()
    upper = code.upper()
    codes = {code, upper}
    if person := session.exec(select(MissingPerson.id).where(col(MissingPerson.case_number).in_(codes))).first():
        return Target("missing_person", person)
    if donor := session.exec(select(Donor.id).where(col(Donor.code).in_({code, upper}))).first():
        return Target("donor", donor)
    if family := session.exec(select(Family.id).where(col(Family.code).in_({code, upper}))).first():
        return Target("family", family)
    if len(upper) == 3 and session.exec(select(Site.id).where(Site.code == upper)).first():
        return Target("site", upper)
    return None


def _hits(session: Session, rows: list[Any], keys: list[str], years: list[int]) -> list[Hit]:
    """The candidates ranked. The people's columns are read as plain rows, not ORM entities (up to
    500 per search: as entities they made the garbage collector run a full collection every tenth
    search, 200-270 ms on a server's heap)."""
    wanted = " ".join(keys)
    persons = {p.id: p for p in session.execute(select(
        MissingPerson.id, MissingPerson.case_number, MissingPerson.name_ar, MissingPerson.name_latin,
        MissingPerson.birth_year, MissingPerson.disappearance_place).where(
        col(MissingPerson.id).in_([r.person_id for r in rows if r.kind == "missing_person"])))}
    donors = {d.id: d for d in session.execute(select(
        Donor.id, Donor.code, Donor.name_ar, Donor.name_latin, Donor.birth_year).where(
        col(Donor.id).in_([r.person_id for r in rows if r.kind == "donor"])))}
    hits = []
    for row in rows:
        score = fuzz.token_set_ratio(wanted, row.search_key) if keys else 50.0
        if years and row.birth_year is not None:
            score += 10 - 2 * min(abs(row.birth_year - y) for y in years)
        if row.kind == "missing_person" and (p := persons.get(row.person_id)):
            hits.append(Hit("missing_person", p.id or 0, p.case_number, p.name_ar, p.name_latin, p.birth_year,
                            p.disappearance_place, score))
        elif row.kind == "donor" and (d := donors.get(row.person_id)):
            hits.append(Hit("donor", d.id or 0, d.code, d.name_ar, d.name_latin, d.birth_year, "", score))
    hits.sort(key=lambda h: (-h.score, h.code))
    return hits[:SHOWN]


def find(session: Session, query: str, *, identities: bool) -> FindResult:
    """What ``query`` names (see the module docstring). Names only when ``identities``."""
    text = " ".join("".join(c for c in query if c.isprintable()).split())[:MAX_QUERY]
    result = FindResult(text)
    if not text:
        return result
    reading = read_scan(text)
    if reading.ok and reading.accession:
        result.target = _by_accession(session, reading.accession, reading.kind)
        if result.target is None:
            result.id_problem = f"{reading.accession}: no item has this ID."
        return result
    result.target = _by_code(session, text)
    if result.target is not None:
        return result
    if _looks_like_id(text) and " " not in text:
        result.id_problem = reading.error or f"{text}: not an ID"
        return result
    if not identities:
        return result
    keys, years = names.keys(text), names.query_years(text)
    if not keys and not years:
        return result
    result.names_searched = True
    rows = name_search.search(session, keys, years)
    result.hits = _hits(session, rows, keys, years)
    return result
