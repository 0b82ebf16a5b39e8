"""Read a DVI dataset folder (the exchange format of `design.md`, DVI extension): `freqs.csv`,
`genotypes.csv`, `victims.csv`, `pedigrees.csv` (several missing persons per family allowed),
and optionally `pairings.csv`, `mutation_models.csv`, `mutation_matrices.csv`.

Every problem of every file is collected and raised once as an `InputError`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from labtrack.core.errors import InputError, InputProblem
from labtrack.imports.exchange import _read_table, _records, read_freqs, read_genotypes
from labtrack.kinship.dvi.problem import DVIProblem, MutationSpec, Victim
from labtrack.kinship.freqs import FrequencyTable
from labtrack.kinship.markers import canonical_marker
from labtrack.kinship.pedigree import FEMALE, MALE, UNKNOWN_SEX, Person

T = TypeVar("T")

_SEX = {"1": MALE, "M": MALE, "MALE": MALE, "2": FEMALE, "F": FEMALE, "FEMALE": FEMALE,
        "0": UNKNOWN_SEX, "": UNKNOWN_SEX}  # fmt: skip
_MISSING = {"1": True, "0": False, "": False, "TRUE": True, "FALSE": False}


def read_dvi_dataset(directory: str | Path) -> DVIProblem:
    """Read and check a dataset folder; InputError lists every problem (file, row, field)."""
    folder = Path(directory)
    problems: list[InputProblem] = []

    def attempt(read: Callable[[], T]) -> T | None:
        try:
            return read()
        except InputError as exc:
            problems.extend(exc.problems)
            return None

    for name in ("freqs.csv", "genotypes.csv", "victims.csv", "pedigrees.csv"):
        if not (folder / name).is_file():
            problems.append(InputProblem(file=name, message=f"file missing in {folder}"))
    if problems:
        raise InputError(problems)
    table = attempt(lambda: read_freqs(folder / "freqs.csv"))
    genotypes = attempt(lambda: read_genotypes(folder / "genotypes.csv"))
    victims = attempt(lambda: read_victims(folder / "victims.csv"))
    families = attempt(lambda: read_dvi_pedigrees(folder / "pedigrees.csv"))
    pairings = None
    if (folder / "pairings.csv").is_file():
        pairings = attempt(lambda: read_pairings(folder / "pairings.csv"))
    mutation: dict[tuple[str, int], np.ndarray | MutationSpec] | None = None
    if (folder / "mutation_models.csv").is_file():
        mutation = attempt(lambda: read_mutation_models(folder / "mutation_models.csv"))
    if table is not None and (folder / "mutation_matrices.csv").is_file():
        matrices = attempt(
            lambda: read_mutation_matrices(folder / "mutation_matrices.csv", table)
        )
        if matrices:
            mutation = {**(mutation or {}), **matrices}
    if table is None or genotypes is None or families is None:
        raise InputError(problems)
    try:
        problem = DVIProblem.build(
            victims=victims or [],
            families=families,
            genotypes=genotypes,
            freqs=table,
            pairings=pairings,
            mutation=mutation,
            source="pedigrees.csv",
        )
    except InputError as exc:
        found = [p for p in exc.problems if victims is not None or p.message != "no victims"]
        raise InputError(problems + found) from exc
    if problems:
        raise InputError(problems)
    return problem


def read_victims(path: str | Path) -> list[Victim]:
    """`victims.csv`: `sample_id,sex` (1/M male, 2/F female; anything else is a problem)."""
    frame, rows, name = _read_table(path, ["sample_id", "sex"])
    problems: list[InputProblem] = []
    victims: list[Victim] = []
    for row, rec in zip(rows, _records(frame), strict=True):
        if not rec["sample_id"]:
            problems.append(InputProblem(file=name, row=row, field="sample_id", message="empty sample id"))
            continue
        sex = _SEX.get(rec["sex"].upper())
        if sex not in (MALE, FEMALE):
            problems.append(InputProblem(
                file=name, row=row, field="sex", message=f"victim {rec['sample_id']}: unknown sex {rec['sex']!r} "
                "(need 1/M or 2/F)"))
            continue
        victims.append(Victim(rec["sample_id"], sex))
    if not victims and not problems:
        problems.append(InputProblem(file=name, message="no victims in the file"))
    if problems:
        raise InputError(problems)
    return victims


def read_dvi_pedigrees(path: str | Path) -> dict[str, list[Person]]:
    """`pedigrees.csv` with any number of missing persons per family: family_id -> persons
    (structure checked later by `DVIProblem.build`)."""
    frame, rows, name = _read_table(
        path, ["family_id", "person_id", "father_id", "mother_id", "sex", "sample_id", "missing"]
    )
    problems: list[InputProblem] = []
    families: dict[str, list[Person]] = {}
    for row, rec in zip(rows, _records(frame), strict=True):
        if not rec["family_id"]:
            problems.append(InputProblem(file=name, row=row, field="family_id", message="empty family id"))
            continue
        sex = _SEX.get(rec["sex"].upper())
        if sex is None:
            problems.append(InputProblem(file=name, row=row, field="sex", message=f"not 1/M, 2/F or 0: {rec['sex']!r}"))
            sex = UNKNOWN_SEX
        missing = _MISSING.get(rec["missing"].upper())
        if missing is None:
            problems.append(InputProblem(file=name, row=row, field="missing",
                                         message=f"not 0 or 1: {rec['missing']!r}"))
            missing = False
        families.setdefault(rec["family_id"], []).append(Person(
            person_id=rec["person_id"], father_id=rec["father_id"] or None,
            mother_id=rec["mother_id"] or None, sex=sex, sample_id=rec["sample_id"] or None,
            missing=missing, row=row,
        ))  # fmt: skip
    if not families and not problems:
        problems.append(InputProblem(file=name, message="no pedigrees in the file"))
    if problems:
        raise InputError(problems)
    return families


def read_pairings(path: str | Path) -> dict[str, list[str]]:
    """`pairings.csv`: `victim,candidate` (`*` = none of the missing persons)."""
    frame, rows, name = _read_table(path, ["victim", "candidate"])
    problems: list[InputProblem] = []
    pairings: dict[str, list[str]] = {}
    for row, rec in zip(rows, _records(frame), strict=True):
        if not rec["victim"] or not rec["candidate"]:
            problems.append(InputProblem(file=name, row=row, field="victim", message="empty victim or candidate"))
            continue
        pairings.setdefault(rec["victim"], []).append(rec["candidate"])
    if problems:
        raise InputError(problems)
    return pairings


_SEX_NAME = {"female": FEMALE, "f": FEMALE, "2": FEMALE, "male": MALE, "m": MALE, "1": MALE}


def read_mutation_models(path: str | Path) -> dict[tuple[str, int], MutationSpec]:
    """`mutation_models.csv`: `marker,sex,model,rate,rate2,range` (sex female/male)."""
    frame, rows, name = _read_table(path, ["marker", "sex", "model"])
    problems: list[InputProblem] = []
    models: dict[tuple[str, int], MutationSpec] = {}
    for row, rec in zip(rows, _records(frame), strict=True):
        sex = _SEX_NAME.get(rec["sex"].lower())
        if sex is None:
            problems.append(InputProblem(file=name, row=row, field="sex", message=f"not female/male: {rec['sex']!r}"))
            continue
        model = rec["model"].strip().lower() or "none"
        values = []
        for fld, default in (("rate", 0.0), ("rate2", 0.0), ("range", 0.1)):
            text = rec.get(fld, "")
            try:
                value = float(text) if text not in ("", "NA") else default
            except ValueError:
                problems.append(InputProblem(file=name, row=row, field=fld, message=f"not a number: {text!r}"))
                value = default
            if not 0 <= value <= 1:
                problems.append(InputProblem(file=name, row=row, field=fld, message=f"{value} is not in [0, 1]"))
            values.append(value)
        models[(canonical_marker(rec["marker"]), sex)] = MutationSpec(model, *values)
    if problems:
        raise InputError(problems)
    return models


def read_mutation_matrices(
    path: str | Path, table: FrequencyTable
) -> dict[tuple[str, int], np.ndarray]:
    """`mutation_matrices.csv`: `marker,sex,from,to,prob`: full matrices, re-ordered to the
    frequency table's alleles (every pair of table alleles must be given)."""
    frame, rows, name = _read_table(path, ["marker", "sex", "from", "to", "prob"])
    problems: list[InputProblem] = []
    matrices: dict[tuple[str, int], np.ndarray] = {}
    filled: dict[tuple[str, int], np.ndarray] = {}
    for row, rec in zip(rows, _records(frame), strict=True):
        marker = canonical_marker(rec["marker"])
        sex = _SEX_NAME.get(rec["sex"].lower())
        if sex is None or marker not in table:
            why = f"not female/male: {rec['sex']!r}" if sex is None else f"{marker} not in freqs"
            problems.append(InputProblem(file=name, row=row, field="sex" if sex is None else "marker", message=why))
            continue
        alleles, _ = table.alleles_and_freqs(marker)
        key = (marker, sex)
        if key not in matrices:
            matrices[key] = np.zeros((len(alleles), len(alleles)))
            filled[key] = np.zeros((len(alleles), len(alleles)), dtype=bool)
        position = {a: k for k, a in enumerate(alleles)}
        if rec["from"] not in position or rec["to"] not in position:
            problems.append(InputProblem(file=name, row=row, field="from", message=f"{marker}: allele not in freqs"))
            continue
        try:
            prob = float(rec["prob"])
        except ValueError:
            problems.append(InputProblem(file=name, row=row, field="prob", message=f"not a number: {rec['prob']!r}"))
            continue
        i, j = position[rec["from"]], position[rec["to"]]
        matrices[key][i, j] = prob
        filled[key][i, j] = True
    for (marker, sex), done in filled.items():
        if not done.all():
            problems.append(InputProblem(file=name, field="prob",
                                         message=f"{marker}: the matrix is incomplete ({sex=})"))
    if problems:
        raise InputError(problems)
    return matrices
