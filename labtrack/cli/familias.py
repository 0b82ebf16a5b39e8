"""`labtrack familias ...`: read Familias .fam files into exchange CSVs, and compute their
likelihoods (pedigree hypotheses) or pairwise LRs (DVI projects). Bad files stop with the line
and the problem, never a traceback."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import click

from labtrack.core.errors import InputError
from labtrack.kinship.dvi import EventLikelihood
from labtrack.kinship.familias import FamFile, dvi_problem, parse_fam, pedigree_lrs
from labtrack.kinship.pedigree import FEMALE

_FAM = click.Path(exists=True, dir_okay=False, path_type=Path)
_FAM_CSV = click.Path(exists=True, dir_okay=False, path_type=Path)
LR_COLUMNS = ["hypothesis", "marker", "loglik", "log10_lr"]


@click.group("familias")
def familias() -> None:
    """Familias .fam files: read them, compute their likelihoods."""


def load(path: Path) -> FamFile:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        text = path.read_bytes().decode("latin-1")
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from exc
    try:
        return parse_fam(text, path.name)
    except InputError as exc:
        raise click.ClickException(str(exc)) from exc


@familias.command("read")
@click.argument("fam_path", type=_FAM)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="output folder (created if needed)")
def read_command(fam_path: Path, out_dir: Path) -> None:
    """Write the file's contents as exchange CSVs: freqs, mutation models and matrices,
    genotypes, pedigrees (one family per hypothesis), and params.json. A DVI project is
    written as a `labtrack kinship dvi` dataset (victims.csv, missing persons flagged)."""
    fam = load(fam_path)
    try:
        files = exchange_files(fam)
    except (InputError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, (columns, rows) in files.items():
        _write(out_dir / name, columns, rows)
    (out_dir / "params.json").write_text(json.dumps(params(fam), indent=1), encoding="utf-8")
    for locus in fam.loci:
        for warning in locus.warnings:
            click.echo(f"warning: {warning}", err=True)
    click.echo(f"{fam_path.name}: Familias {fam.version}, {fam.kind}, {len(fam.loci)} loci; "
               f"written to {out_dir}")  # fmt: skip


@familias.command("lr")
@click.argument("fam_path", type=_FAM)
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="output CSV")
@click.option("--denominator", default=None,
              help="hypothesis in the denominator (default: the last with likelihood > 0)")
def lr_command(fam_path: Path, out_path: Path, denominator: str | None) -> None:
    """Natural-log likelihood of each hypothesis per marker and in total (TOTAL rows), with
    log10 LR against the denominator; for DVI projects one row per victim=missing pairing with
    its log10 LR against unrelated."""
    fam = load(fam_path)
    try:
        rows = dvi_rows(fam) if fam.dvi else hypothesis_rows(fam, denominator)
    except (InputError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    _write(out_path, LR_COLUMNS, rows)
    click.echo(f"{len(rows)} rows written to {out_path}")


def hypothesis_rows(fam: FamFile, denominator: str | None) -> list[dict[str, str]]:
    name, logliks = pedigree_lrs(fam, denominator)
    base = logliks[name]
    rows = []
    for hyp, ll in logliks.items():
        for marker in [*ll, "TOTAL"]:
            value = sum(ll.values()) if marker == "TOTAL" else ll[marker]
            ref = sum(base.values()) if marker == "TOTAL" else base[marker]
            lr = -math.inf if value == -math.inf else (value - ref) / math.log(10)
            rows.append({"hypothesis": hyp, "marker": marker, "loglik": _num(value),
                         "log10_lr": _num(lr)})  # fmt: skip
    return rows


def dvi_rows(fam: FamFile) -> list[dict[str, str]]:
    problem = dvi_problem(fam)
    lik = EventLikelihood(problem)
    rows = []
    for m in problem.missing_ids:
        for v in problem.victim_ids:
            allowed = m in problem.pairings[v]
            log_lr = lik.family_log_lr(lik.family_of(m), {m: v}) if allowed else -math.inf
            rows.append({"hypothesis": f"{v}={m}", "marker": "TOTAL", "loglik": "",
                         "log10_lr": _num(log_lr / math.log(10))})  # fmt: skip
    return rows


def exchange_files(fam: FamFile) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    freqs, models, matrices = [], [], []
    for locus in fam.loci:
        total = float(locus.freqs.sum())  # as written in the file; the engine normalises
        for a, f in zip(locus.alleles, locus.freqs, strict=True):
            freqs.append({"marker": locus.name, "allele": a, "frequency": repr(float(f))})
        for sex, model in (("female", locus.female), ("male", locus.male)):
            matrix = model.matrix(locus.alleles, locus.freqs / total)
            models.append({"marker": locus.name, "sex": sex,
                           "model": model.model if matrix is not None else "none",
                           "rate": repr(model.rate), "rate2": repr(model.rate2),
                           "range": repr(model.range), "familias_code": str(model.code)})  # fmt: skip
            if matrix is not None:
                for i, a in enumerate(locus.alleles):
                    for j, b in enumerate(locus.alleles):
                        matrices.append({"marker": locus.name, "sex": sex, "from": a, "to": b,
                                         "prob": repr(float(matrix[i, j]))})  # fmt: skip
    files = {
        "freqs.csv": (["marker", "allele", "frequency"], freqs),
        "mutation_models.csv": (["marker", "sex", "model", "rate", "rate2", "range",
                                 "familias_code"], models),  # fmt: skip
    }
    if matrices:
        files["mutation_matrices.csv"] = (["marker", "sex", "from", "to", "prob"], matrices)
    ped_cols = ["family_id", "person_id", "father_id", "mother_id", "sex", "sample_id", "missing"]
    geno_cols = ["sample_id", "marker", "allele1", "allele2"]
    if fam.dvi:
        problem = dvi_problem(fam)
        peds = [{"family_id": f.family_id, "person_id": p.person_id,
                 "father_id": p.father_id or "", "mother_id": p.mother_id or "",
                 "sex": str(p.sex), "sample_id": f.references.get(p.person_id, ""),
                 "missing": "1" if p.person_id in f.missing else "0"}
                for f in problem.families for p in f.pedigree.persons]  # fmt: skip
        genos = [{"sample_id": s, "marker": m, "allele1": g[0], "allele2": g[1]}
                 for s, loci in problem.genotypes.items() for m, g in loci.items()]  # fmt: skip
        victims = [{"sample_id": v.sample_id, "sex": str(v.sex)} for v in problem.victims]
        files["victims.csv"] = (["sample_id", "sex"], victims)
    else:
        typed = {p.person_id for p in fam.persons if p.genotypes}
        peds = [{"family_id": ped.name, "person_id": p.person_id,
                 "father_id": p.father_id or "", "mother_id": p.mother_id or "",
                 "sex": str(p.sex), "sample_id": p.person_id if p.person_id in typed else "",
                 "missing": "0"} for ped in fam.pedigrees for p in ped.persons]  # fmt: skip
        genos = [{"sample_id": p.person_id, "marker": m, "allele1": g[0], "allele2": g[1]}
                 for p in fam.persons for m, g in p.genotypes.items()]  # fmt: skip
        persons = [{"person_id": p.person_id, "sex": str(p.sex)} for p in fam.persons]
        files["persons.csv"] = (["person_id", "sex"], persons)
    files["pedigrees.csv"] = (ped_cols, peds)
    files["genotypes.csv"] = (geno_cols, genos)
    return files


def params(fam: FamFile) -> dict[str, object]:
    return {
        "version": fam.version, "type": fam.kind, "dvi": fam.dvi, "theta": fam.theta,
        "database": fam.database_name, "n_loci": len(fam.loci),
        "database_size": {x.name: x.database_size for x in fam.loci},
        "dropout": {x.name: x.dropout for x in fam.loci},
        "maf": {x.name: x.maf for x in fam.loci},
        "dropout_consider": dict(fam.dropout_consider),
        "hypotheses": [p.name for p in fam.pedigrees],
        "families": [f.name for f in fam.families],
        "female_sex_code": FEMALE,
    }  # fmt: skip


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


@familias.command("write")
@click.option("--freqs", "freqs_path", type=_FAM_CSV, required=True, help="freqs.csv")
@click.option("--genotypes", "genotypes_path", type=_FAM_CSV, required=True,
              help="genotypes.csv")
@click.option("--pedigrees", "pedigrees_path", type=_FAM_CSV, required=True,
              help="pedigrees.csv")
@click.option("--family", "family_id", required=True, help="family_id in pedigrees.csv")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="the .fam file to write")
@click.option("--mutation-model", type=click.Choice(["none", "equal", "proportional",
                                                     "stepwise"]), default="none",
              show_default=True)  # fmt: skip
@click.option("--mutation-rate", type=click.FloatRange(min=0, max=0.5), default=0.0,
              show_default=True)  # fmt: skip
def write_command(
    freqs_path: Path,
    genotypes_path: Path,
    pedigrees_path: Path,
    family_id: str,
    out_path: Path,
    mutation_model: str,
    mutation_rate: float,
) -> None:
    """Write one family of exchange files as a Familias .fam file (its pedigree as the one
    hypothesis, the references' genotypes, the frequency database)."""
    from labtrack.imports.exchange import read_freqs, read_genotypes, read_pedigrees
    from labtrack.kinship.familias import (
        FamLocus,
        FamMutation,
        family_fam,
        format_fam,
    )

    try:
        table = read_freqs(freqs_path)
        genotypes = read_genotypes(genotypes_path)
        pedigrees = read_pedigrees(pedigrees_path)
    except InputError as exc:
        raise click.ClickException(str(exc)) from exc
    if family_id not in pedigrees:
        raise click.ClickException(f"family {family_id} is not in {pedigrees_path.name}")
    code = {"none": 0, "equal": 0, "proportional": 1, "stepwise": 4}[mutation_model]
    rate = 0.0 if mutation_model == "none" else mutation_rate
    model = FamMutation(code, "equal" if code == 0 else
                        "proportional" if code == 1 else "stepwise", rate, 1e-6, 0.1)  # fmt: skip
    loci = []
    for marker in table.marker_names():
        alleles, freqs = table.alleles_and_freqs(marker)
        loci.append(FamLocus(marker, alleles, freqs, model, model))
    try:
        text = format_fam(family_fam(pedigrees[family_id], genotypes, loci))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    out_path.write_text(text, encoding="utf-8", newline="")
    click.echo(f"family {family_id} written to {out_path}")
