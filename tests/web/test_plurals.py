"""Counts use plural forms: English singular/plural, Arabic's six forms (zero, one, two, few, many, other)."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from sqlmodel import Session

from labtrack.services import accounts


def _pedigrees(*codes: str) -> bytes:
    rows = ["family_id,person_id,father_id,mother_id,sex,sample_id,missing"]
    for code in codes:
        rows += [f"{code},F,,,1,,0", f"{code},M,,,2,,0", f"{code},MP,F,M,1,,1"]
    return ("\n".join(rows) + "\n").encode()


def _import(client: FlaskClient, *codes: str) -> str:
    answer = client.post("/families/import", data={"file": (io.BytesIO(_pedigrees(*codes)), "p.csv")},
                         content_type="multipart/form-data", follow_redirects=True)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_family_import_message_in_english_and_arabic(client: FlaskClient, db: Session, users: dict) -> None:
    from tests.conftest import login

    login(client, users["coordinator"])
    assert "Imported 1 family." in _import(client, "FAM-A")
    assert "Imported 2 families." in _import(client, "FAM-B", "FAM-C")
    client.get("/language/ar")
    assert "استُوردت عائلة واحدة." in _import(client, "FAM-D")
    assert "استُوردت عائلتان." in _import(client, "FAM-E", "FAM-F")
    assert "استُوردت 3 عائلات." in _import(client, "FAM-G", "FAM-H", "FAM-I")
    assert "استُوردت 11 عائلة." in _import(client, *[f"FAM-K{n}" for n in range(11)])


def test_audit_page_counts_entries_with_plural_forms(client: FlaskClient, db: Session, users: dict) -> None:
    from labtrack.services import audit_verification
    from tests.conftest import login

    def verified() -> int:  # a full verification (run by the worker; inline in tests)
        client.post("/admin/audit/verify", data={"full": "1"})
        db.rollback()
        latest = audit_verification.latest(db)
        assert latest is not None and latest.ok and latest.full
        return latest.entries

    login(client, users["admin"])
    n = verified()
    assert f"The hash chain of {n} entries verifies." in client.get("/admin/audit").get_data(as_text=True)
    accounts.issue_token(session=db, user=users["admin"].user, name="t", by="test")
    db.rollback()
    n = verified()
    form = "قيود" if 3 <= n % 100 <= 10 else "قيداً" if 11 <= n % 100 <= 99 else "قيد"
    client.get("/language/ar")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert f"سلسلة البصمات لـ {n} {form} سليمة." in page
