"""The search box: IDs (also typed on the Arabic layout) go to their item, mistyped IDs are named,
codes go to their record, names with spelling variants are found and ranked, and blind roles never
see a name through it."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.core import ids
from labtrack.models import MissingPerson, NameIndex
from labtrack.services import missing_persons, name_index, samples
from labtrack.services.transaction import write
from tests import factories
from tests.core.test_scanning import as_typed_on_arabic_layout

PEOPLE = [
    ("MP-2026-0001", "مُحمّد خليل المصري", "Muhammad Khalil al-Masri", 1980, "Aleppo"),
    ("MP-2026-0002", "محمد خليل المصري", "Mohamed Khaleel el-Masri", 1981, "Aleppo"),   # the same person?
    ("MP-2026-0003", "فاطمة مصطفى الحلبي", "Fatima Mustafa al-Halabi", 1975, "Homs"),
    ("MP-2026-0004", "أحمد يوسف", "Ahmad Youssef", 1990, "Daraa"),
]


@pytest.fixture
def people(db: Session, users: dict) -> list[MissingPerson]:
    coordinator = users["coordinator"].user
    return [missing_persons.register_missing_person(session=db, by=coordinator, case_number=case, name_ar=ar,
                                                    name_latin=latin, birth_year=year, disappearance_place=place)
                   for case, ar, latin, year, place in PEOPLE]


def found_cases(html: str) -> list[str]:
    return [case for case, *_ in PEOPLE if f">{case}</a>" in html]


def test_every_page_has_the_search_box(client: FlaskClient, db: Session, login_as) -> None:
    login_as("technician")
    for url in ("/", "/samples/", "/sites/", "/custody/station"):
        assert 'action="/find/"' in client.get(url).get_data(as_text=True), url


def test_an_id_goes_straight_to_its_item(client: FlaskClient, db: Session, login_as) -> None:
    tech = login_as("technician")
    factories.make_site(db, tech.user, "QTF")
    remains = factories.make_remains(db, tech.user)
    sample = samples.take_sample(session=db, remains_accession=remains.accession, sample_type="femur", by=tech.user)
    for typed, page in [(remains.accession, f"/sites/remains/{remains.accession}"),
                        (f"  {sample.accession.lower()} ", f"/samples/{sample.accession}"),
                        (as_typed_on_arabic_layout(sample.accession), f"/samples/{sample.accession}"),
                        (as_typed_on_arabic_layout(remains.accession.lower()), f"/sites/remains/{remains.accession}"),
                        ("QTF", "/sites/QTF")]:
        answer = client.get("/find/", query_string={"q": typed})
        assert answer.status_code == 302 and answer.headers["Location"].endswith(page), (typed, answer.headers)
        assert client.get(answer.headers["Location"]).status_code == 200
    wrong = remains.accession[:-1] + ("A" if remains.accession[-1] != "A" else "B")
    html = client.get("/find/", query_string={"q": wrong}).get_data(as_text=True)
    assert "mistyped or misread" in html
    unknown = ids.remains_id("QTF", 999)
    assert "no item has this ID" in client.get("/find/", query_string={"q": unknown}).get_data(as_text=True)


def test_case_numbers_and_codes_go_to_their_record(client: FlaskClient, db: Session, people, login_as) -> None:
    login_as("analyst")
    answer = client.get("/find/?q=mp-2026-0003")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/missing-persons/{people[2].id}")


@pytest.mark.parametrize(("query", "expected_first", "also"), [
    ("محمد المصري", None, {"MP-2026-0001", "MP-2026-0002"}),
    ("Mohammad Masri", None, {"MP-2026-0001", "MP-2026-0002"}),
    ("محمّد خليل 1980", "MP-2026-0001", {"MP-2026-0002"}),
    ("فاطمه مصطفي", "MP-2026-0003", set()),
    ("Fatma al Halabi", "MP-2026-0003", set()),
    ("احمد", "MP-2026-0004", set()),
    ("Aleppo", None, {"MP-2026-0001", "MP-2026-0002"}),
])
def test_names_with_spelling_variants_are_found_and_ranked(client: FlaskClient, db: Session, people, login_as,
                                                            query: str, expected_first: str | None,
                                                            also: set[str]) -> None:
    login_as("coordinator")
    html = client.get("/find/", query_string={"q": query}).get_data(as_text=True)
    cases = found_cases(html)
    if expected_first:
        first_position = html.index(f">{expected_first}</a>")
        assert all(first_position <= html.index(f">{c}</a>") for c in cases), (query, cases)
        assert expected_first in cases
    assert also <= set(cases), (query, cases)
    unrelated = {c for c, *_ in PEOPLE} - also - {expected_first}
    assert not (set(cases) & unrelated) or query == "Aleppo", (query, cases)


def test_blind_roles_never_see_names_through_the_search(client: FlaskClient, db: Session, people,
                                                        login_as) -> None:
    for role in ("technician", "analyst"):
        login_as(role)
        for query in ("محمد المصري", "Muhammad", "Fatima Halabi 1975", "Aleppo", "al"):
            html = client.get("/find/", query_string={"q": query}).get_data(as_text=True)
            assert found_cases(html) == [], (role, query)
            for _case, ar, latin, _year, place in PEOPLE:
                for secret in (ar, latin, place):
                    assert secret not in html.replace(f'value="{query}"', ""), (role, query, secret)
            assert "Names are searched by coordinators only" in html


@pytest.mark.parametrize("query", ["'; DROP TABLE missing_person; --", "%", "_", "*", "\"", "a" * 5000,
                                   "محمد Muhammad ١٩٨٠", "\x00", "QTF-", "----", "1980"])
def test_odd_searches_get_a_calm_answer(client: FlaskClient, db: Session, people, login_as, query: str) -> None:
    login_as("coordinator")
    answer = client.get("/find/", query_string={"q": query})
    assert answer.status_code in (200, 302), answer.get_data(as_text=True)[-2000:]
    assert len(db.exec(select(MissingPerson)).all()) == len(PEOPLE)


def test_the_index_follows_corrections_and_can_be_rebuilt(client: FlaskClient, db: Session, people, users,
                                                          login_as) -> None:
    person = people[3]
    with write(db, actor=users["coordinator"].user, reason="spelling"):
        person.name_latin = "Ahmed Yusuf"
        db.add(person)
    key = db.exec(select(NameIndex.search_key).where(NameIndex.person_id == person.id,
                                                     NameIndex.kind == "missing_person")).one()
    assert " ysf " in key
    db.execute(NameIndex.__table__.delete())  # type: ignore[attr-defined]
    db.commit()
    assert name_index.rebuild(db) == len(PEOPLE)
    login_as("coordinator")
    assert "MP-2026-0004" in found_cases(client.get("/find/?q=Ahmad Yousef").get_data(as_text=True))
