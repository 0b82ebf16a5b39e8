"""`labtrack backup`, `backup verify` and `restore`: a backup taken while writes go on keeps every
transaction committed before it began, verifies, and restores into a database whose audit chain,
checkpoints and rows verify."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlmodel import Session

from labtrack import create_app
from labtrack.db import create_schema, get_engine
from labtrack.models import Site
from labtrack.services.transaction import write
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="SQLite backup API; pg_dump is covered in the README")


def _code(n: int) -> str:
    return f"{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}W"


class Writer(threading.Thread):
    """Adds a site per transaction until stopped; ``committed`` lists what has been committed."""

    def __init__(self, app: Flask) -> None:
        super().__init__(daemon=True)
        self.app, self.committed, self.stop, self.errors = app, [], threading.Event(), []

    def run(self) -> None:
        with Session(get_engine(self.app)) as session:
            n = 0
            while not self.stop.is_set() and n < 600:
                try:
                    with write(session, actor="writer", reason="load"):
                        session.add(Site(code=_code(n), name_en=f"site {n}"))
                except Exception as error:  # noqa: BLE001
                    self.errors.append(error)
                    return
                self.committed.append(_code(n))
                n += 1


def _codes(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        codes = {row[0] for row in connection.execute(text("SELECT code FROM site"))}
    engine.dispose()
    return codes


def test_backup_under_load_keeps_every_committed_write_and_restores_verified(
        app: Flask, runner: FlaskCliRunner, app_config: dict, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    writer = Writer(app)
    writer.start()
    while len(writer.committed) < 30 and writer.is_alive():
        time.sleep(0.01)
    before = list(writer.committed)
    result = runner.invoke(args=["backup", str(tmp_path / "bk")])
    writer.stop.set()
    writer.join()
    assert writer.errors == [] and result.exit_code == 0, result.output
    assert len(writer.committed) > len(before)  # writes went on during the backup
    backed_up = _codes(f"sqlite:///{tmp_path / 'bk' / 'labtrack.sqlite'}")
    assert set(before) <= backed_up and backed_up <= set(writer.committed)
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    assert manifest["audit_head"]["seq"] == len(backed_up)  # one entry per site: a consistent snapshot
    assert {"labtrack.sqlite", "audit_key", "audit-checkpoints.jsonl"} <= set(manifest["files"])
    assert f"audit log up to {manifest['audit_head']['seq']}:" in result.output

    checked = runner.invoke(args=["backup", "verify", str(tmp_path / "bk")])
    assert checked.exit_code == 0 and f"{len(backed_up)} audit entries verify" in checked.output

    monkeypatch.setenv("LABTRACK_INSTANCE_PATH", str(tmp_path / "new-instance"))
    target_url = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    restored_app = create_app({**app_config, "DATABASE_URL": target_url,
                               "AUDIT_CHECKPOINT_FILE": str(tmp_path / "new-instance" / "audit-checkpoints.jsonl")})
    restored = restored_app.test_cli_runner()
    answer = restored.invoke(args=["restore", str(tmp_path / "bk")])
    assert answer.exit_code == 0 and f"Restored from {tmp_path / 'bk'}: {len(backed_up)} audit entries" in answer.output
    assert _codes(target_url) == backed_up
    assert (tmp_path / "new-instance" / "audit_key").read_text() == (tmp_path / "bk" / "audit_key").read_text()
    deep = restored.invoke(args=["audit", "verify", "--deep"])
    assert deep.exit_code == 0 and f"OK: {len(backed_up)} audit entries" in deep.output, deep.output
    again = restored.invoke(args=["restore", str(tmp_path / "bk")])
    assert again.exit_code == 1 and "exists: move it away first, or restore with --force" in again.output
    get_engine(restored_app).dispose()


def test_a_damaged_or_incomplete_backup_is_refused(app: Flask, runner: FlaskCliRunner, db: Session,
                                                   tmp_path: Path) -> None:
    with write(db, actor="tester"):
        db.add(Site(code="BKA", name_en="one"))
    assert runner.invoke(args=["backup", str(tmp_path / "bk")]).exit_code == 0
    data = tmp_path / "bk" / "labtrack.sqlite"
    raw = bytearray(data.read_bytes())
    raw[-100] ^= 0xFF
    data.write_bytes(bytes(raw))
    damaged = runner.invoke(args=["backup", "verify", str(tmp_path / "bk")])
    assert damaged.exit_code == 1 and "labtrack.sqlite does not match its SHA-256 in the manifest" in damaged.output
    (tmp_path / "bk" / "audit_key").unlink()
    missing = runner.invoke(args=["backup", "verify", str(tmp_path / "bk")])
    assert "audit_key is missing" in missing.output
    assert runner.invoke(args=["backup", str(tmp_path / "bk")]).exit_code == 1  # never into a used directory
    assert "not a labtrack backup" in runner.invoke(args=["backup", "verify", str(tmp_path)]).output


def test_a_plain_copy_of_a_live_database_is_what_the_backup_command_avoids(app: Flask, db: Session) -> None:
    """The WAL holds committed transactions that a copy of the main file alone misses."""
    with write(db, actor="tester"):
        db.add(Site(code="CPA", name_en="in the WAL"))
    path = Path(get_engine(app).url.database or "")
    assert Path(f"{path}-wal").stat().st_size > 0
    copy = path.with_name("copy.sqlite")
    copy.write_bytes(path.read_bytes())
    with sqlite3.connect(copy) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        copied = {row[0] for row in connection.execute("SELECT code FROM site")} if "site" in tables else set()
    assert "CPA" not in copied


def test_restore_into_an_empty_schema(app_config: dict, tmp_path: Path, runner: FlaskCliRunner, db: Session,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with write(db, actor="tester"):
        db.add(Site(code="RSA", name_en="one"))
    assert runner.invoke(args=["backup", str(tmp_path / "bk")]).exit_code == 0
    monkeypatch.setenv("LABTRACK_INSTANCE_PATH", str(tmp_path / "other"))
    url = f"sqlite:///{tmp_path / 'other.sqlite'}"
    other = create_app({**app_config, "DATABASE_URL": url})
    create_schema(get_engine(other))  # an existing database is not overwritten without --force
    refused = other.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
    assert refused.exit_code == 1 and "--force" in refused.output
    forced = other.test_cli_runner().invoke(args=["restore", "--force", str(tmp_path / "bk")])
    assert forced.exit_code == 0, forced.output
    assert _codes(url) == {"RSA"}
    get_engine(other).dispose()


def test_demo_on_a_database_never_migrated_says_what_to_run(app_config: dict, tmp_path: Path) -> None:
    app = create_app({**app_config, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}"})
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "has no labtrack tables yet: run `labtrack db upgrade` first" in result.output
    get_engine(app).dispose()


def test_the_licence_is_the_agpl_text_as_the_fsf_publishes_it() -> None:
    """LICENSE is gnu.org's agpl-3.0.txt byte for byte (34,523 bytes), not a re-wrapped copy."""
    data = (Path(__file__).resolve().parents[2] / "LICENSE").read_bytes()
    assert hashlib.sha256(data).hexdigest() == "0d96a4ff68ad6d4b6f1f30f713b18d5184912ba8dd389f86aa7710db079abcb0"
    text = data.decode("utf-8")
    assert text.startswith("                    GNU AFFERO GENERAL PUBLIC LICENSE\n                       Version 3")
    assert "13. Remote Network Interaction; Use with the GNU General Public License." in text
    assert "END OF TERMS AND CONDITIONS" in text
