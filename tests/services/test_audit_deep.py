"""`labtrack audit verify --deep`: rows changed, added or deleted behind the app's back (plain
SQL, triggers dropped where needed) are named; an untouched database verifies clean."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import text
from sqlmodel import Session, select

from labtrack.db import get_engine
from labtrack.models import ConsentRecord, Match, MissingPerson, ProfileAllele, User
from labtrack.services import audit_deep, review
from labtrack.services import identification_documents as docs
from tests import factories
from tests.conftest import login
from tests.factories import PASSWORD
from tests.review_factories import make_candidate


@pytest.fixture
def demo(runner: FlaskCliRunner) -> FlaskCliRunner:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return runner


def _sql(app: Flask, statement: str, **params: object) -> None:
    """Plain SQL on a connection of its own (after the test's session has ended its reads, whose
    locks would make PostgreSQL's DROP TRIGGER wait)."""
    with get_engine(app).begin() as connection:
        connection.execute(text(statement), params)


def _deep(runner: FlaskCliRunner) -> tuple[int, str]:
    result = runner.invoke(args=["audit", "verify", "--deep"])
    return result.exit_code, result.output


def test_the_demo_database_agrees_with_its_log_row_by_row(demo: FlaskCliRunner, db: Session) -> None:
    code, output = _deep(demo)
    assert code == 0, output
    rows = audit_deep.deep_verify(db).rows
    assert rows > 500 and f"OK: {rows} rows agree with the audit log." in output


def test_a_genotype_changed_in_the_database_is_named(app: Flask, demo: FlaskCliRunner, db: Session) -> None:
    allele = db.exec(select(ProfileAllele).order_by(ProfileAllele.id)).first()  # type: ignore[arg-type]
    assert allele is not None
    _sql(app, "UPDATE profile_allele SET allele1 = '99' WHERE id = :id", id=allele.id)
    code, output = _deep(demo)
    assert code == 1
    assert f"profile_allele profile_id={allele.profile_id}: the rows differ from those logged by the bulk import" \
        in output


def test_a_profile_row_changed_or_an_allele_added_is_named(app: Flask, demo: FlaskCliRunner, db: Session) -> None:
    allele = db.exec(select(ProfileAllele).order_by(ProfileAllele.id.desc())).first()  # type: ignore[union-attr]
    assert allele is not None
    _sql(app, "UPDATE profile SET searchable = NOT searchable WHERE id = :id", id=allele.profile_id)
    _sql(app, "INSERT INTO profile_allele (profile_id, locus, allele1, allele2, extra_alleles) "
              "VALUES (:p, 'XYZ', '1', '2', '')", p=allele.profile_id)
    code, output = _deep(demo)
    assert code == 1
    assert f"profile {allele.profile_id}: was changed behind the application's back" in output
    assert f"profile_allele profile_id={allele.profile_id}: the rows differ" in output


def test_a_role_and_a_name_changed_in_the_database_are_named_with_the_field(
        app: Flask, demo: FlaskCliRunner, db: Session) -> None:
    user = db.exec(select(User).where(User.role == "technician")).first()
    person = db.exec(select(MissingPerson)).first()
    assert user is not None and person is not None
    _sql(app, "UPDATE user_account SET role = 'admin' WHERE id = :id", id=user.id)
    _sql(app, "UPDATE missing_person SET name_latin = 'Someone Else' WHERE id = :id", id=person.id)
    code, output = _deep(demo)
    assert code == 1
    assert f"user_account {user.id}: was changed behind the application's back: role " \
           "(log: 'technician', now: 'admin')" in output
    assert f"missing_person {person.id}: was changed" in output and "now: 'Someone Else'" in output


def test_a_password_hash_swapped_in_the_database_is_named_without_logging_it(
        app: Flask, runner: FlaskCliRunner, db: Session, users: dict) -> None:
    admin = users["admin"]
    other = users["technician"]
    _sql(app, "UPDATE user_account SET password_hash = :h WHERE id = :id",
         h=db.get(User, other.id).password_hash, id=admin.id)  # the attacker's own password for the admin
    code, output = _deep(runner)
    assert code == 1 and f"user_account {admin.id}: was changed" in output and "password_hash" in output
    assert db.get(User, other.id).password_hash not in output


def test_rows_inserted_or_deleted_behind_the_app_are_named(app: Flask, demo: FlaskCliRunner, db: Session) -> None:
    consent_id = db.exec(select(ConsentRecord.id)).first()
    assert consent_id is not None
    db.rollback()
    _sql(app, "INSERT INTO site (code, name_en, name_ar, governorate, legal_case_ref, status, "
              "next_remains_number, created_at) VALUES ('ZZZ', 'Ghost', '', '', '', 'active', 1, :at)",
         at=datetime(2026, 1, 1, tzinfo=UTC))
    with get_engine(app).begin() as connection:  # a consent withdrawn by deleting it, guards dropped first
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER consent_record_no_delete")
        else:
            connection.exec_driver_sql("DROP TRIGGER consent_record_append_only ON consent_record")
        connection.execute(text("DELETE FROM consent_record WHERE id = :id"), {"id": consent_id})
    code, output = _deep(demo)
    assert code == 1
    assert "site " in output and "is not in the audit log: it was inserted behind the application's back" in output
    assert f"consent_record {consent_id}: is missing" in output


@pytest.fixture
def approved(db: Session):
    first, second = factories.make_user(db, "analyst", "ana1"), factories.make_user(db, "analyst", "ana2")
    c = make_candidate(db, first.user)
    review.propose(session=db, match_id=c.match.id, by=first.user, decision="confirm", reason="consistent",
                   password=PASSWORD)
    approval = review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD)
    return c, approval.identification, first


def test_a_match_posterior_changed_in_the_database_is_named(app: Flask, runner: FlaskCliRunner, db: Session,
                                                             approved) -> None:
    c, _ident, _first = approved
    assert _deep(runner)[0] == 0
    _sql(app, "UPDATE match SET posterior = 0.99999 WHERE id = :id", id=c.match.id)
    code, output = _deep(runner)
    assert code == 1 and f"match {c.match.id}: was changed" in output and "posterior" in output
    assert db.get(Match, c.match.id) is not None


def test_a_document_swapped_with_its_hash_is_refused_and_named(app: Flask, client, runner: FlaskCliRunner,
                                                                db: Session, approved) -> None:
    _c, ident, first = approved
    document, pdf = docs.issue_certificate(session=db, identification_id=ident.id, by=first.user)
    forged = pdf + b"\n% a page appended by the forger\n"
    document_id = document.id
    db.rollback()
    assert forged != pdf
    with get_engine(app).begin() as connection:
        if connection.dialect.name == "sqlite":
            for name in ("issued_document_no_update", "issued_document_content_no_update"):
                connection.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            for table in ("issued_document", "issued_document_content"):
                connection.exec_driver_sql(f"DROP TRIGGER {table}_append_only ON {table}")
        connection.execute(text("UPDATE issued_document_content SET pdf = :pdf WHERE document_id = :id"),
                           {"pdf": forged, "id": document_id})
        connection.execute(text("UPDATE issued_document SET sha256 = :h WHERE id = :id"),
                           {"h": hashlib.sha256(forged).hexdigest(), "id": document_id})
    login(client, first)
    answer = client.get(f"/documents/{document_id}.pdf")
    assert answer.status_code == 409 and answer.data != forged
    code, output = _deep(runner)
    assert code == 1
    assert f"issued_document {document_id}: was changed" in output and "sha256" in output
    assert f"issued_document_content {document_id}: was changed" in output


def test_the_document_register_is_append_only(app: Flask, db: Session, approved) -> None:
    from sqlalchemy.exc import DBAPIError

    _c, ident, first = approved
    document, _pdf = docs.issue_certificate(session=db, identification_id=ident.id, by=first.user)
    with pytest.raises(DBAPIError, match="append-only"), get_engine(app).begin() as connection:
        connection.execute(text("UPDATE issued_document SET sha256 = 'x' WHERE id = :id"), {"id": document.id})


def test_the_audit_head_printed_on_a_document_catches_truncation(app: Flask, runner: FlaskCliRunner, db: Session,
                                                                 approved, tmp_path) -> None:
    from pathlib import Path

    from tests.pdf_text import pdf_text

    _c, ident, first = approved
    before = int(runner.invoke(args=["audit", "head"]).output.split(":")[0])
    document, pdf = docs.issue_certificate(session=db, identification_id=ident.id, by=first.user)
    printed = re.search(r"Audit log checkpoint: (\d+:[0-9a-f]{16})", pdf_text(pdf))
    assert printed is not None
    head = printed.group(1)
    assert int(head.split(":")[0]) >= before
    assert docs.render_stored(document) == pdf  # the head is in the stored params: same bytes again
    seq = int(head.split(":")[0])
    Path(app.config["AUDIT_CHECKPOINT_FILE"]).unlink()  # the attacker removes the file too
    with get_engine(app).begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_entry_no_delete")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_entry_append_only ON audit_entry")
        connection.execute(text("DELETE FROM audit_entry WHERE seq >= :s"), {"s": seq - 1})
    result = runner.invoke(args=["audit", "verify", "--checkpoint", head])
    code, output = result.exit_code, result.output
    assert code == 1 and f"records seq {seq}" in output and "were deleted" in output


def test_secrets_logged_before_they_were_digested_are_not_flagged(app: Flask, db: Session, users: dict) -> None:
    """Entries written before this change hold a bare "***": nothing to compare, no false alarm."""
    from labtrack.services import audit_seal

    with get_engine(app).begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_entry_no_update")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_entry_append_only ON audit_entry")
        rows = connection.execute(text("SELECT id, after_json FROM audit_entry WHERE entity_type = 'user_account'"))
        for entry_id, after in rows.all():
            connection.execute(text("UPDATE audit_entry SET after_json = :a WHERE id = :i"), {
                "a": re.sub(r'"password_hash":"\*\*\*[0-9a-f]{16}"', '"password_hash":"***"', after), "i": entry_id})
        legacy = connection.execute(text("SELECT count(*) FROM audit_entry WHERE after_json LIKE :p"),
                                    {"p": '%"password_hash":"***"%'}).scalar_one()
    assert legacy == len(users)
    seal = audit_seal.seal_of(get_engine(app))
    assert audit_deep.deep_verify(db, seal=seal).ok
