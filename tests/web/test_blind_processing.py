"""Blind processing: names, contacts and circumstances only for coordinators and admins (and for
analysts once the missing person is identified); upload forms show problems and store nothing."""

from __future__ import annotations

import io
from pathlib import Path
from xml.etree import ElementTree

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlmodel import Session, func, select

from labtrack.models import Family, Identification, MissingPerson, PedigreeMember, Profile, ProfileAllele, Remains
from labtrack.services import demo
from labtrack.services.transaction import write

ROOT = Path(__file__).resolve().parents[2]
PERSON = ("Ahmad Khalil al-Masri", "أحمد خليل المصري", "Detained at a checkpoint", "+000 000 0001")
DONOR = ("Mariam al-Masri", "مريم المصري", "+000 000 0001")


@pytest.fixture
def demo_db(db: Session) -> Session:
    demo.load_demo(db)
    return db


def pages(db: Session) -> dict[str, tuple[str, ...]]:
    """URL → the identifying texts it shows to those who may see them."""
    person = db.exec(select(MissingPerson).where(MissingPerson.case_number == "MP-2025-0001")).one()
    return {f"/missing-persons/{person.id}": PERSON, "/missing-persons/": PERSON[:2],
            "/missing-persons/export": (PERSON[0], PERSON[2], PERSON[3]),
            "/donors/1": DONOR, "/donors/": DONOR, "/families/1": PERSON[:2]}


ROLES_SEE = [("technician", False), ("analyst", False), ("coordinator", True), ("admin", True)]


def test_identities_by_role(client: FlaskClient, demo_db: Session, login_as) -> None:
    for role, sees in ROLES_SEE:
        login_as(role)
        check_pages(client, demo_db, role, sees)


def check_pages(client: FlaskClient, demo_db: Session, role: str, sees: bool) -> None:
    for url, secrets in pages(demo_db).items():
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        assert ("MP-2025-0001" in text) or ("D-0001" in text) or url.startswith("/families"), url
        for secret in secrets:
            assert (secret in text) == sees, f"{role} {url} {secret}"
    family = client.get("/families/1").get_data(as_text=True)
    assert "REF-00001-A-CA" in family and "MP-2025-0001" in family  # accessions and relations: everyone


def test_analyst_sees_the_identity_after_an_identification(client: FlaskClient, demo_db: Session,
                                                           login_as, users: dict) -> None:
    person = demo_db.exec(select(MissingPerson).where(MissingPerson.case_number == "MP-2025-0001")).one()
    login_as("analyst")
    assert PERSON[0] not in client.get(f"/missing-persons/{person.id}").get_data(as_text=True)
    remains = demo_db.exec(select(Remains)).first()
    with write(demo_db, actor=users["admin"].user, reason="test identification"):
        demo_db.add(Identification(remains_id=remains.id, missing_person_id=person.id,
                                   approved_by_id=users["admin"].id))
    assert PERSON[0] in client.get(f"/missing-persons/{person.id}").get_data(as_text=True)
    assert DONOR[0] in client.get("/donors/1").get_data(as_text=True)  # the mother, same family


def test_family_page_draws_every_member(client: FlaskClient, demo_db: Session, login_as) -> None:
    login_as("technician")
    svg = client.get("/families/1/pedigree.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    root = ElementTree.fromstring(svg.data)
    people = {g.get("data-person"): g.get("class") for g in root.iter("{http://www.w3.org/2000/svg}g")
              if g.get("data-person")}
    assert people == {"F": "member typed", "M": "member typed", "MP": "member missing"}


def test_profile_upload_shows_problems_and_stores_nothing(client: FlaskClient, demo_db: Session, login_as) -> None:
    login_as("analyst")
    before = demo_db.exec(select(func.count()).select_from(Profile)).one()
    raw = (ROOT / "fixtures" / "malformed" / "long_errors.csv").read_bytes()
    response = client.post("/profiles/import", data={"file": (io.BytesIO(raw), "long_errors.csv"),
                                                     "file_format": "auto", "kit": ""},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and response.location.startswith("/profiles/uploads/")
    text = client.get(response.location).get_data(as_text=True)  # the worker's job ran inline
    assert 'data-upload-status="refused"' in text
    assert 'class="problems"' in text and "unknown sample barcode QTF-00099-S01-0I" in text
    assert "<td>6</td>" in text and "Nothing was stored" in text
    demo_db.rollback()
    assert demo_db.exec(select(func.count()).select_from(Profile)).one() == before
    checked = client.post("/profiles/import", data={"file": (io.BytesIO(raw), "long_errors.csv"),
                                                    "file_format": "auto", "kit": "", "check_only": "y"},
                          content_type="multipart/form-data")
    assert checked.status_code == 302
    text = client.get(checked.location).get_data(as_text=True)
    assert 'data-upload-status="checked"' in text and "Nothing was stored" in text
    assert "<td>3</td>" in text and "abc" in text  # what reading finds (the barcodes are checked on import)
    demo_db.rollback()
    assert demo_db.exec(select(func.count()).select_from(Profile)).one() == before


def test_pedigree_upload_shows_problems(client: FlaskClient, demo_db: Session, login_as) -> None:
    login_as("coordinator")
    raw = (ROOT / "fixtures" / "malformed" / "pedigree_two_missing.csv").read_bytes()
    before = demo_db.exec(select(func.count()).select_from(Family)).one()
    response = client.post("/families/import", data={"file": (io.BytesIO(raw), "p.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and response.location.startswith("/families/uploads/")
    text = client.get(response.location).get_data(as_text=True)  # the worker's job ran inline
    assert 'data-upload-status="refused"' in text and "where exactly one is expected" in text
    demo_db.rollback()
    assert demo_db.exec(select(func.count()).select_from(Family)).one() == before


def test_profile_pages_and_exports(client: FlaskClient, demo_db: Session, login_as) -> None:
    login_as("analyst")
    assert "STAFF MATCH" in client.get("/profiles/quality").get_data(as_text=True)
    assert client.get("/profiles/3").status_code == 200
    csv_text = client.get("/profiles/export").get_data(as_text=True)
    assert csv_text.startswith("sample_id,marker,allele1,allele2")
    cmf = client.get("/profiles/export?format=cmf")
    assert b"REF-00001-A-CA" in cmf.data and b"CODISImportFile" in cmf.data
    csv_rows = csv_text.splitlines()
    assert len(csv_rows) == 1 + demo_db.exec(
        select(func.count()).select_from(ProfileAllele).join(Profile, Profile.id == ProfileAllele.profile_id)
        .where(Profile.superseded == False)).one()  # noqa: E712 - every current allele row, streamed
    book = load_workbook(io.BytesIO(client.get("/profiles/export?format=xlsx").data), read_only=True)
    sheet_rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert sheet_rows[0][:4] == ["sample_id", "marker", "allele1", "allele2"] and len(sheet_rows) == len(csv_rows)
    pedigrees = client.get("/families/export").get_data(as_text=True).splitlines()
    assert pedigrees[0] == "family_id,person_id,father_id,mother_id,sex,sample_id,missing"
    assert len(pedigrees) == 1 + demo_db.exec(select(func.count()).select_from(PedigreeMember)).one()
    book = load_workbook(io.BytesIO(client.get("/families/export?format=xlsx").data), read_only=True)
    assert [list(r) for r in book.active.iter_rows(values_only=True)][0][0] == "family_id"


def test_coordinator_registers_a_missing_person_and_a_donor(client: FlaskClient, db: Session, login_as) -> None:
    login_as("coordinator")
    response = client.post("/missing-persons/", data={
        "case_number": "MP-2026-0009", "name_latin": "Omar (fictional)", "sex": "M",
        "birth_date": "1990-03-01", "disappeared_on": "2014-02-02", "circumstances": "Detained at branch 215",
        "height_cm": "171"})
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    assert "/missing-persons/" in response.headers["Location"], response.headers["Location"]
    db.rollback()  # end the test session's read transaction to see the request's commit
    person = db.exec(select(MissingPerson).where(MissingPerson.case_number == "MP-2026-0009")).one()
    assert person.circumstances == "Detained at branch 215" and person.birth_date.year == 1990
    donor = client.post("/donors/", data={"code": "D-0099", "sex": "F", "phone": "+000 1"})
    assert donor.status_code == 302
    page = client.get(donor.headers["Location"]).get_data(as_text=True)
    assert "REF-" in page and "+000 1" in page
    login_as("technician")
    refused = client.post("/missing-persons/", data={"case_number": "MP-X"})
    assert refused.status_code == 403
