"""The pedigree upload answers any file with its problems (on the upload's page, after the worker's
job), never a 500, and stores nothing."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from labtrack.models import Family, PedigreeMember

HEADER = "family_id,person_id,father_id,mother_id,sex,sample_id,missing\n"


@pytest.mark.parametrize(("body", "shown"), [
    ('"' + "A" * 200_000 + '",MP,,,1,,1\n', "200,012 characters long"),  # was csv.Error: a 500
    ("F1,MP\x00,,,1,,1\n", "holds a NUL byte"),  # was stored (and a 500 on PostgreSQL)
    ("F1,MP,,,1,,1,mixed\n", "the values &#39;mixed&#39; beyond the header"),
    ("F1,\"MP\n\",,,1,,1\n", "not closed on its line"),
])
def test_a_hostile_pedigree_file_is_refused_with_the_row_and_nothing_stored(
        client: FlaskClient, db: Session, login_as, body: str, shown: str) -> None:
    login_as("coordinator")
    response = client.post("/families/import", data={"file": (io.BytesIO((HEADER + body).encode()), "p.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and response.location.startswith("/families/uploads/")
    page = client.get(response.location)  # the worker's job (run inline in tests) refused the file
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-upload-status="refused"' in text
    assert shown in text and "p.csv" in text and "<td>2</td>" in text
    assert db.exec(select(func.count()).select_from(Family)).one() == 0
    assert db.exec(select(func.count()).select_from(PedigreeMember)).one() == 0


def test_a_family_for_a_person_identified_already_is_stored_with_a_note(client: FlaskClient, db: Session,
                                                                         login_as, tmp_path) -> None:
    from labtrack.models import MissingPerson
    from labtrack.services.transaction import write

    with write(db, actor="test"):
        db.add(MissingPerson(case_number="F9", name_latin="Known", status="identified"))
        db.add(MissingPerson(case_number="F10", name_latin="Sought"))
    login_as("coordinator")
    body = HEADER + "F9,FA,,,1,,0\nF9,MP,FA,,1,,1\nF10,MP,,,1,,1\n"
    response = client.post("/families/import", data={"file": (io.BytesIO(body.encode()), "late.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    text = client.get(response.location).get_data(as_text=True)
    assert 'data-upload-status="imported"' in text and "data-import-notes" in text
    assert "missing person F9 is identified already" in text and "F10" not in text.split("data-import-notes")[1]
    arabic = client.get(response.location, headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "الشخص المفقود F9 محدَّدة هويته سابقاً" in arabic
    db.rollback()  # a fresh read: the worker wrote in its own session
    assert sorted(db.exec(select(Family.code)).all()) == ["F10", "F9"]  # stored: a note, not a refusal

    # the command line says the same
    late = tmp_path / "later.csv"
    late.write_text(HEADER + "F11,MP,,,1,,1\n")
    with write(db, actor="test"):
        db.add(MissingPerson(case_number="F11", status="identified"))
    result = client.application.test_cli_runner().invoke(args=["pedigrees", "import", str(late)])
    assert result.exit_code == 0, result.output
    assert "Imported 1 family: F11." in result.output
    assert "Note: later.csv, field family_id: missing person F11 is identified already" in result.output
