"""Server lists: paging, sorting and filtering in SQL, the total shown, exports of exactly the filtered
rows, bad parameters answered calmly, and names kept from blind roles."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlmodel import Session, col, func, select

from labtrack.models import AuditEntry, CustodyEvent, MissingPerson, Sample
from labtrack.services import demo, samples
from labtrack.services.transaction import write
from tests import factories

STATUSES = ("missing", "closed", "identified")


@pytest.fixture
def persons(db: Session, users: dict) -> list[MissingPerson]:
    """130 missing persons with varied birth years, statuses, places; a few with LIKE wildcards."""
    rows = [MissingPerson(case_number=f"MP-2026-{n:04d}", name_latin=f"Person {n} al-Halabi",
                          name_ar=f"شخص {n}", birth_year=1950 + (n * 7) % 50, status=STATUSES[n % 3],
                          sex="MFU"[n % 3], disappearance_place="Aleppo" if n % 2 else "Homs")
            for n in range(1, 131)]
    rows.append(MissingPerson(case_number="MP-2026-100%", name_latin="Percent_Sign Case", status="missing"))
    with write(db, actor=users["coordinator"].user):
        db.add_all(rows)
    return rows


def cases_on_page(html: str) -> list[str]:
    return re.findall(r'<a class="mono" href="/missing-persons/\d+">([^<]+)</a>', html)


def test_pages_sort_and_total_match_the_database(client: FlaskClient, db: Session, persons, login_as) -> None:
    login_as("coordinator")
    everyone = list(db.exec(select(MissingPerson.case_number).order_by(MissingPerson.case_number)))
    first = client.get("/missing-persons/").get_data(as_text=True)
    assert cases_on_page(first) == everyone[:50]
    assert "Rows 1–50 of 131" in first and "page 1 of 3" in first
    third = client.get("/missing-persons/?page=3").get_data(as_text=True)
    assert cases_on_page(third) == everyone[100:] and "Rows 101–131 of 131" in third
    # every row is reachable: the pages together are the whole list, each row once
    pages = [cases_on_page(client.get(f"/missing-persons/?page={n}&per=25").get_data(as_text=True))
             for n in range(1, 7)]
    assert [case for page in pages for case in page] == everyone
    by_year = list(db.exec(select(MissingPerson.case_number)
                           .order_by(col(MissingPerson.birth_year).desc(), col(MissingPerson.id).desc()).limit(25)))
    page = client.get("/missing-persons/?sort=-birth_year&per=25").get_data(as_text=True)
    assert cases_on_page(page) == by_year
    assert 'aria-sort="descending"' in page


def test_filters_are_applied_in_sql_and_combined(client: FlaskClient, db: Session, persons, login_as) -> None:
    login_as("coordinator")
    wanted = list(db.exec(select(MissingPerson.case_number).where(
        MissingPerson.status == "closed", MissingPerson.disappearance_place == "Aleppo")
        .order_by(MissingPerson.case_number)))
    html = client.get("/missing-persons/?status=closed&disappearance_place=Aleppo&per=200").get_data(as_text=True)
    assert cases_on_page(html) == wanted and f"of {len(wanted)}" in html
    # the text filter: names (for those who may see them) and case numbers; wildcards are literal
    assert cases_on_page(client.get("/missing-persons/?q=person 12 al").get_data(as_text=True)) == ["MP-2026-0012"]
    assert cases_on_page(client.get("/missing-persons/?q=100%25").get_data(as_text=True)) == ["MP-2026-100%"]
    assert cases_on_page(client.get("/missing-persons/?q=t_sign").get_data(as_text=True)) == ["MP-2026-100%"]
    assert cases_on_page(client.get("/missing-persons/?q=_").get_data(as_text=True)) == ["MP-2026-100%"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_hold_exactly_the_filtered_rows(client: FlaskClient, db: Session, persons, login_as,
                                                fmt: str) -> None:
    login_as("coordinator")
    wanted = list(db.exec(select(MissingPerson.case_number, MissingPerson.name_latin)
                          .where(MissingPerson.disappearance_place == "Aleppo")
                          .order_by(col(MissingPerson.birth_year), col(MissingPerson.id))))
    assert len(wanted) > 50  # more than a page: the export is not the page
    for url in (f"/missing-persons/?disappearance_place=Aleppo&sort=birth_year&page=2&export={fmt}",
                f"/missing-persons/export?disappearance_place=Aleppo&sort=birth_year&format={fmt}"):
        answer = client.get(url)
        assert answer.status_code == 200
        if fmt == "csv":
            # a list's CSV opens in Excel with its Arabic intact: UTF-8 with a byte-order mark
            assert answer.data.startswith(b"\xef\xbb\xbf") and not answer.data.startswith(b"\xef\xbb\xbf" * 2)
            table = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
        else:
            table = [list(r) for r in load_workbook(io.BytesIO(answer.data)).active.iter_rows(values_only=True)]
        header, rows = table[0], table[1:]
        assert [(r[header.index("case_number")], r[header.index("name_latin")]) for r in rows] == wanted


@pytest.mark.parametrize("query", [
    "page=abc", "page=-3", "page=999999999999", "page=40", "per=7", "per=1000000", "sort=password_hash",
    "sort=-circumstances", "status=dead", "sex=<script>", "q=" + "x" * 5000, "q=%27%20OR%201%3D1%20--",
    "q=%22%3B%20DROP%20TABLE%20missing_person%3B", "q=%2A", "q=%D9%85%D8%AD%D9%85%D8%AFAhmad",
    "q=%00", "status=%00", "disappearance_place=A%00b",
])
def test_bad_parameters_get_a_calm_answer(client: FlaskClient, db: Session, persons, login_as, query: str) -> None:
    login_as("coordinator")
    answer = client.get(f"/missing-persons/?{query}")
    assert answer.status_code == 200, answer.get_data(as_text=True)[-2000:]
    html = answer.get_data(as_text=True)
    assert "Rows " in html or "No rows match." in html
    if not query.startswith("q=") and "%00" not in query:
        assert 'class="notice-banner"' in html  # says which parameter was not used as given
    assert db.exec(select(func.count()).select_from(MissingPerson)).one() == 131


def test_a_page_past_the_end_shows_the_last_page(client: FlaskClient, db: Session, persons, login_as) -> None:
    login_as("coordinator")
    html = client.get("/missing-persons/?page=40").get_data(as_text=True)
    assert "There is no page “40”: showing page 3 of 3." in html and "Rows 101–131 of 131" in html


def test_blind_roles_can_neither_see_sort_search_nor_export_names(client: FlaskClient, db: Session, persons,
                                                                    login_as) -> None:
    login_as("technician")
    html = client.get("/missing-persons/?sort=name_latin&q=al-Halabi").get_data(as_text=True)
    assert "al-Halabi" not in html.replace("q=al-Halabi", "").replace('value="al-Halabi"', "")
    assert "cannot be sorted by “name_latin”" in html
    assert "No rows match." in html  # names are not searched for a blind role
    assert cases_on_page(client.get("/missing-persons/?q=شخص 5").get_data(as_text=True)) == []
    for fmt in ("csv", "xlsx"):
        exported = client.get(f"/missing-persons/?export={fmt}&q=MP-2026-00")
        text = exported.get_data(as_text=True) if fmt == "csv" else " ".join(
            str(v) for r in load_workbook(io.BytesIO(exported.data)).active.iter_rows(values_only=True) for v in r)
        assert "MP-2026-0001" in text and "al-Halabi" not in text and "name_latin" not in text
        assert "Aleppo" not in text


def test_every_list_pages_and_counts_on_the_server(client: FlaskClient, db: Session, login_as) -> None:
    demo.load_demo(db)
    admin = login_as("admin")
    remains = factories.make_remains(db, admin.user, "QTF")
    for _ in range(3):
        samples.take_sample(session=db, remains_accession=remains.accession, sample_type="tooth", by=admin.user)
    counts = {
        "/samples/": db.exec(select(func.count()).select_from(Sample).where(Sample.remains_id != None)).one(),  # noqa: E711
        "/custody/events": db.exec(select(func.count()).select_from(CustodyEvent)).one(),
        "/admin/audit": db.exec(select(func.count()).select_from(AuditEntry)).one(),
    }
    for url, total in counts.items():
        html = client.get(f"{url}?per=25").get_data(as_text=True)
        assert f"of {total:,}" in html, url
        assert len(re.findall(r"<tr><td", html)) == min(25, total), url
    newest = db.exec(select(AuditEntry.seq).order_by(col(AuditEntry.seq).desc())).first()
    assert f"<td>{newest}</td>" in client.get("/admin/audit").get_data(as_text=True)
    oldest = client.get("/admin/audit?sort=seq&per=25").get_data(as_text=True)
    assert "<td>1</td>" in oldest and f"<td>{newest}</td>" not in oldest
    # custody events filtered by item: exactly that item's events
    html = client.get(f"/custody/events?q={remains.accession.lower()}").get_data(as_text=True)
    assert html.count(f">{remains.accession}</a>") == 1 and "Rows 1–1 of 1<" in html
    for url in ("/sites/", "/sites/QTF", "/samples/", "/profiles/", "/missing-persons/", "/donors/", "/families/",
                "/matching/", "/documents/", "/custody/events", "/admin/audit"):
        for query in ("", "?sort=-nope&page=x&per=3", "?export=csv", "?export=xlsx"):
            assert client.get(url + query).status_code == 200, url + query
