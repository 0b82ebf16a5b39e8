"""`labtrack kinship dvi DIR --out OUT`: joint DVI of a dataset folder (exchange format, DVI
extension). Writes pairwise_lr.csv, joint.csv, bmarginal.csv and conclusions.csv into OUT; bad
input stops with every problem listed and nothing written."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import click

from labtrack.core.errors import InputError, InputProblem
from labtrack.imports.dvi_dataset import read_dvi_dataset
from labtrack.imports.exchange import _read_table
from labtrack.kinship.dvi import (
    DEFAULT_MAX_STATES,
    MAX_INCOMP,
    THRESHOLD,
    THRESHOLD2,
    EventLikelihood,
    joint,
    pairwise_log_lr,
    solve,
)
from labtrack.kinship.dvi.problem import NOBODY, DVIProblem
from labtrack.kinship.dvi.report import (
    CONCLUSION_COLUMNS,
    PAIRWISE_COLUMNS,
    conclusion_rows,
    joint_columns,
    joint_rows,
    marginal_columns,
    marginal_rows,
    pairwise_rows,
)


@click.command("dvi")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="output folder (created if needed)")
@click.option("--top", type=click.IntRange(min=1), default=100, show_default=True,
              help="joint assignments written to joint.csv")
@click.option("--tolerance", type=click.FloatRange(min=0, max=1e-3), default=None,
              help="relative mass below which partial assignments are dropped "
              "(default: 0 = exact when the event is small, else 1e-12)")
@click.option("--max-states", type=click.IntRange(min=1), default=DEFAULT_MAX_STATES,
              show_default=True, help="above this the sequential route is used")
@click.option("--min-lr", type=click.FloatRange(min=0, max=1e-3), default=0.0,
              show_default=True, help="pairings with a pairwise LR below this are dropped "
              "like exclusions (their mass is added to the reported bound)")
@click.option("--prior", "prior_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="CSV victim,candidate,weight: prior weight of each pairing "
              "(candidate a missing person id or *; missing rows weigh 1); default flat")
@click.option("--threshold", type=float, default=THRESHOLD, show_default=True,
              help="LR/GLR threshold for a match (conclusions)")
@click.option("--threshold2", type=float, default=THRESHOLD2, show_default=True,
              help="LR threshold of the second step (conclusions)")
@click.option("--max-incomp", type=int, default=MAX_INCOMP, show_default=True,
              help="incompatible markers allowed before a pairing is excluded")
def dvi_command(
    directory: Path,
    out_dir: Path,
    top: int,
    tolerance: float | None,
    max_states: int,
    min_lr: float,
    prior_path: Path | None,
    threshold: float,
    threshold2: float,
    max_incomp: int,
) -> None:
    """Joint DVI: every assignment of victims to missing persons, ranked, with posterior
    pairing probabilities and conclusions."""
    try:
        problem = read_dvi_dataset(directory)
        prior = read_prior(prior_path, problem) if prior_path else None
        lik = EventLikelihood(problem)
        pair = pairwise_log_lr(lik)
        result = joint(problem, lik, tolerance=tolerance, max_states=max_states, top=top,
                       min_log_lr=math.log(min_lr) if min_lr > 0 else -math.inf, prior=prior)
        conclusions = solve(problem, lik, threshold=threshold, threshold2=threshold2,
                            max_incomp=max_incomp)  # fmt: skip
    except InputError as exc:
        raise click.ClickException(str(exc)) from exc
    except ValueError as exc:
        raise click.ClickException(f"cannot compute: {exc}") from exc
    for warning in problem.warnings:
        click.echo(f"warning: {warning}", err=True)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _write(out_dir / "pairwise_lr.csv", PAIRWISE_COLUMNS, pairwise_rows(problem, pair))
        _write(out_dir / "joint.csv", joint_columns(result), joint_rows(result, top))
        _write(out_dir / "bmarginal.csv", marginal_columns(result), marginal_rows(result))
        _write(out_dir / "conclusions.csv", CONCLUSION_COLUMNS, conclusion_rows(conclusions))
    except OSError as exc:
        raise click.ClickException(f"cannot write the output: {exc}") from exc
    if result.method == "sequential":
        click.echo(f"note: {result.message}", err=True)
    if result.neglected_mass > 0:
        click.echo(
            "note: assignments of negligible weight were dropped; the posterior mass left out "
            f"is at most {result.neglected_mass:.3g}", err=True)
    click.echo(
        f"{len(problem.victims)} victims, {len(problem.missing_ids)} missing persons in "
        f"{len(problem.families)} families: {result.n_assignments} assignments in "
        f"{result.components} independent parts ({result.method}, {result.visited} visited, "
        f"{result.pruned_pairings} pairings excluded); results in {out_dir}"
    )


def read_prior(path: Path, problem: DVIProblem) -> dict[tuple[str, str], float]:
    """`victim,candidate,weight` -> natural-log prior weights; every problem listed."""
    frame, rows, name = _read_table(path, ["victim", "candidate", "weight"])
    problems: list[InputProblem] = []
    prior: dict[tuple[str, str], float] = {}
    victims, missing = set(problem.victim_ids), set(problem.missing_ids)
    for row, (victim, candidate, weight) in zip(
            rows, frame[["victim", "candidate", "weight"]].itertuples(index=False), strict=True):
        if victim not in victims:
            problems.append(InputProblem(file=name, row=row, field="victim", message=f"unknown victim {victim!r}"))
        if candidate != NOBODY and candidate not in missing:
            problems.append(InputProblem(file=name, row=row, field="candidate",
                                         message=f"unknown missing person {candidate!r}"))
        try:
            value = float(weight)
        except ValueError:
            value = math.nan
        if not value > 0 or math.isinf(value):
            problems.append(InputProblem(file=name, row=row, field="weight",
                                         message=f"not a positive number: {weight!r}"))
            continue
        prior[(victim, candidate)] = math.log(value)
    if problems:
        raise InputError(problems)
    return prior


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
