"""The audit log: written in the same transaction, append-only in the database, hash-chained."""

from __future__ import annotations

import json
import threading

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, select

from labtrack.db import get_engine
from labtrack.models import AuditEntry, Site
from labtrack.services import audit
from labtrack.services.transaction import write
from tests.factories import make_user


def _add_site(db: Session, code: str, actor: object = "tester") -> Site:
    site = Site(code=code, name_en=f"Site {code}")
    with write(db, actor=actor, reason="test"):  # type: ignore[arg-type]
        db.add(site)
    return site


def test_create_and_change_write_entries_with_before_and_after(db: Session) -> None:
    site = _add_site(db, "AAA")
    with write(db, actor="tester", reason="renamed"):
        site.name_en = "Renamed"
        db.add(site)
    entries = audit.history(db, "site", str(site.id))
    assert [e.action for e in entries] == ["create", "update"]
    assert '"name_en":"Renamed"' in entries[1].after_json
    assert '"name_en":"Site AAA"' in entries[1].before_json
    assert entries[1].reason == "renamed" and entries[1].actor == "tester"
    assert audit.verify_chain(db).ok


def test_failed_transaction_leaves_neither_record_nor_entry(db: Session) -> None:
    with pytest.raises(RuntimeError), write(db, actor="tester"):
        db.add(Site(code="BBB", name_en="x"))
        db.flush()
        raise RuntimeError("boom")
    assert db.exec(select(Site)).all() == []
    assert db.exec(select(AuditEntry)).all() == []


def test_writes_without_an_actor_are_refused(db: Session) -> None:
    db.add(Site(code="CCC", name_en="x"))
    with pytest.raises(audit.MissingActor):
        db.flush()
    db.rollback()


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET actor = 'mallory'",
    "DELETE FROM audit_entry",
])
def test_database_refuses_update_and_delete(app: Flask, db: Session, statement: str) -> None:
    _add_site(db, "DDD")
    with pytest.raises(DatabaseError, match="append-only"), get_engine(app).begin() as connection:
        connection.execute(text(statement))
    assert audit.verify_chain(db).ok


def _drop_guards(app: Flask) -> None:
    """What an attacker with database access would do first."""
    with get_engine(app).begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_entry_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_entry_no_delete")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_entry_append_only ON audit_entry")


def test_verify_names_the_altered_entry(app: Flask, db: Session, runner: FlaskCliRunner) -> None:
    for code in ("EEE", "FFF", "GGG"):
        _add_site(db, code)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    _drop_guards(app)
    with get_engine(app).begin() as connection:
        connection.execute(text("UPDATE audit_entry SET after_json = replace(after_json, 'FFF', 'XXX') WHERE seq = 2"))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "seq 2" in result.output and "altered" in result.output


def test_verify_detects_a_removed_entry(app: Flask, db: Session, runner: FlaskCliRunner) -> None:
    for code in ("HHH", "III", "JJJ"):
        _add_site(db, code)
    _drop_guards(app)
    with get_engine(app).begin() as connection:
        connection.execute(text("DELETE FROM audit_entry WHERE seq = 2"))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "seq 3" in result.output and "removed" in result.output


def test_verify_detects_reordering(app: Flask, db: Session) -> None:
    for code in ("KKK", "LLL", "MMM"):
        _add_site(db, code)
    _drop_guards(app)
    with get_engine(app).begin() as connection:
        connection.execute(text("UPDATE audit_entry SET seq = 100 WHERE seq = 2"))
        connection.execute(text("UPDATE audit_entry SET seq = 2 WHERE seq = 3"))
        connection.execute(text("UPDATE audit_entry SET seq = 3 WHERE seq = 100"))
    result = audit.verify_chain(db)
    assert not result.ok and result.first_break is not None and result.first_break.seq == 2


def test_concurrent_writers_do_not_fork_the_chain(app: Flask) -> None:
    errors: list[Exception] = []

    def worker(n: int) -> None:
        session = Session(get_engine(app))
        try:
            for i in range(5):
                _add_site(session, f"{chr(65 + n)}{chr(65 + i)}Z")
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            session.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(get_engine(app)) as session:
        result = audit.verify_chain(session)
        assert result.ok and result.entries == 30
        assert len(session.exec(select(Site)).all()) == 30


def test_user_records_are_audited_without_secrets(db: Session) -> None:
    user = make_user(db, "admin")
    entry = audit.history(db, "user_account", str(user.id))[0]
    after = json.loads(entry.after_json)
    assert after["password_hash"].startswith("***") and len(after["password_hash"]) == 3 + 16  # a keyed digest
    assert user.user.password_hash not in entry.after_json


def test_nested_write_joins_the_outer_transaction(db: Session) -> None:
    with pytest.raises(RuntimeError), write(db, actor="tester"):
        db.add(Site(code="NNA", name_en="outer"))
        with write(db, actor="tester"):
            db.add(Site(code="NNB", name_en="inner"))
        raise RuntimeError("outer fails after the inner block")
    assert db.exec(select(Site)).all() == []
    with write(db, actor="tester"):
        db.add(Site(code="NNC", name_en="outer"))
        with write(db, actor="tester"):
            db.add(Site(code="NND", name_en="inner"))
    assert {s.code for s in db.exec(select(Site)).all()} == {"NNC", "NND"}


def test_changing_an_evidence_row_through_a_service_is_a_conflict_not_a_crash(db: Session) -> None:
    from labtrack.core.errors import Conflict

    _add_site(db, "OOO")
    entry = db.exec(select(AuditEntry)).first()
    assert entry is not None
    with pytest.raises(Conflict, match="append-only"), write(db, actor="tester"):
        entry.actor = "mallory"
        db.add(entry)
    db.rollback()
    assert audit.verify_chain(db).ok
