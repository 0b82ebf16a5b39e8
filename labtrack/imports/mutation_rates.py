"""Reader of per-marker mutation-rate tables: `marker,rate` or `marker,female_rate,male_rate`
(lines starting with # are comments, e.g. the table's published source). The text is checked
first (`table_text`: size, line and value length, control characters, values beyond the header)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from labtrack.core.errors import InputError, InputProblem
from labtrack.imports.table_text import TableRefused, read_file_rows
from labtrack.kinship.markers import canonical_marker


@dataclass(frozen=True)
class MutationRates:
    """Per-marker rates: `female` and `male` (equal when the file has one `rate` column)."""

    female: dict[str, float]
    male: dict[str, float]
    source: str = ""


def read_mutation_rates(path: str | Path) -> MutationRates:
    """Read a rate table; every bad line is a problem naming the file, row and field."""
    path = Path(path)
    problems: list[InputProblem] = []
    try:
        header_row, header, table, comments = read_file_rows(path)
    except TableRefused as refused:
        raise InputError([InputProblem(file=path.name, row=refused.row, field=refused.field,
                                       message=refused.message)]) from None
    fields = set(header)
    by_sex = {"female_rate", "male_rate"} <= fields
    if "marker" not in fields or not ("rate" in fields or by_sex):
        message = "columns marker,rate or marker,female_rate,male_rate are required"
        raise InputError([InputProblem(file=path.name, row=header_row, message=message)])
    female: dict[str, float] = {}
    male: dict[str, float] = {}
    columns = ("female_rate", "male_rate") if by_sex else ("rate", "rate")
    for number, cells in table:
        row = dict(zip(header, cells, strict=False))
        marker = (row.get("marker") or "").strip()
        if not marker:
            problems.append(InputProblem(file=path.name, row=number, field="marker", message="empty marker name"))
            continue
        key = canonical_marker(marker)
        if key in female:
            problems.append(InputProblem(file=path.name, row=number, field="marker", message=f"marker {key} twice"))
            continue
        values = []
        for column in columns:
            text = (row.get(column) or "").strip()
            try:
                value = float(text)
            except ValueError:
                problems.append(InputProblem(file=path.name, row=number, field=column,
                                             message=f"not a number: {text!r}"))
                break
            if not 0.0 <= value < 1.0:
                problems.append(
                    InputProblem(file=path.name, row=number, field=column, message=f"rate {value} is not in [0, 1)")
                )
                break
            values.append(value)
        else:
            female[key], male[key] = values
    if not female and not problems:
        problems.append(InputProblem(file=path.name, message="no rates in the file"))
    if problems:
        raise InputError(problems)
    return MutationRates(female, male, " ".join(comments))
