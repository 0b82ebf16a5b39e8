"""`labtrack profiles check|import|export` and the `staff` elimination database."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import Session, select

from labtrack.core.errors import DomainError
from labtrack.db import standalone_session
from labtrack.imports.profiles import UnreadableFile
from labtrack.imports.reader import FORMATS
from labtrack.models import User
from labtrack.services import exports, profile_import, quality


def fail(error: DomainError) -> click.ClickException:
    return click.ClickException("\n".join([error.message, *(f"  {p}" for p in error.problems)]))


def acting_user(db: Session, username: str | None) -> User:
    """The named user, or the first admin account (the CLI runs with the server's rights)."""
    statement = select(User).where(User.username == username) if username else \
        select(User).where(User.role == "admin").order_by(User.id)  # type: ignore[arg-type]
    user = db.exec(statement).first()
    if user is None:
        raise click.ClickException(f"no user {username!r}" if username else
                                   "no admin account: create one with 'labtrack users create'")
    return user


@click.group("profiles")
def profiles() -> None:
    """DNA profiles: check and import files, export."""


@profiles.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kit", default=None, help="Kit name (default: detected from the loci).")
@click.option("--format", "file_format", type=click.Choice(FORMATS), default="auto", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def check(file: Path, kit: str | None, file_format: str, as_json: bool) -> None:
    """Read and validate FILE without storing anything (sample IDs need not exist)."""
    try:
        parsed = profile_import.check_file(file.read_bytes(), filename=file.name,
                                           file_format=file_format, kit=kit)
    except UnreadableFile as error:
        if as_json:
            click.echo(json.dumps({"format": file_format, "kit": kit or "", "profiles": [],
                                   "problems": [{"file": file.name, "row": None, "field": None,
                                                 "message": str(error)}]}))
        raise click.ClickException(f"{file.name}: {error}") from error
    report = parsed.report()
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    click.echo(f"{file.name}: format {parsed.file_format}, kit {parsed.kit}, "
               f"{len(parsed.profiles)} profile(s), {len(parsed.problems)} problem(s)")
    for profile in parsed.profiles:
        flags = " MIXTURE" if profile.is_mixture else ""
        click.echo(f"  {profile.sample_id}: {profile.n_autosomal_loci} autosomal loci{flags}")
    for problem in parsed.problems:
        click.echo(f"  problem: {problem}")


@profiles.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kit", default=None)
@click.option("--format", "file_format", type=click.Choice(FORMATS), default="auto", show_default=True)
@click.option("--staff", is_flag=True, help="Staff elimination profiles (sample names are staff codes).")
@click.option("--user", "username", default=None, help="Who imports (default: the first admin).")
@click.option("--single-allele", type=click.Choice(["homozygote", "one-seen"]), default=None,
              help="How a single peak (one allele written once) is read; default per sample kind: "
                   "remains one-seen (a possible drop-out), references homozygote. An allele written "
                   "twice is always a homozygote call.")
@with_appcontext
def import_(file: Path, kit: str | None, file_format: str, staff: bool, username: str | None,
            single_allele: str | None) -> None:
    """Store the profiles of FILE, all or nothing."""
    with standalone_session() as db:
        try:
            record = profile_import.import_profiles(
                session=db, raw=file.read_bytes(), filename=file.name, by=acting_user(db, username),
                file_format=file_format, kit=kit, origin="staff" if staff else None,
                min_loci=int(current_app.config.get("MIN_SEARCH_LOCI", 12)), single_allele=single_allele)
        except DomainError as error:
            raise fail(error) from error
        click.echo(f"Imported {record.n_profiles} profile(s) from {file.name} "
                   f"(import #{record.id}, kit {record.kit}); single peaks read as: "
                   f"{single_allele or 'remains one allele seen, references homozygote'}.")


@profiles.command("export")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export(output: Path) -> None:
    """Write current profiles to OUTPUT (.csv or .xlsx)."""
    with standalone_session() as db:
        content, _ = exports.export(exports.profiles_table(db),
                                    fmt="xlsx" if output.suffix == ".xlsx" else "csv", title="profiles")
    output.write_bytes(content)
    click.echo(f"Wrote {output}.")


@profiles.command("add-staff")
@click.argument("code")
@click.option("--role-description", default="")
@with_appcontext
def add_staff(code: str, role_description: str) -> None:
    """Register a staff member for the elimination database."""
    with standalone_session() as db:
        try:
            quality.add_staff_member(session=db, code=code, role_description=role_description,
                                     by=acting_user(db, None))
        except DomainError as error:
            raise fail(error) from error
    click.echo(f"Staff member {code} added.")
