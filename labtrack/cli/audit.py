"""`labtrack audit verify`: walk the keyed hash chain and compare it with the checkpoints kept
outside the database; `audit head`: the chain head to write down or print."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from labtrack.db import get_engine, standalone_session
from labtrack.services import audit as audit_service
from labtrack.services import audit_deep, audit_seal


@click.group("audit")
def audit() -> None:
    """The tamper-evident audit log."""


def _seal() -> audit_seal.Seal:
    seal = audit_seal.seal_of(get_engine())
    return seal if seal is not None else audit_seal.seal_from_config(current_app.config)


def _checkpoints(seal: audit_seal.Seal, given: tuple[str, ...]) -> list[audit_seal.Checkpoint]:
    anchors: list[audit_seal.Checkpoint] = []
    if not given and seal.checkpoint_file is not None and Path(seal.checkpoint_file).is_file():
        anchors.extend(seal.read_checkpoints(Path(seal.checkpoint_file)))
    for value in given:
        anchors.extend(audit_seal.parse_checkpoint_argument(seal, value))
    return anchors


@audit.command("verify")
@click.option("--checkpoint", "checkpoints", multiple=True, metavar="FILE|SEQ:HASH",
              help="Compare with this checkpoint file, or the SEQ:HASH printed on a document "
                   "(repeatable; default: the checkpoint file in the instance folder).")
@click.option("--deep", is_flag=True,
              help="Also compare every row of every table (genotypes, matches, reviews, identifications, "
                   "documents, users and roles, consents, ...) with what the audit log says it is.")
@with_appcontext
def verify(checkpoints: tuple[str, ...], deep: bool) -> None:
    """Verify the audit chain, its key signatures and the checkpoints kept outside the database;
    exit 1 and name the first bad entry when the log was tampered with. With --deep, also name
    every row changed, added or deleted behind the application's back."""
    seal = _seal()
    try:
        anchors = _checkpoints(seal, checkpoints)
    except audit_seal.CheckpointError as error:
        click.echo(f"TAMPERED: {error}", err=True)
        raise SystemExit(1) from error
    with standalone_session() as db:
        result = audit_service.verify_chain(db, seal=seal, checkpoints=anchors)
    if not result.ok:
        click.echo(f"TAMPERED: {result.first_break}", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {result.entries} audit entries, hash chain and key signatures intact; "
               f"{result.checkpoints} checkpoints agree (the latest at seq {result.last_checkpoint}).")
    if result.unkeyed:
        click.echo(f"Note: the first {result.unkeyed} entries were written before the chain was keyed; "
                   "the first keyed entry vouches for them.")
    if not anchors:
        click.echo("Warning: no checkpoint was compared; deleting the last entries would not be seen.",
                   err=True)
    if deep:
        _deep(seal)


def _deep(seal: audit_seal.Seal) -> None:
    with standalone_session() as db:
        found = audit_deep.deep_verify(db, seal=seal)
    if found.ok:
        click.echo(f"OK: {found.rows} rows agree with the audit log.")
        return
    for discrepancy in found.discrepancies:
        click.echo(f"TAMPERED: {discrepancy}", err=True)
    raise SystemExit(1)


@audit.command("head")
@with_appcontext
def head() -> None:
    """Print the current chain head (SEQ:HASH) to write down or keep elsewhere as a checkpoint."""
    with standalone_session() as db:
        current = audit_service.head(db)
    click.echo(current.printed() if current else "0: the audit log is empty")
