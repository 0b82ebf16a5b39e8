"""The name index's text index (SQLite FTS5 trigram, PostgreSQL pg_trgm): created with the schema,
kept in step with the index rows, and giving exactly the answers of a plain scan of the keys;
without it the search scans and still answers."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from labtrack.core import names
from labtrack.models import MissingPerson, NameIndex
from labtrack.models.search import FTS_TABLE, drop_text_index, install_text_index
from labtrack.services import missing_persons, name_search
from labtrack.services.transaction import write

PEOPLE = [
    ("MP-1", "مُحمّد خليل المصري", "Muhammad Khalil al-Masri", 1980, "Aleppo"),
    ("MP-2", "محمد أحمد المصري", "Mohamed Ahmad el-Masri", 1985, "Homs"),
    ("MP-3", "محمد يوسف الحلبي", "Mohammad Youssef al-Halabi", 1970, "Aleppo"),
    ("MP-4", "فاطمة مصطفى الحلبي", "Fatima Mustafa al-Halabi", 1975, "Homs"),
    ("MP-5", "علي عمر", "Ali Omar", 1990, "Daraa"),
    ("MP-6", "ع ب", "A B", 1991, "Hama"),  # one-letter words: shorter than a trigram
]
QUERIES = ["محمد", "Muhammad", "محمد المصري", "Mohamed el-Masri", "Halabi", "فاطمه", "Ali", "al", "A", "ع",
           "Aleppo", "خليل", "Mohd", "xyz", "محمد Masri"]


@pytest.fixture
def people(db: Session, users: dict) -> list[MissingPerson]:
    coordinator = users["coordinator"].user
    return [missing_persons.register_missing_person(session=db, by=coordinator, case_number=case, name_ar=ar,
                                                    name_latin=latin, birth_year=year, disappearance_place=place)
                   for case, ar, latin, year, place in PEOPLE]


def _cases(db: Session, rows: list[NameIndex]) -> set[str]:
    ids = [r.person_id for r in rows if r.kind == "missing_person"]
    return set(db.exec(select(MissingPerson.case_number).where(MissingPerson.id.in_(ids))))  # type: ignore[union-attr]


def _expected_index(db: Session) -> str:
    return {"sqlite": "fts5", "postgresql": "trgm"}[db.get_bind().dialect.name]


def test_the_schema_has_the_text_index(db: Session) -> None:
    assert name_search.text_index(db) == _expected_index(db)


@pytest.mark.parametrize("every", [True, False])
def test_the_index_answers_as_a_scan_does(db: Session, people, every: bool) -> None:
    index = name_search.text_index(db)
    for query in QUERIES:
        keys = names.keys(query)
        indexed = _cases(db, name_search.candidates(db, keys, [], every=every, index=index))
        scanned = _cases(db, name_search.candidates(db, keys, [], every=every, index=""))
        assert indexed == scanned, (query, indexed, scanned)
    # and the answers are the right ones
    assert _cases(db, name_search.candidates(db, names.keys("محمد المصري"), [], every=True)) == {"MP-1", "MP-2"}
    assert _cases(db, name_search.candidates(db, names.keys("Muhammad"), [1968], every=True)) == {"MP-3"}
    assert _cases(db, name_search.candidates(db, names.keys("A B"), [], every=True)) == {"MP-6"}


def test_the_index_follows_inserts_corrections_and_deletes(db: Session, people, users) -> None:
    person = people[4]
    with write(db, actor=users["coordinator"].user, reason="spelling"):
        person.name_latin = "Khaled Haddad"
        db.add(person)
    assert _cases(db, name_search.candidates(db, names.keys("Khalid Hadad"), [], every=True)) == {"MP-5"}
    # the text index itself holds the new key, under the new index row
    if name_search.text_index(db) == "fts5":
        matched = db.execute(text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q"),
                             {"q": '" khld"'}).scalars().all()
        own = db.exec(select(NameIndex.id).where(NameIndex.person_id == person.id)).one()
        assert matched == [own]
        # the FTS5 index agrees with its content table row for row (raises when it does not)
        db.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('integrity-check')"))
    db.execute(NameIndex.__table__.delete())  # type: ignore[attr-defined]
    db.commit()
    assert name_search.candidates(db, names.keys("محمد"), [], every=True) == []


def test_a_word_nobody_has_is_dropped_before_any_word_is_enough(db: Session, people) -> None:
    # "Karim" is nobody's: the people with both Muhammad and al-Masri, not every Muhammad
    assert _cases(db, name_search.search(db, names.keys("Muhammad Karim al-Masri"), [])) == {"MP-1", "MP-2"}
    # no one has both: anyone with either
    assert _cases(db, name_search.search(db, names.keys("Fatima Khalil"), [])) == {"MP-1", "MP-4"}


def test_without_the_index_the_search_scans(db: Session, people) -> None:
    connection = db.connection()
    drop_text_index(connection)
    db.commit()
    assert name_search.text_index(db) == ""
    assert _cases(db, name_search.search(db, names.keys("محمد المصري"), [])) == {"MP-1", "MP-2"}
    assert install_text_index(db.connection()) is True
    db.commit()
    assert name_search.text_index(db) == _expected_index(db)
    # rebuilt from the rows already there
    assert _cases(db, name_search.search(db, names.keys("Halabi"), [])) == {"MP-3", "MP-4"}
