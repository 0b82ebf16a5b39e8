"""Importing an allele-frequency table from the browser: analysts and admins, every problem listed
with its file, row and field, nothing stored on error, the size limit, Arabic."""

from __future__ import annotations

import io
from pathlib import Path

from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from labtrack.models import AuditEntry, FrequencyEntry, FrequencyTable
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]
NIST = ROOT / "fixtures" / "freqs" / "nist1036.csv"
BAD = ROOT / "fixtures" / "malformed" / "freqs_errors.csv"


def _upload(client: FlaskClient, path: Path | None, **fields: str) -> object:
    data: dict[str, object] = {"name": "NIST 1036", "source": "NIST STRBase", **fields}
    if path is not None:
        data["file"] = (io.BytesIO(path.read_bytes()), path.name)
    return client.post("/frequencies/", data=data, content_type="multipart/form-data")


def _counts(db: Session) -> tuple[int, int]:
    db.rollback()
    return (db.exec(select(func.count()).select_from(FrequencyTable)).one(),
            db.exec(select(func.count()).select_from(FrequencyEntry)).one())


def test_only_analysts_and_admins_open_the_page_and_see_the_link(client: FlaskClient, users: dict) -> None:
    for role in ("technician", "coordinator"):
        login(client, users[role])
        assert client.get("/frequencies/").status_code == 403
        assert _upload(client, NIST).status_code == 403
        client.post("/logout")
    for role in ("analyst", "admin"):
        login(client, users[role])
        assert client.get("/frequencies/").status_code == 200
        assert 'href="/frequencies/"' in client.get("/matching/").get_data(as_text=True)
        client.post("/logout")


def test_an_analyst_imports_a_table(client: FlaskClient, db: Session, users: dict) -> None:
    login(client, users["analyst"])
    answer = _upload(client, NIST, make_default="y")
    assert answer.status_code == 302
    page = client.get("/frequencies/").get_data(as_text=True)
    assert "Frequency table NIST 1036 imported." in page and "It is now the default" in page
    db.rollback()
    table = db.exec(select(FrequencyTable)).one()
    assert (table.name, table.source, table.is_default) == ("NIST 1036", "NIST STRBase", True)
    entries = db.exec(select(FrequencyEntry).where(FrequencyEntry.table_id == table.id)).all()
    assert len(entries) > 300 and {e.marker for e in entries} >= {"TH01", "FGA", "D3S1358"}
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "bulk_import",
                                             AuditEntry.entity_type == "frequency_table")).one()
    assert entry.actor_id == users["analyst"].id and '"file":"nist1036.csv"' in entry.after_json
    again = _upload(client, NIST)
    assert again.status_code == 409 and "A frequency table named &#39;NIST 1036&#39; exists already." in again.get_data(
        as_text=True)
    assert _counts(db) == (1, len(entries))


def test_bad_rows_are_listed_and_nothing_is_stored(client: FlaskClient, db: Session, users: dict) -> None:
    login(client, users["admin"])
    answer = _upload(client, BAD, name="broken")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "freqs_errors.csv: the frequency table was not imported" in text and "Nothing was stored." in text
    assert "<td>freqs_errors.csv</td><td>4</td><td>frequency</td>" in text  # TH01,7,-0.1: file, row, field
    assert "abc" in text and "D99S1" in text
    assert _counts(db) == (0, 0)
    no_file = _upload(client, None)
    assert no_file.status_code == 422 and "This field is required" in no_file.get_data(as_text=True)
    no_name = _upload(client, NIST, name="")
    assert no_name.status_code == 422
    assert _counts(db) == (0, 0)


def test_a_file_too_large_for_the_page_is_refused(client: FlaskClient, db: Session, users: dict,
                                                  tmp_path: Path) -> None:
    from labtrack.web.frequencies import MAX_WEB_BYTES

    big = tmp_path / "big.csv"
    big.write_bytes(b"marker,allele,frequency\n" + b"# padding\n" * (MAX_WEB_BYTES // 10 + 1))
    login(client, users["analyst"])
    answer = _upload(client, big)
    assert answer.status_code == 413 and "labtrack freqs import" in answer.get_data(as_text=True)
    assert _counts(db) == (0, 0)


def test_the_page_in_arabic(client: FlaskClient, users: dict) -> None:
    login(client, users["analyst"])
    client.get("/language/ar")
    assert "استيراد جدول ترددات" in client.get("/frequencies/").get_data(as_text=True)
    answer = _upload(client, BAD, name="broken")
    assert answer.status_code == 422 and "لم يُستورد جدول الترددات" in answer.get_data(as_text=True)
