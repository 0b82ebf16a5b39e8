"""`labtrack kinship search` and `labtrack kinship simulate` (owned by the kinship search work).

search: every remains of a remains list against every family of a pedigrees file; writes the
top-k families per remains (and, on request, the top-k remains per family, a per-remains
summary and remains-to-remains direct matches). Bad input stops with every problem listed
(file, row, field) and nothing written.
"""

from __future__ import annotations

import csv
import os
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click
import numpy as np

from labtrack.cli.kinship_models import model_options, pop_models
from labtrack.core.errors import InputError, InputProblem
from labtrack.imports.exchange import read_freqs, read_genotypes, read_pedigrees
from labtrack.imports.remains_dropout import read_remains_dropout
from labtrack.kinship.dropout import DropModel
from labtrack.kinship.markers import canonical_marker
from labtrack.kinship.mutation import MutationModel
from labtrack.kinship.reassociation import direct_matches, genotype_log10_probabilities
from labtrack.kinship.search import SearchResult, near_miss, search
from labtrack.kinship.search_tables import PreparedSearch, prepare_search
from labtrack.kinship.simulate import simulate
from labtrack.kinship.tables import theta_limit

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_OUT = click.Path(dir_okay=False, writable=True, path_type=Path)
#: The NIST 1036 table shipped with the repository (default of `simulate`).
DEFAULT_FREQS = Path(__file__).resolve().parents[2] / "fixtures" / "freqs" / "nist1036.csv"


@click.command("search")
@click.option("--freqs", "freqs_path", type=_FILE, required=True, help="freqs.csv")
@click.option("--genotypes", "genotypes_path", type=_FILE, required=True, help="genotypes.csv")
@click.option("--pedigrees", "pedigrees_path", type=_FILE, required=True, help="pedigrees.csv")
@click.option("--remains", "remains_path", type=_FILE, required=True, help="remains sample ids")
@click.option("--out", "out_path", type=_OUT, required=True, help="top-k families per remains")
@click.option("--top", "top_k", type=click.IntRange(min=1), default=10, show_default=True)
@click.option(
    "--threshold",
    type=click.FloatRange(min=0, min_open=True),
    default=1e4,
    show_default=True,
    help="LR above which a family counts in the summary",
)
@click.option(
    "--prior",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=None,
    help="prior probability of identity [default: 1 / number of families]",
)
@click.option(
    "--dask",
    "dask_address",
    default=None,
    help="run on Dask: a scheduler address, or 'local' for a LocalCluster",
)
@click.option(
    "--theta",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.0,
    show_default=True,
    help="Balding–Nichols θ of the family tables",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="threads of the in-process search [default: CPU count]",
)
@click.option("--families-out", type=_OUT, default=None, help="top-k remains per family")
@click.option(
    "--summary-out",
    type=_OUT,
    default=None,
    help="per remains: loci typed, families above threshold, undefined families",
)
@click.option("--direct-out", type=_OUT, default=None, help="remains-to-remains direct matches")
@click.option("--direct-min-loci", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--direct-max-mismatches", type=click.IntRange(min=0), default=0, show_default=True)
@model_options
@click.option(
    "--remains-dropout", "remains_dropout_path", type=_FILE, default=None,
    help="CSV sample_id,dropout: own drop-out probability of badly degraded remains",
)
@click.option(
    "--near", "near_k", type=click.IntRange(min=0), default=5, show_default=True,
    help="per remains, families excluded by one or two loci only to list in --near-out",
)
@click.option(
    "--near-out", type=_OUT, default=None,
    help="near misses: families an exclusion at one or two loci keeps out of the top list",
)
def search_command(
    freqs_path: Path,
    genotypes_path: Path,
    pedigrees_path: Path,
    remains_path: Path,
    out_path: Path,
    top_k: int,
    threshold: float,
    prior: float | None,
    dask_address: str | None,
    theta: float,
    threads: int | None,
    families_out: Path | None,
    summary_out: Path | None,
    direct_out: Path | None,
    direct_min_loci: int,
    direct_max_mismatches: int,
    **models: Any,
) -> None:
    """Blind search of remains against families.

    With a mutation model and a drop-out/drop-in model the family tables give the same LR as
    `labtrack kinship lr` with the same options. A family that one or two loci exclude is not
    silently dropped: it is listed in --near-out for an analyst to look at."""
    started = time.perf_counter()
    near_k: int = models.pop("near_k")
    near_out: Path | None = models.pop("near_out")
    remains_dropout_path: Path | None = models.pop("remains_dropout_path")
    mutation, drop = pop_models(models)
    try:
        remains_dropout = (
            read_remains_dropout(remains_dropout_path) if remains_dropout_path else None
        )
        remains_ids, prepared = _load(
            freqs_path,
            genotypes_path,
            pedigrees_path,
            remains_path,
            theta=theta,
            n_threads=threads or os.cpu_count() or 1,
            mutation=mutation,
            drop=drop,
            remains_dropout=remains_dropout,
        )
    except InputError as exc:
        raise click.ClickException(str(exc)) from exc
    except ValueError as exc:
        raise click.ClickException(f"cannot search: {exc}") from exc
    tables = prepared.tables
    _say(
        f"tables: {tables.n_families} families x {len(tables.markers)} loci "
        f"({time.perf_counter() - started:.1f} s)"
    )
    progress = _Progress("searched remains")
    if dask_address:
        from labtrack.kinship.distributed import dask_client, search_dask

        with dask_client(dask_address) as client:
            result = search_dask(
                client,
                tables,
                prepared.rows,
                top_k=top_k,
                threshold=threshold,
                prior=prior,
                near_k=near_k if near_out else 0,
                progress=progress,
            )
    else:
        result = search(
            tables,
            prepared.rows,
            top_k=top_k,
            threshold=threshold,
            prior=prior,
            n_threads=threads or os.cpu_count() or 1,
            near_k=near_k if near_out else 0,
            progress=progress,
        )
    progress.close()
    outputs = [
        (
            out_path,
            ["remains_sample_id", "rank", "family_id", "log10_lr", "posterior"],
            list(_remains_rows(result, remains_ids, tables.family_ids)),
        ),
    ]
    if families_out is not None:
        outputs.append(
            (
                families_out,
                ["family_id", "rank", "remains_sample_id", "log10_lr", "posterior"],
                list(_family_rows(result, remains_ids, tables.family_ids)),
            )
        )
    if near_out is not None and result.near_top is not None:
        outputs.append(
            (
                near_out,
                ["remains_sample_id", "rank", "family_id", "excluded_loci", "log10_lr_other_loci"],
                list(_near_rows(result, remains_ids, tables.family_ids)),
            )
        )
    if summary_out is not None:
        typed = (prepared.genotypes >= 0).sum(axis=1)
        outputs.append(
            (
                summary_out,
                [
                    "remains_sample_id",
                    "loci_typed",
                    "families_above_threshold",
                    "families_undefined",
                ],
                list(zip(remains_ids, typed, result.n_above, result.n_undefined, strict=True)),
            )
        )
    if direct_out is not None:
        outputs.append(
            (
                direct_out,
                [
                    "remains_sample_id_1",
                    "remains_sample_id_2",
                    "log10_lr",
                    "loci_compared",
                    "mismatched_loci",
                    "dropout_loci",
                ],
                list(_direct_rows(prepared, remains_ids, direct_min_loci, direct_max_mismatches)),
            )
        )
    for path, header, rows in outputs:
        _write(path, header, rows)
    _say(
        f"{len(remains_ids)} remains x {tables.n_families} families searched in "
        f"{time.perf_counter() - started:.1f} s; results in {out_path}"
    )


@click.command("simulate")
@click.option("--families", "n_families", type=click.IntRange(min=1), required=True)
@click.option("--remains", "n_remains", type=click.IntRange(min=0), required=True)
@click.option("--loci", "n_loci", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option(
    "--freqs",
    "freqs_path",
    type=_FILE,
    default=None,
    help="frequency table [default: fixtures/freqs/nist1036.csv]",
)
@click.option("--mutation-rate", type=click.FloatRange(0, 1, max_open=True), default=0.0,
              show_default=True, help="one-step mutation chance per transmission and locus")
@click.option("--one-seen", "one_seen_rate", type=click.FloatRange(0, 1, max_open=True),
              default=0.0, show_default=True,
              help="chance that a heterozygous remains locus shows one allele (drop-out)")
@click.option("--failed-loci", type=click.FloatRange(0, 1, max_open=True), default=0.05,
              show_default=True, help="chance that a remains locus is untyped")
@click.option("--related-fraction", type=click.FloatRange(0, 1), default=0.8,
              show_default=True, help="share of remains that are a family's missing person")
def simulate_command(
    n_families: int,
    n_remains: int,
    n_loci: int,
    seed: int,
    out_dir: Path,
    freqs_path: Path | None,
    mutation_rate: float,
    one_seen_rate: float,
    failed_loci: float,
    related_fraction: float,
) -> None:
    """Write a synthetic data set: freqs, genotypes, pedigrees, remains.txt, truth.csv."""
    try:
        table = read_freqs(freqs_path or DEFAULT_FREQS)
        data = simulate(
            n_families, n_remains, n_loci, seed, table, mutation_rate=mutation_rate,
            one_seen_rate=one_seen_rate, remains_missing_rate=failed_loci,
            related_fraction=related_fraction,
        )
    except InputError as exc:
        raise click.ClickException(str(exc)) from exc
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    data.write(out_dir)
    click.echo(f"{n_families} families, {n_remains} remains, {len(data.markers)} loci in {out_dir}")


def _load(
    freqs_path: Path,
    genotypes_path: Path,
    pedigrees_path: Path,
    remains_path: Path,
    *,
    theta: float,
    n_threads: int,
    mutation: MutationModel | None = None,
    drop: DropModel | None = None,
    remains_dropout: dict[str, float] | None = None,
) -> tuple[list[str], PreparedSearch]:
    """Read and cross-check the inputs (InputError with every problem), then build tables."""
    problems: list[InputProblem] = []
    table = profiles = pedigrees = None
    for name, path, read in (
        ("freqs", freqs_path, lambda: read_freqs(freqs_path)),
        ("profiles", genotypes_path, lambda: read_genotypes(genotypes_path)),
        ("pedigrees", pedigrees_path, lambda: read_pedigrees(pedigrees_path)),
    ):
        started = time.perf_counter()
        _say(f"reading {path.name} ...")
        try:
            value = read()
            _say(f"read {path.name} ({time.perf_counter() - started:.1f} s)")
        except InputError as exc:
            problems += exc.problems
            continue
        if name == "freqs":
            table = value
        elif name == "profiles":
            profiles = value
        else:
            pedigrees = value
    remains_ids, remains_problems = _read_remains(remains_path, profiles)
    problems += remains_problems
    if pedigrees is not None and not pedigrees:
        problems.append(InputProblem(file=pedigrees_path.name, message="no families in the file"))
    if table is not None and profiles is not None:
        wanted = set(remains_ids)
        for ped in (pedigrees or {}).values():
            wanted |= set(ped.sample_of().values())
        problems += _unknown_markers(genotypes_path, profiles, wanted, set(table.marker_names()))
    for ped in (pedigrees or {}).values():
        reason = theta_limit(ped, theta, mutation is not None)
        if reason is not None:
            problems.append(InputProblem(file=pedigrees_path.name, field="family_id",
                                         message=f"family {ped.family_id}: {reason}; search it without theta or "
                                         "without the mutation model"))
    if problems:
        raise InputError(problems)
    assert table is not None and profiles is not None and pedigrees is not None  # noqa: S101
    for ped in pedigrees.values():
        for sample in ped.sample_of().values():
            if sample not in profiles:
                _say(
                    f"warning: family {ped.family_id}: sample {sample} has no genotypes "
                    "(treated as untyped)"
                )
    progress = _Progress("family tables (shape x locus)")
    prepared = prepare_search(
        table,
        list(pedigrees.values()),
        profiles,
        remains_ids,
        theta=theta,
        mutation=mutation,
        drop=drop,
        remains_dropout=remains_dropout,
        n_threads=n_threads,
        progress=progress,
    )
    progress.close()
    return remains_ids, prepared


def _read_remains(path: Path, profiles: dict | None) -> tuple[list[str], list[InputProblem]]:
    """Remains sample ids, one a line (blank lines and `#` comments skipped)."""
    problems: list[InputProblem] = []
    ids: list[str] = []
    seen: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [], [InputProblem(file=path.name, message=f"cannot read file: {exc}")]
    for number, line in enumerate(lines, start=1):
        sample = line.strip()
        if not sample or sample.startswith("#"):
            continue
        if "," in sample:
            problems.append(
                InputProblem(
                    file=path.name, row=number, field="sample_id",
                    message=f"one sample id a line expected, got {sample!r}",
                )
            )
        elif sample in seen:
            problems.append(InputProblem(file=path.name, row=number, field="sample_id", message=f"{sample} twice"))
        elif profiles is not None and sample not in profiles:
            problems.append(
                InputProblem(
                    file=path.name, row=number, field="sample_id", message=f"unknown remains {sample}: no genotypes"
                )
            )
        seen.add(sample)
        ids.append(sample)
    if not ids and not problems:
        problems.append(InputProblem(file=path.name, message="no remains sample ids in the file"))
    return ids, problems


def _unknown_markers(
    path: Path, profiles: dict, samples: set[str], known: set[str]
) -> list[InputProblem]:
    """Rows of the genotypes file whose marker is not in the frequency table (search samples)."""
    bad = {m for s in samples for m in profiles.get(s, {}) if m not in known}
    if not bad:
        return []
    problems = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle)
        header: list[str] | None = None
        for number, row in enumerate(rows, start=1):
            if not row or row[0].lstrip().startswith("#"):
                continue
            if header is None:
                header = [c.strip() for c in row]
                continue
            rec = dict(zip(header, (c.strip() for c in row), strict=False))
            marker = canonical_marker(rec.get("marker", ""))
            if marker in bad and rec.get("sample_id") in samples:
                problems.append(
                    InputProblem(
                        file=path.name,
                        row=number,
                        field="marker",
                        message=f"marker {marker} is not in the frequency table",
                    )
                )
    return problems


def _ranked_rows(
    top: Any, posterior: np.ndarray, row_ids: Sequence[str], column_ids: Sequence[str]
) -> Iterable[tuple]:
    """(row id, rank, listed id, log10 LR, posterior) for every filled slot of a top-k list."""
    scores, index = top.scores, top.index
    rows, rank = np.nonzero(index >= 0)
    for i, k in zip(rows.tolist(), rank.tolist(), strict=True):
        yield (row_ids[i], k + 1, column_ids[index[i, k]], _num(scores[i, k]), _num(posterior[i, k]))


def _remains_rows(
    result: SearchResult, remains_ids: Sequence[str], family_ids: Sequence[str]
) -> Iterable[tuple]:
    return _ranked_rows(result.remains_top, result.remains_posterior(), remains_ids, family_ids)


def _family_rows(
    result: SearchResult, remains_ids: Sequence[str], family_ids: Sequence[str]
) -> Iterable[tuple]:
    return _ranked_rows(result.family_top, result.family_posterior(), family_ids, remains_ids)


def _near_rows(
    result: SearchResult, remains_ids: Sequence[str], family_ids: Sequence[str]
) -> Iterable[tuple]:
    """(remains, rank, family, excluded loci, log10 LR of the other loci) of the near misses."""
    assert result.near_top is not None  # noqa: S101
    scores, index = result.near_top.scores, result.near_top.index
    excluded, others = near_miss(scores)
    rows, rank = np.nonzero(index >= 0)
    for i, k in zip(rows.tolist(), rank.tolist(), strict=True):
        yield (remains_ids[i], k + 1, family_ids[index[i, k]], int(excluded[i, k]), f"{others[i, k]:.3f}")


def _direct_rows(
    prepared: PreparedSearch, remains_ids: Sequence[str], min_loci: int, max_mismatches: int
) -> Iterable[tuple]:
    weights = [genotype_log10_probabilities(f.freqs) for f in prepared.freqs]
    matches = direct_matches(
        prepared.genotypes, weights, min_overlap=min_loci, max_mismatches=max_mismatches,
        one_seen=prepared.one_seen,
    )
    markers = np.array([f.marker for f in prepared.freqs], dtype=object)
    for i in range(len(matches)):
        yield (
            remains_ids[matches.first[i]],
            remains_ids[matches.second[i]],
            _num(matches.log10_lr[i]),
            int(matches.overlap[i]),
            ";".join(markers[matches.mismatched[i]]),
            ";".join(markers[matches.dropout[i]]),
        )


def _num(value: float) -> str:
    return f"{float(value):.6f}" if abs(float(value)) >= 1e-4 else f"{float(value):.6g}"


def _write(path: Path, header: list[str], rows: Iterable[Sequence]) -> None:
    """Write a CSV through a temporary file, renamed at the end (no half-written output)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    tmp.replace(path)


def _say(message: str) -> None:
    click.echo(message, err=True)


class _Progress:
    """Progress on stderr, at most about once a second (and at the end)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - self.last >= 1.0 or done >= total:
            self.last = now
            self.shown = True
            sys.stderr.write(f"\r{self.what}: {done}/{total}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
