"""Readers of the kinship exchange-format files (`design.md`): freqs, genotypes, pedigrees, cases.

Each reader returns typed objects or raises `InputError` listing every problem found (file, row,
field, message). Rows are the file's 1-based line numbers (header = the first non-comment line).
Lines starting with `#` are comments. Marker names are normalised with `canonical_marker`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from labtrack.core.errors import InputError, InputProblem
from labtrack.imports import frequencies as frequency_format
from labtrack.imports import pedigrees as pedigree_format
from labtrack.imports import table_text
from labtrack.imports.table_text import TableRefused
from labtrack.kinship.freqs import FrequencyTable
from labtrack.kinship.markers import canonical_marker, is_x_marker, x_marker_message
from labtrack.kinship.pedigree import FEMALE, MALE, UNKNOWN_SEX, Pedigree, Person

Genotype = tuple[str] | tuple[str, str]
#: sample_id -> {canonical marker -> (allele1, allele2), or (allele1,) when one allele was seen}
Genotypes = dict[str, dict[str, Genotype]]


@dataclass(frozen=True)
class Case:
    """One kinship question: is `unknown_sample_id` the missing person of `family_id`?"""

    case_id: str
    family_id: str
    unknown_sample_id: str
    row: int | None = None


def _read_table(path: str | Path, required: list[str]) -> tuple[pd.DataFrame, list[int], str]:
    """Read a CSV as strings; returns the frame, the line number of each row, and the file name.

    Raises InputError (naming file, row and field) if the file cannot be read, is refused by the
    checks of `table_text` (size, line and field length, control characters, values beyond the
    header on any row) or lacks a required column.
    """
    name = Path(path).name
    try:
        return _read_checked(Path(path), required, name)
    except TableRefused as refused:
        raise InputError([InputProblem(file=name, row=refused.row, field=refused.field,
                                       message=refused.message)]) from None


def _read_checked(path: Path, required: list[str], name: str) -> tuple[pd.DataFrame, list[int], str]:
    try:
        table_text.check_size(path.stat().st_size)
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError([InputProblem(file=name, message=f"cannot read file: {exc.strerror or exc}")]) from exc
    text = table_text.decode(raw)
    del raw
    lines = table_text.plain_lines(text)
    plain = (
        not _SKIPPED_LINE.search(text)
        and "\r" not in text
        and bool(lines) and bool(lines[-1].strip())
    )
    numbered = ([(n, line) for n, line in enumerate(lines, start=1)
                 if line.strip() and not line.lstrip().startswith("#")]  # fmt: skip
                if not plain else list(enumerate(lines, start=1)))
    if not numbered:
        raise InputError([InputProblem(file=name, message="empty file (no header row)")])
    header = table_text.header_of(numbered[0][1], numbered[0][0])
    trailing = table_text.check_rows(numbered[1:], header)
    if trailing:  # only empty separators beyond the header: drop them (parsers would shift columns)
        cut = set(trailing)
        numbered = [(n, table_text.first_fields(line, len(header), n) if n in cut else line) for n, line in numbered]
        plain = False
    if not plain:
        text = "\n".join(line for _, line in numbered)
    line_numbers = [n for n, _ in numbered]
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True, index_col=False,
            skip_blank_lines=False,  # blank and comment lines were taken out above: row k is line_numbers[k]
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError([InputProblem(file=name, message=f"not a valid CSV file: {exc}")]) from exc
    if len(frame) != len(line_numbers) - 1:  # never expected after the checks above; refused, not misnumbered
        raise InputError([InputProblem(file=name, message=f"read {len(frame)} rows from {len(line_numbers) - 1} lines: "
                                       "not a plain CSV table")])
    frame = frame.fillna("")  # a row with fewer fields than the header: the missing ones are empty
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(
            [InputProblem(file=name, row=line_numbers[0], field=c, message="required column missing") for c in missing]
        )
    if _WHITESPACE.search(text) and _PADDED_VALUE.search(text):
        frame = frame.apply(lambda col: col.str.strip())
    return frame, line_numbers[1:], name


#: A comment line or a blank (or whitespace-only) line anywhere in a file.
_SKIPPED_LINE = re.compile(r"^[^\S\n]*(?:#|\n)", re.MULTILINE)
#: Any whitespace but a line break (a quick scan: most machine-written files have none).
_WHITESPACE = re.compile(r"[^\S\n]")
#: Whitespace next to a separator, a quote or a line end: values need stripping.
_PADDED_VALUE = re.compile(r"[^\S\n]+(?=[,\"\n]|$)|(?:^|[,\"])[^\S\n]", re.MULTILINE)


def _records(frame: pd.DataFrame) -> Iterator[dict[str, str]]:
    """The rows of a frame as dicts (much faster than ``DataFrame.to_dict("records")``)."""
    columns = [str(c) for c in frame.columns]
    for values in zip(*(frame[c].tolist() for c in columns), strict=True):
        yield dict(zip(columns, values, strict=True))


def read_freqs(path: str | Path, *, min_freq: float | None = None) -> FrequencyTable:
    """Read `freqs.csv` (`marker,allele,frequency[,count,n_alleles]`) into a FrequencyTable.

    The file is read by the one reader of the format (`labtrack.imports.frequencies`, which the
    app's import uses too: the same problems at the same file, row and field), any marker name
    allowed; then the engine's table is built (`FrequencyTable.from_rows`, with `min_freq`)."""
    name, raw = _read_bytes(path)
    rows = _read_rows(name, frequency_format.read_frequencies(raw, filename=name, any_marker=True),
                      "no frequencies in the file")
    return FrequencyTable.from_rows(((row.marker, row.allele, row.frequency, row.n_alleles) for row in rows),
                                    min_freq=min_freq, source=name, rows=[row.row or 0 for row in rows])


def _read_rows(name: str, read: tuple[list[Any], list[InputProblem]], empty: str) -> list[Any]:
    """The rows one of the app's readers gave (each problem names the file ``name``, given to the
    reader), or InputError with its problems (``empty``: the problem of a file without rows)."""
    rows, problems = read
    if not rows and not problems:
        problems.append(InputProblem(file=name, message=empty))
    if problems:
        raise InputError(problems)
    return rows


def _read_bytes(path: str | Path) -> tuple[str, bytes]:
    """The file's name and bytes (its size checked first); InputError when it cannot be read."""
    name = Path(path).name
    try:
        table_text.check_size(Path(path).stat().st_size)
        return name, Path(path).read_bytes()
    except OSError as exc:
        raise InputError([InputProblem(file=name, message=f"cannot read file: {exc.strerror or exc}")]) from exc
    except TableRefused as refused:
        raise InputError([InputProblem(file=name, row=refused.row, field=refused.field,
                                       message=refused.message)]) from None


def read_genotypes(path: str | Path) -> Genotypes:
    """Read `genotypes.csv` (`sample_id,marker,allele1,allele2`): sample -> marker -> alleles.

    A homozygote call has both alleles equal; an empty `allele2` means one allele was seen
    (a possible drop-out: `(allele1,)`, read as a homozygote unless a drop-out model is used);
    an untyped locus has no row. A row without allele1, the same sample and marker twice with
    different alleles, or an X-chromosome marker (not modelled: autosomal inheritance would
    give wrong LRs) is a problem (an exact repetition is harmless and kept once).
    """
    columns = ["sample_id", "marker", "allele1", "allele2"]
    frame, rows, name = _read_table(path, columns)
    problems: list[InputProblem] = []
    result: Genotypes = {}
    values = zip(rows, *(frame[c].tolist() for c in columns), strict=True)
    for row, sample, marker, a1, a2 in values:
        if not (sample and marker and a1):
            for fld, value in zip(columns[:3], (sample, marker, a1), strict=True):
                if not value:
                    problems.append(InputProblem(file=name, row=row, field=fld, message="empty value"))
            continue
        key = canonical_marker(marker)
        if is_x_marker(key):
            problems.append(InputProblem(file=name, row=row, field="marker", message=x_marker_message(key)))
            continue
        seen: tuple[str] | tuple[str, str] = (a1, a2) if a2 else (a1,)
        loci = result.get(sample)
        if loci is None:
            loci = result[sample] = {}
        elif key in loci:
            if sorted(loci[key]) != sorted(seen):
                message = f"sample {sample} has marker {key} twice with different alleles"
                problems.append(InputProblem(file=name, row=row, field="marker", message=message))
            continue
        loci[key] = seen
    if problems:
        raise InputError(problems)
    return result


_SEX = {"M": MALE, "F": FEMALE, "U": UNKNOWN_SEX}


def read_pedigrees(path: str | Path) -> dict[str, Pedigree]:
    """Read `pedigrees.csv` (`family_id,person_id,father_id,mother_id,sex,sample_id,missing`).

    The file is read by the one reader of the format (`labtrack.imports.pedigrees`, which the
    app's import uses too: the same problems, at the same file, row and field), with ``#``
    comment lines allowed; then each family is built as a validated Pedigree (`Pedigree.build`:
    the engine also needs both parents or none). Returns family_id -> Pedigree.
    """
    name, raw = _read_bytes(path)
    rows = _read_rows(name, pedigree_format.read_pedigrees(raw, filename=name, comments=True),
                      "no pedigrees in the file")
    problems: list[InputProblem] = []
    pedigrees: dict[str, Pedigree] = {}
    for family_id, family_rows in pedigree_format.group_families(rows).items():
        persons = [Person(person_id=row.person_id, father_id=row.father_id or None, mother_id=row.mother_id or None,
                          sex=_SEX[row.sex], sample_id=row.sample_id or None, missing=row.missing, row=row.row)
                   for row in family_rows]
        try:
            pedigrees[family_id] = Pedigree.build(family_id, persons, source=name, checked=True)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return pedigrees


def read_cases(path: str | Path) -> list[Case]:
    """Read `cases.csv` (`case_id,family_id,unknown_sample_id`)."""
    frame, rows, name = _read_table(path, ["case_id", "family_id", "unknown_sample_id"])
    problems: list[InputProblem] = []
    cases: list[Case] = []
    seen: set[str] = set()
    for row, rec in zip(rows, _records(frame), strict=True):
        bad = False
        for fld in ("case_id", "family_id", "unknown_sample_id"):
            if not rec[fld]:
                problems.append(InputProblem(file=name, row=row, field=fld, message="empty value"))
                bad = True
        if rec["case_id"] in seen:
            problems.append(InputProblem(file=name, row=row, field="case_id", message=f"case {rec['case_id']} twice"))
            bad = True
        seen.add(rec["case_id"])
        if bad:
            continue
        cases.append(Case(rec["case_id"], rec["family_id"], rec["unknown_sample_id"], row))
    if not cases and not problems:
        problems.append(InputProblem(file=name, message="no cases in the file"))
    if problems:
        raise InputError(problems)
    return cases
