"""`labtrack kinship lr`: likelihood ratios of the cases of a cases.csv file (owned by the
kinship engine work). Reads exchange-format files, writes CSV; bad input stops with every
problem listed and nothing written."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from labtrack.imports.kinship_job import load_job
from labtrack.kinship.lr import case_lr
from labtrack.kinship.mutation import MutationModel
from labtrack.kinship.problems import InputError, InputProblem
from labtrack.kinship.report import CASE_COLUMNS, LOCUS_COLUMNS, case_row, locus_rows

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


@click.command("lr")
@click.option("--freqs", "freqs_path", type=_FILE, required=True, help="freqs.csv")
@click.option("--genotypes", "genotypes_path", type=_FILE, required=True, help="genotypes.csv")
@click.option("--pedigrees", "pedigrees_path", type=_FILE, required=True, help="pedigrees.csv")
@click.option("--cases", "cases_path", type=_FILE, required=True, help="cases.csv")
@click.option("--out", "out_path", type=_OUT, required=True, help="output CSV, one line a case")
@click.option("--theta", type=float, default=0.0, show_default=True, help="Balding–Nichols θ")
@click.option(
    "--mutation-model",
    type=click.Choice(["none", "equal", "proportional", "stepwise"]),
    default="none",
    show_default=True,
)
@click.option("--mutation-rate", type=float, default=None, help="rate per meiosis (all loci)")
@click.option(
    "--mutation-rates",
    "mutation_rates_path",
    type=_FILE,
    default=None,
    help="CSV marker,rate: per-locus rates (others get --mutation-rate, else 0)",
)
@click.option("--mutation-rate2", type=float, default=1e-6, show_default=True)
@click.option("--mutation-range", type=float, default=0.1, show_default=True)
@click.option("--per-locus", "per_locus_path", type=_OUT, default=None, help="per-locus CSV")
@click.option(
    "--min-freq",
    type=float,
    default=None,
    help="frequency of unseen alleles at markers without n_alleles in the table",
)
def lr_command(
    freqs_path: Path,
    genotypes_path: Path,
    pedigrees_path: Path,
    cases_path: Path,
    out_path: Path,
    theta: float,
    mutation_model: str,
    mutation_rate: float | None,
    mutation_rates_path: Path | None,
    mutation_rate2: float,
    mutation_range: float,
    per_locus_path: Path | None,
    min_freq: float | None,
) -> None:
    """Likelihood ratios for the cases of a cases.csv file."""
    if not 0.0 <= theta < 1.0:
        raise click.BadParameter("theta must be in [0, 1)", param_hint="--theta")
    mutation = _mutation(
        mutation_model, mutation_rate, mutation_rates_path, mutation_rate2, mutation_range
    )
    try:
        job = load_job(
            freqs=freqs_path,
            genotypes=genotypes_path,
            pedigrees=pedigrees_path,
            cases=cases_path,
            min_freq=min_freq,
        )
        results = [
            case_lr(
                job.pedigrees[case.family_id],
                job.genotypes,
                case.unknown_sample_id,
                job.freqs,
                theta=theta,
                mutation=mutation,
                case_id=case.case_id,
            )
            for case in job.cases
        ]
    except InputError as exc:
        raise click.ClickException(str(exc)) from exc
    except ValueError as exc:
        raise click.ClickException(f"cannot compute: {exc}") from exc
    for result in results:
        for warning in result.warnings:
            click.echo(f"warning: case {result.case_id}: {warning}", err=True)
    try:
        _write(out_path, CASE_COLUMNS, [case_row(r) for r in results])
        if per_locus_path is not None:
            rows = [row for r in results for row in locus_rows(r)]
            _write(per_locus_path, LOCUS_COLUMNS, rows)
    except OSError as exc:
        raise click.ClickException(f"cannot write the output: {exc}") from exc
    click.echo(f"{len(results)} case(s) written to {out_path}")


def _mutation(
    kind: str,
    rate: float | None,
    rates_path: Path | None,
    rate2: float,
    range_: float,
) -> MutationModel | None:
    if kind == "none":
        if rate is not None or rates_path is not None:
            raise click.BadParameter(
                "a mutation rate needs --mutation-model", param_hint="--mutation-rate"
            )
        return None
    if rate is None and rates_path is None:
        raise click.BadParameter(
            "--mutation-model needs --mutation-rate or --mutation-rates",
            param_hint="--mutation-rate",
        )
    try:
        if rates_path is not None:
            return MutationModel(
                kind, _read_rates(rates_path), rate2, range_, default_rate=rate or 0.0
            )
        return MutationModel(kind, float(rate or 0.0), rate2, range_)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--mutation-rate") from exc


def _read_rates(path: Path) -> dict[str, float]:
    problems: list[InputProblem] = []
    rates: dict[str, float] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        lines = [(n, line) for n, line in enumerate(handle, start=1) if not line.startswith("#")]
    reader = csv.DictReader(line for _, line in lines)
    if reader.fieldnames is None or not {"marker", "rate"} <= set(reader.fieldnames):
        raise click.ClickException(f"{path.name}: columns marker,rate are required")
    for (number, _), row in zip(lines[1:], reader, strict=False):
        try:
            rates[row["marker"].strip()] = float(row["rate"])
        except (TypeError, ValueError):
            message = f"not a number: {row['rate']!r}"
            problems.append(InputProblem(path.name, number, "rate", message))
    if problems:
        raise click.ClickException(str(InputError(problems)))
    return rates


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
