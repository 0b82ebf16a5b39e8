"""Allele-frequency tables in the ``freqs.csv`` format (pure: bytes in, rows or problems out).

``marker,allele,frequency[,count,n_alleles]``; lines starting with ``#`` are comments. The text is
checked first (``table_text``: size, line and field length, control characters, values beyond the
header refused). Checks:
known marker, allele token, frequency a number in (0, 1], count/n_alleles positive integers, no
duplicate (marker, allele), and the frequencies of each marker sum to 1 within ``SUM_TOLERANCE``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from labtrack.core.errors import InputProblem
from labtrack.core.messages import msg
from labtrack.imports.markers import canonical_marker
from labtrack.imports.profiles import check_allele
from labtrack.imports.table_text import TableRefused, read_rows
from labtrack.kinship.markers import canonical_marker as any_marker_name

SUM_TOLERANCE = 0.02
REQUIRED = ("marker", "allele", "frequency")
#: More alleles than any STR marker has (SE33, the most polymorphic, has under 100): beyond this a
#: file is refused (and the checks stay linear).
MAX_ALLELES_PER_MARKER = 1_000


@dataclass(frozen=True)
class FrequencyRow:
    marker: str
    allele: str
    frequency: float
    count: int | None
    n_alleles: int | None
    row: int | None = None


def _positive_int(text: str) -> int | None:
    value = int(text)
    if value <= 0:
        raise ValueError
    return value


def _counts(record: dict[str, str], number: int, problem: Callable[..., None]) -> dict[str, int | None]:
    extra: dict[str, int | None] = {}
    for name in ("count", "n_alleles"):
        value = record.get(name, "")
        try:
            extra[name] = _positive_int(value) if value else None
        except ValueError:
            problem(msg("%(field)s %(value)s is not a positive whole number", field=name, value=repr(value)),
                    number, name)
    return extra


def read_frequencies(raw: bytes, *, filename: str, any_marker: bool = False
                     ) -> tuple[list[FrequencyRow], list[InputProblem]]:
    """The one reader of ``freqs.csv``: the app's import (``services.frequencies``) and the
    engine's (``imports.exchange.read_freqs``: the CLI, DVI data sets) both read with it. The
    rows and every problem (file, row, field, message). ``any_marker``: a name that is not a known
    marker is kept (upper-cased, as ``kinship.markers.canonical_marker`` spells it) instead of
    refused: the command line's simulated and textbook data sets name loci L1, L2, ..."""
    problems: list[InputProblem] = []

    def problem(message: str, row: int | None = None, field: str | None = None) -> None:
        problems.append(InputProblem(message=message, row=row, field=field, file=filename))

    try:
        header_row, header, table = read_rows(raw)
    except TableRefused as refused:
        problem(refused.message, refused.row, refused.field)
        return [], problems
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        problem(msg("missing column(s) %(columns)s (expected marker,allele,frequency)", columns=", ".join(missing)),
                row=header_row, field="header")
        return [], problems
    rows: list[FrequencyRow] = []
    seen: set[tuple[str, str]] = set()
    per_marker: dict[str, int] = {}
    for number, fields in table:
        record = dict(zip(header, fields + [""] * (len(header) - len(fields)), strict=False))
        marker = canonical_marker(record["marker"])
        if marker is None and any_marker and record["marker"]:
            marker = any_marker_name(record["marker"])
        if marker is None:
            problem(msg("unknown marker %(marker)s", marker=repr(record["marker"])), number, "marker")
            continue
        allele = record["allele"].upper()
        reason = check_allele(marker, allele) if allele != "OL" else "OL is not an allele"
        if reason:
            problem(reason, number, "allele")
            continue
        try:
            frequency = float(record["frequency"])
        except ValueError:
            problem(msg("frequency %(value)s is not a number", value=repr(record["frequency"])), number, "frequency")
            continue
        if not 0 < frequency <= 1:
            problem(msg("frequency %(value)s is not in (0, 1]", value=frequency), number, "frequency")
            continue
        extra = _counts(record, number, problem)
        if (marker, allele) in seen:
            problem(msg("allele %(allele)s of %(marker)s appears twice", allele=allele, marker=marker), number,
                    "allele")
            continue
        seen.add((marker, allele))
        per_marker[marker] = per_marker.get(marker, 0) + 1
        if per_marker[marker] > MAX_ALLELES_PER_MARKER:
            problem(msg("marker %(marker)s has more than %(limit)s alleles: not an allele-frequency table",
                        marker=marker, limit=MAX_ALLELES_PER_MARKER), number, "allele")
            break
        rows.append(FrequencyRow(marker, allele, frequency, extra.get("count"), extra.get("n_alleles"), number))
    problems.extend(_check_sums(rows, filename))
    return rows, problems


def _check_sums(rows: list[FrequencyRow], filename: str) -> list[InputProblem]:
    sums: dict[str, float] = {}
    for row in rows:
        sums[row.marker] = sums.get(row.marker, 0.0) + row.frequency
    return [InputProblem(message=msg("the frequencies of %(marker)s sum to %(total)s, not 1", marker=marker,
                                     total=f"{total:.4f}"),
                         field=marker, file=filename)
            for marker, total in sums.items() if abs(total - 1.0) > SUM_TOLERANCE]
