"""`labtrack kinship power`: exclusion and inclusion power of one family's references, and
optionally the ranked gain from typing one more relative. Writes CSV; bad input stops with
every problem listed and nothing written."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import click

from labtrack.core.errors import InputError
from labtrack.imports.exchange import read_freqs, read_genotypes, read_pedigrees
from labtrack.kinship.power import THRESHOLDS, Power, WhatIf, power, what_if

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_OUT = click.Path(dir_okay=False, writable=True, path_type=Path)
_LABELS = {1.0: "1", 10.0: "10", 100.0: "100", 1e3: "1e3", 1e4: "1e4", 1e6: "1e6", 1e9: "1e9"}
IP_COLUMNS = [f"ip_lr_ge_{_LABELS[t]}" for t in THRESHOLDS]
COLUMNS = ["family_id", "marker", "ep", "expected_mismatch", *IP_COLUMNS, "mean_log10_lr"]
WHAT_IF_COLUMNS = ["rank", "family_id", "relative", "typed", "ep", *IP_COLUMNS,
                   "mean_log10_lr", "ep_gain", "ip_lr_ge_1e4_gain"]  # fmt: skip


@click.command("power")
@click.option("--freqs", "freqs_path", type=_FILE, required=True, help="freqs.csv")
@click.option("--genotypes", "genotypes_path", type=_FILE, required=True, help="genotypes.csv")
@click.option("--pedigrees", "pedigrees_path", type=_FILE, required=True, help="pedigrees.csv")
@click.option("--family", "family_id", required=True, help="family_id in pedigrees.csv")
@click.option("--nsim", type=click.IntRange(min=1), default=1000, show_default=True,
              help="simulated true missing persons (inclusion power)")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", "out_path", type=_OUT, required=True, help="output CSV")
@click.option("--what-if", "what_if_path", type=_OUT, default=None,
              help="also write the expected power if each further relative were typed")
@click.option("--min-freq", type=float, default=None,
              help="frequency of unseen alleles at markers without n_alleles in the table")
def power_command(
    freqs_path: Path,
    genotypes_path: Path,
    pedigrees_path: Path,
    family_id: str,
    nsim: int,
    seed: int,
    out_path: Path,
    what_if_path: Path | None,
    min_freq: float | None,
) -> None:
    """Exclusion power per marker and in total, inclusion power at LR 1 to 1e9 and the mean
    log10 LR of simulated true missing persons (no mutation, theta 0)."""
    try:
        table = read_freqs(freqs_path, min_freq=min_freq)
        genotypes = read_genotypes(genotypes_path)
        pedigrees = read_pedigrees(pedigrees_path)
        if family_id not in pedigrees:
            raise click.ClickException(f"family {family_id} is not in {pedigrees_path.name}")
        pedigree = pedigrees[family_id]
        unknown = [s for s in pedigree.sample_of().values() if s not in genotypes]
        if unknown:
            raise click.ClickException(
                f"family {family_id}: reference samples without genotypes: {', '.join(unknown)}")
        result = power(pedigree, genotypes, table, nsim=nsim, seed=seed)
        ranked = (what_if(pedigree, genotypes, table, nsim=nsim, seed=seed, baseline=result)
                  if what_if_path else [])  # fmt: skip
    except InputError as exc:
        raise click.ClickException(str(exc)) from exc
    except ValueError as exc:
        raise click.ClickException(f"cannot compute: {exc}") from exc
    if not result.markers:
        click.echo(f"warning: family {family_id} has no typed reference marker", err=True)
    try:
        _write(out_path, COLUMNS, power_rows(result))
        if what_if_path:
            _write(what_if_path, WHAT_IF_COLUMNS, what_if_rows(family_id, ranked))
    except OSError as exc:
        raise click.ClickException(f"cannot write the output: {exc}") from exc
    click.echo(
        f"family {family_id}: EP {result.ep_total:.6g} over {len(result.markers)} markers, "
        f"IP(LR >= 1e4) {result.ip(1e4):.3g} from {nsim} simulations; written to {out_path}"
    )


def power_rows(result: Power) -> list[dict[str, str]]:
    rows = [{"family_id": result.family_id, "marker": m, "ep": _num(e)}
            for m, e in zip(result.markers, result.ep, strict=True)]  # fmt: skip
    total = {"family_id": result.family_id, "marker": "TOTAL", "ep": _num(result.ep_total),
             "expected_mismatch": _num(result.expected_mismatch),
             "mean_log10_lr": _num(result.mean_log10_lr)}  # fmt: skip
    total.update({c: _num(result.ip(t)) for c, t in zip(IP_COLUMNS, THRESHOLDS, strict=True)})
    return [*rows, total]


def what_if_rows(family_id: str, ranked: list[WhatIf]) -> list[dict[str, str]]:
    rows = []
    for k, w in enumerate(ranked, start=1):
        row = {"rank": str(k), "family_id": family_id, "relative": w.label,
               "typed": ";".join(w.typed), "ep": _num(w.ep_total),
               "mean_log10_lr": _num(w.mean_log10_lr), "ep_gain": _num(w.ep_gain),
               "ip_lr_ge_1e4_gain": _num(w.ip_gain[1e4])}  # fmt: skip
        row.update({c: _num(w.ip[t]) for c, t in zip(IP_COLUMNS, THRESHOLDS, strict=True)})
        rows.append(row)
    return rows


def _num(value: float) -> str:
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value))


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
