"""Attacks on the audit log by someone with the database but not the audit key, made behind the
app's back (triggers dropped): each one is named by `labtrack audit verify`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import text
from sqlmodel import Session

from labtrack.db import get_engine
from labtrack.models import Site
from labtrack.services import audit
from labtrack.services.transaction import write


def _add_sites(db: Session, count: int, prefix: str = "S") -> None:
    for n in range(count):
        with write(db, actor="tester", reason="test"):
            db.add(Site(code=f"{prefix}{n:02d}", name_en=f"Site {n}"))


def _drop_guards(app: Flask) -> None:
    with get_engine(app).begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_entry_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_entry_no_delete")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_entry_append_only ON audit_entry")


def _sql(app: Flask, statement: str, **params: object) -> None:
    with get_engine(app).begin() as connection:
        connection.execute(text(statement), params)


def _rehash_from(app: Flask, seq: int, *, mac: str | None = "keep") -> None:
    """Recompute the plain SHA-256 chain from ``seq`` on, as an attacker without the key can."""
    with get_engine(app).begin() as connection:
        rows = connection.execute(text("SELECT * FROM audit_entry ORDER BY seq")).mappings().all()
        prev = audit.GENESIS
        for row in rows:
            entry = dict(row)
            if entry["seq"] >= seq:
                digest = audit.entry_hash(prev, entry)
                connection.execute(
                    text("UPDATE audit_entry SET prev_hash = :p, entry_hash = :h, mac = :m WHERE seq = :s"),
                    {"p": prev, "h": digest, "s": entry["seq"],
                     "m": entry["mac"] if mac == "keep" else mac})
                prev = digest
            else:
                prev = entry["entry_hash"]


def _verify(runner: FlaskCliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(args=["audit", "verify", *args])
    return result.exit_code, result.output


def test_an_intact_log_verifies_with_its_checkpoints(db: Session, runner: FlaskCliRunner, app: Flask) -> None:
    _add_sites(db, 3)
    lines = Path(app.config["AUDIT_CHECKPOINT_FILE"]).read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2, 3]
    code, output = _verify(runner)
    assert code == 0, output
    assert "OK: 3 audit entries" in output and "3 checkpoints agree (the latest at seq 3)" in output


@pytest.mark.parametrize("removed", [1, 50])
def test_deleting_the_last_entries_is_seen(app: Flask, db: Session, runner: FlaskCliRunner, removed: int) -> None:
    _add_sites(db, 60)
    _drop_guards(app)
    _sql(app, "DELETE FROM audit_entry WHERE seq > :keep", keep=60 - removed)
    code, output = _verify(runner)
    assert code == 1
    assert f"the log ends at seq {60 - removed}" in output and "records seq 60" in output
    assert f"entries {61 - removed}..60 were deleted" in output


def test_an_edit_followed_by_rehashing_every_later_entry_is_seen(app: Flask, db: Session,
                                                                  runner: FlaskCliRunner) -> None:
    _add_sites(db, 5)
    _drop_guards(app)
    _sql(app, "UPDATE audit_entry SET after_json = replace(after_json, 'S02', 'X02') WHERE seq = 3")
    _rehash_from(app, 3)
    with Session(get_engine(app)) as fresh:
        assert audit.verify_chain(fresh).ok  # the plain SHA-256 chain alone is fooled
    code, output = _verify(runner)
    assert code == 1 and "seq 3" in output and "HMAC" in output and "without the audit key" in output


def test_rehashing_and_stripping_the_key_signatures_is_seen(app: Flask, db: Session,
                                                            runner: FlaskCliRunner) -> None:
    _add_sites(db, 5)
    _drop_guards(app)
    _sql(app, "UPDATE audit_entry SET after_json = replace(after_json, 'S03', 'X03') WHERE seq = 4")
    _rehash_from(app, 4, mac=None)
    code, output = _verify(runner)
    assert code == 1 and "seq 4" in output and "carries no audit key signature" in output


def test_stripping_every_signature_is_caught_by_the_checkpoints(app: Flask, db: Session,
                                                                runner: FlaskCliRunner) -> None:
    _add_sites(db, 4)
    _drop_guards(app)
    _sql(app, "UPDATE audit_entry SET after_json = replace(after_json, 'S00', 'X00') WHERE seq = 1")
    _rehash_from(app, 1, mac=None)
    code, output = _verify(runner)
    assert code == 1 and "seq 1" in output and "rewritten" in output


def test_a_forged_entry_appended_is_seen(app: Flask, db: Session, runner: FlaskCliRunner) -> None:
    _add_sites(db, 3)
    with get_engine(app).begin() as connection:
        last = connection.execute(text("SELECT * FROM audit_entry WHERE seq = 3")).mappings().one()
        forged = {**dict(last), "seq": 4, "action": "create", "entity_id": "999",
                  "after_json": '{"code":"FAKE"}', "prev_hash": last["entry_hash"]}
        forged["entry_hash"] = audit.entry_hash(last["entry_hash"], forged)
        forged["mac"] = "0" * 64
        forged.pop("id")
        connection.execute(text(
            "INSERT INTO audit_entry (seq, at, actor_id, actor, action, entity_type, entity_id, reason, "
            "before_json, after_json, prev_hash, entry_hash, mac) VALUES (:seq, :at, :actor_id, :actor, "
            ":action, :entity_type, :entity_id, :reason, :before_json, :after_json, :prev_hash, "
            ":entry_hash, :mac)"), forged)
    code, output = _verify(runner)
    assert code == 1 and "seq 4" in output and "forged" in output


def test_an_edited_checkpoint_file_is_refused(app: Flask, db: Session, runner: FlaskCliRunner) -> None:
    _add_sites(db, 2)
    path = Path(app.config["AUDIT_CHECKPOINT_FILE"])
    data = json.loads(path.read_text().splitlines()[-1])
    path.write_text(json.dumps({**data, "seq": 1}) + "\n")
    code, output = _verify(runner)
    assert code == 1 and "line 1" in output and "not signed with the audit key" in output


def test_a_head_written_down_or_printed_catches_truncation_without_the_file(
        app: Flask, db: Session, runner: FlaskCliRunner) -> None:
    _add_sites(db, 6)
    printed = runner.invoke(args=["audit", "head"]).output.strip()
    assert printed.startswith("6:") and len(printed) == 2 + 16
    Path(app.config["AUDIT_CHECKPOINT_FILE"]).unlink()  # the attacker removes the file as well
    _drop_guards(app)
    _sql(app, "DELETE FROM audit_entry WHERE seq > 4")
    code, output = _verify(runner)
    assert code == 0 and "no checkpoint was compared" in output
    code, output = _verify(runner, "--checkpoint", printed)
    assert code == 1 and "records seq 6" in output and "entries 5..6 were deleted" in output


def test_a_copy_of_the_checkpoint_file_kept_elsewhere_is_an_anchor(
        app: Flask, db: Session, runner: FlaskCliRunner, tmp_path: Path) -> None:
    _add_sites(db, 3)
    copy = tmp_path / "elsewhere.jsonl"
    copy.write_bytes(Path(app.config["AUDIT_CHECKPOINT_FILE"]).read_bytes())
    _drop_guards(app)
    _sql(app, "UPDATE audit_entry SET after_json = replace(after_json, 'S01', 'X01') WHERE seq = 2")
    _rehash_from(app, 2, mac=None)
    Path(app.config["AUDIT_CHECKPOINT_FILE"]).unlink()
    code, output = _verify(runner, "--checkpoint", str(copy))
    assert code == 1 and "seq 2" in output


def test_entries_written_before_the_key_existed_are_vouched_for_by_the_first_keyed_one(
        app: Flask, db: Session, runner: FlaskCliRunner) -> None:
    _add_sites(db, 3)
    _drop_guards(app)
    _sql(app, "UPDATE audit_entry SET mac = NULL WHERE seq < 3")  # a log from before migration 0004
    code, output = _verify(runner)
    assert code == 0 and "the first 2 entries were written before the chain was keyed" in output


def test_the_audit_page_checks_the_key_and_the_checkpoints(app: Flask, db: Session, client, login_as) -> None:
    """The page's verification (a worker job; inline in tests) uses the key and the checkpoints."""
    _add_sites(db, 3)
    login_as("admin")
    client.post("/admin/audit/verify", data={"full": "1"})
    assert "entries verifies." in client.get("/admin/audit").get_data(as_text=True)
    _drop_guards(app)
    with get_engine(app).begin() as connection:
        last = connection.execute(text("SELECT max(seq) FROM audit_entry")).scalar_one()
    _sql(app, "DELETE FROM audit_entry WHERE seq = :s", s=last)
    # the request's own writes (the job queued, claimed) re-use seq {last} with another hash: the
    # checkpoint of seq {last} written before the deletion names the rewrite
    client.post("/admin/audit/verify", data={"full": "1"})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "The audit chain is broken:" in page and f"entry {last} (id" in page
    assert "audit-checkpoints.jsonl" in page and "the log was rewritten" in page
