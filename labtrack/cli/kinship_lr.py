"""`labtrack kinship lr`: likelihood ratios of the cases of a cases.csv file (owned by the
kinship engine work). Reads exchange-format files, writes CSV; bad input stops with every
problem listed and nothing written."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import click

from labtrack.cli.kinship_models import model_options, pop_models
from labtrack.core.errors import InputError
from labtrack.imports.kinship_job import load_job
from labtrack.kinship.lr import case_lr
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
@model_options
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
    per_locus_path: Path | None,
    min_freq: float | None,
    **models: Any,
) -> None:
    """Likelihood ratios for the cases of a cases.csv file.

    With --dropout/--dropin, a locus of the unknown sample showing one allele (empty allele2 in
    genotypes.csv) may be a heterozygote whose other allele dropped out; without them it is
    read as a homozygote."""
    if not 0.0 <= theta < 1.0:
        raise click.BadParameter("theta must be in [0, 1)", param_hint="--theta")
    mutation, drop = pop_models(models)
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
                drop=drop,
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


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
