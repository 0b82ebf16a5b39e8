"""`labtrack backup DIR`, `labtrack backup verify DIR`, `labtrack restore DIR`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from labtrack.db import get_engine
from labtrack.services import audit_seal
from labtrack.services import backup as backup_service


def _seal() -> audit_seal.Seal:
    seal = audit_seal.seal_of(get_engine())
    return seal if seal is not None else audit_seal.seal_from_config(current_app.config)


def _keys() -> dict[str, str]:
    """The keys in use, whether set in the environment or kept in the instance folder."""
    instance = Path(current_app.instance_path)
    keys = {name: str(current_app.config.get(setting) or "") for name, setting in
            (("secret_key", "SECRET_KEY"), ("audit_key", "AUDIT_KEY"), ("inquiry_key", "INQUIRY_KEY"))}
    for name in backup_service.KEY_FILES:
        if not keys[name] and (instance / name).is_file():
            keys[name] = (instance / name).read_text()
    return keys


def _fail(error: Exception) -> None:
    click.echo(f"FAILED: {error}", err=True)
    raise SystemExit(1)


class _CreateByDefault(click.Group):
    """``labtrack backup DIR`` means ``labtrack backup create DIR``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["create", *args]
        return super().parse_args(ctx, args)


@click.group("backup", cls=_CreateByDefault)
def backup() -> None:
    """Backups: `labtrack backup DIR` writes one, `labtrack backup verify DIR` checks one."""


@backup.command("create")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def create(directory: Path) -> None:
    """Back up the database (a consistent snapshot, taken while the lab works), the keys and the
    audit checkpoints into the new directory DIRECTORY, with a manifest of SHA-256 hashes."""
    try:
        report = backup_service.create_backup(get_engine(), _keys(), directory, _seal())
    except (backup_service.BackupError, OSError) as error:
        _fail(error)
        return
    click.echo(f"Backup written to {report.directory}: {report.database_file}, "
               f"{len(report.files)} files, audit log up to {report.head}.")
    click.echo("It holds the keys: keep it as safe as the server (encrypted, off site).")


@backup.command("verify")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def verify(directory: Path) -> None:
    """Check a backup: every file against the manifest, the database's integrity and its audit
    chain against the checkpoints kept with it."""
    try:
        result = backup_service.verify_backup(directory, _seal())
    except (backup_service.BackupError, OSError) as error:
        _fail(error)
        return
    if result is None:
        click.echo(f"OK: the files of {directory} match the manifest (a PostgreSQL dump: its audit "
                   "log is verified after a restore).")
        return
    click.echo(f"OK: {directory} is intact: {result.entries} audit entries verify against "
               f"{result.checkpoints} checkpoints.")


@click.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing database and the keys in the instance folder.")
@with_appcontext
def restore(directory: Path, force: bool) -> None:
    """Restore a backup made by `labtrack backup` into the configured database (checked before
    and after)."""
    try:
        result = backup_service.restore_backup(directory, get_engine(), Path(current_app.instance_path),
                                               _seal(), force=force)
    except (backup_service.BackupError, OSError) as error:
        _fail(error)
        return
    click.echo(f"Restored from {directory}: {result.entries} audit entries verify against "
               f"{result.checkpoints} checkpoints. Restart the application.")
