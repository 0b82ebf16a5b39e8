"""Backups that can be trusted: a consistent copy of the database taken while the lab works, the
keys that the database needs (session secret, audit key, inquiry key) and the audit checkpoints,
with a manifest of SHA-256 hashes; a check of a backup; and a restore that checks what it restored.

SQLite: SQLite's online backup API copies a consistent snapshot while other connections keep
writing (a plain ``cp`` of a live WAL database can lose committed transactions). PostgreSQL:
``pg_dump --format=custom`` of a snapshot exported by the transaction that reads the audit head
(so the manifest's head is the dump's own), restored with ``pg_restore`` in one transaction
(into an empty database, or with ``--force``: ``--clean``). One labtrack per database: the dump
holds the whole database.

The checkpoint file is copied *before* the snapshot, so that none of its checkpoints lies beyond
the snapshot's last audit entry, and the snapshot's own head is appended (signed) to the copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine
from sqlmodel import Session

from labtrack.models import utcnow
from labtrack.services import audit, audit_seal
from labtrack.version import __version__

MANIFEST = "manifest.json"
SQLITE_FILE = "labtrack.sqlite"
PG_FILE = "labtrack.pgdump"
CHECKPOINTS = "audit-checkpoints.jsonl"
KEY_FILES = ("secret_key", "audit_key", "inquiry_key")


class BackupError(RuntimeError):
    """The backup could not be made, checked or restored; the message says why."""


@dataclass(frozen=True)
class BackupReport:
    directory: Path
    database_file: str
    audit_entries: int
    head: str
    files: dict[str, str]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _private_copy(source: Path, target: Path) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        shutil.copyfileobj(src, out)


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def sqlite_snapshot(source: Path, target: Path) -> None:
    """Copy ``source`` into ``target`` with SQLite's online backup API (one step: a consistent
    snapshot; writers in WAL mode are not blocked meanwhile)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file (no -wal beside it)
    finally:
        dst.close()
        src.close()


def _pg_url(engine: Engine) -> str:
    """The database URL for the PostgreSQL client tools, without the password (given to them in
    ``PGPASSWORD``, never on a command line that every user of the server can list)."""
    url = engine.url
    return URL.create("postgresql", username=url.username, host=url.host, port=url.port, database=url.database,
                      query=url.query).render_as_string(hide_password=False)


def _pg_env(engine: Engine) -> dict[str, str]:
    env = dict(os.environ)
    if engine.url.password:
        env["PGPASSWORD"] = str(engine.url.password)
    return env


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, env=env)  # noqa: S603 - fixed argv of pg_dump/pg_restore, no shell  # nosec B603
    except FileNotFoundError as error:
        raise BackupError(f"{command[0]} is not installed: install the PostgreSQL client tools") from error
    except subprocess.CalledProcessError as error:
        raise BackupError(f"{command[0]} failed: {error.stderr.strip()[:500]}") from error


def pg_dump_snapshot(engine: Engine, target: Path) -> tuple[int, str]:
    """``pg_dump --format=custom`` of the database into ``target``, and the audit head *of the dump*:
    the head is read in a repeatable-read transaction whose snapshot pg_dump is told to use
    (``--snapshot``), so writes that go on during the dump are in neither."""
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            with Session(bind=connection) as session:
                seq, digest = _head_in(session)
            _run(["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={target}",
                  _pg_url(engine)], env=_pg_env(engine))
    return seq, digest


def _head_in(session: Session) -> tuple[int, str]:
    head = audit.head(session)
    return (head.seq, head.entry_hash) if head else (0, audit.GENESIS)


def _has_labtrack_tables(engine: Engine) -> bool:
    from sqlalchemy import inspect

    return inspect(engine).has_table("audit_entry")


def _head_of(engine: Engine) -> tuple[int, str]:
    with Session(engine) as session:
        return _head_in(session)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def create_backup(engine: Engine, keys: dict[str, str], directory: Path, seal: audit_seal.Seal) -> BackupReport:
    """Write a backup of the database ``engine`` and the ``keys`` in use (name in ``KEY_FILES`` →
    text; from the environment or the instance folder) into ``directory`` (created; must be empty)."""
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: give a new directory for each backup")
    os.chmod(directory, 0o700)
    if seal.checkpoint_file is not None and Path(seal.checkpoint_file).is_file():
        _private_copy(Path(seal.checkpoint_file), directory / CHECKPOINTS)  # before the snapshot
    if engine.dialect.name == "sqlite":
        database_file = SQLITE_FILE
        sqlite_snapshot(_sqlite_path(engine), directory / SQLITE_FILE)
        os.chmod(directory / SQLITE_FILE, 0o600)
        snapshot = create_engine(f"sqlite:///{(directory / SQLITE_FILE).as_posix()}")
        seq, digest = _head_of(snapshot)
        snapshot.dispose()
    else:
        database_file = PG_FILE
        seq, digest = pg_dump_snapshot(engine, directory / PG_FILE)
        os.chmod(directory / PG_FILE, 0o600)
    if seq:  # the head of the snapshot itself (SQLite file or PostgreSQL dump), signed
        with (directory / CHECKPOINTS).open("a", encoding="ascii") as handle:
            handle.write(seal.checkpoint_line(seq, digest, utcnow().isoformat()) + "\n")
    for name in KEY_FILES:
        if keys.get(name):
            _write_private(directory / name, keys[name])
    files = {path.name: _sha256(path) for path in sorted(directory.iterdir())}
    manifest = {"labtrack": __version__, "created_at": utcnow().isoformat(), "database": engine.dialect.name,
                "database_file": database_file, "audit_head": {"seq": seq, "hash": digest}, "files": files}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return BackupReport(directory, database_file, seq, f"{seq}:{digest[:16]}", files)


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(f"{directory} holds no {MANIFEST}: not a labtrack backup")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise BackupError(f"{path} is not valid JSON: {error}") from error
    return manifest


def check_files(directory: Path) -> Iterator[str]:
    """Problems with the backup's files (missing, changed, unexpected); nothing when intact."""
    manifest = read_manifest(directory)
    listed: dict[str, str] = manifest.get("files", {})
    for name, digest in listed.items():
        path = directory / name
        if not path.is_file():
            yield f"{name} is missing"
        elif _sha256(path) != digest:
            yield f"{name} does not match its SHA-256 in the manifest"
    for path in directory.iterdir():
        if path.name not in listed and path.name != MANIFEST:
            yield f"{path.name} is not in the manifest"
    if manifest.get("database_file") not in listed:
        yield "the manifest names no database file"


def _backup_seal(directory: Path, fallback: audit_seal.Seal) -> audit_seal.Seal:
    key_file = directory / "audit_key"
    key = audit_seal.key_from_text(key_file.read_text()) if key_file.is_file() else fallback.key
    return audit_seal.Seal(key=key, checkpoint_file=None)


def verify_database(engine: Engine, seal: audit_seal.Seal, checkpoints: Path | None) -> audit.VerifyResult:
    anchors = list(seal.read_checkpoints(checkpoints)) if checkpoints and checkpoints.is_file() else []
    with Session(engine) as session:
        return audit.verify_chain(session, seal=seal, checkpoints=anchors)


def verify_backup(directory: Path, fallback_seal: audit_seal.Seal) -> audit.VerifyResult | None:
    """Check the files against the manifest, the SQLite file's integrity and its audit chain
    against the checkpoints copied with it. Raises ``BackupError`` naming the first problem.
    Returns the chain check (None for a PostgreSQL dump, checked after ``restore``)."""
    problems = list(check_files(directory))
    if problems:
        raise BackupError(f"{directory}: " + "; ".join(problems))
    manifest = read_manifest(directory)
    if manifest["database_file"] != SQLITE_FILE:
        return None
    path = directory / SQLITE_FILE
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()
    if integrity != "ok":
        raise BackupError(f"{path}: SQLite integrity check failed: {integrity}")
    snapshot = create_engine("sqlite://", creator=lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True))
    try:
        result = verify_database(snapshot, _backup_seal(directory, fallback_seal), directory / CHECKPOINTS)
    except audit_seal.CheckpointError as error:
        raise BackupError(str(error)) from error
    finally:
        snapshot.dispose()
    if not result.ok:
        raise BackupError(f"the backup's audit log does not verify: {result.first_break}")
    head = manifest.get("audit_head", {})
    if result.entries != head.get("seq"):
        raise BackupError(f"the backup holds {result.entries} audit entries, its manifest {head.get('seq')}")
    return result


def restore_backup(directory: Path, engine: Engine, instance: Path, fallback_seal: audit_seal.Seal, *,
                   force: bool = False) -> audit.VerifyResult:
    """Check the backup, then put its database in place of ``engine``'s and its keys and
    checkpoints into ``instance``; returns the check of the restored audit chain."""
    verify_backup(directory, fallback_seal)
    manifest = read_manifest(directory)
    if manifest["database"] != engine.dialect.name:
        raise BackupError(f"this is a {manifest['database']} backup; the configured database is "
                          f"{engine.dialect.name}")
    engine.dispose()
    if engine.dialect.name == "sqlite":
        target = _sqlite_path(engine)
        if target.exists() and target.stat().st_size and not force:
            raise BackupError(f"{target} exists: move it away first, or restore with --force")
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        sqlite_snapshot(directory / SQLITE_FILE, target)
    else:
        if not force and _has_labtrack_tables(engine):
            raise BackupError(f"the database {engine.url.database} holds labtrack tables: restore into an empty "
                              "database, or with --force")
        options = ["--clean", "--if-exists"] if force else []
        _run(["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", *options,
              f"--dbname={_pg_url(engine)}", str(directory / PG_FILE)], env=_pg_env(engine))
        engine.dispose()
    instance.mkdir(parents=True, exist_ok=True)
    for name in (*KEY_FILES, CHECKPOINTS):
        source = directory / name
        if source.is_file() and (force or not (instance / name).exists()):
            _private_copy(source, instance / name)
    seal = _backup_seal(directory, fallback_seal)
    result = verify_database(engine, seal, directory / CHECKPOINTS)
    if not result.ok:
        raise BackupError(f"the restored audit log does not verify: {result.first_break}")
    expected = manifest.get("audit_head", {}).get("seq")
    if result.entries != expected:
        raise BackupError(f"the restored database holds {result.entries} audit entries, the backup's manifest "
                          f"{expected}")
    return result
