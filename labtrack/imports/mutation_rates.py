"""Reader of per-marker mutation-rate tables: `marker,rate` or `marker,female_rate,male_rate`
(lines starting with # are comments, e.g. the table's published source)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from labtrack.kinship.markers import canonical_marker
from labtrack.kinship.problems import InputError, InputProblem


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
        with path.open(newline="", encoding="utf-8-sig") as handle:
            numbered = list(enumerate(handle, start=1))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([InputProblem(path.name, None, "", f"cannot read the file: {exc}")]) from exc
    comments = [line[1:].strip() for _, line in numbered if line.startswith("#")]
    lines = [(n, line) for n, line in numbered if not line.startswith("#") and line.strip()]
    reader = csv.DictReader(line for _, line in lines)
    fields = set(reader.fieldnames or ())
    by_sex = {"female_rate", "male_rate"} <= fields
    if "marker" not in fields or not ("rate" in fields or by_sex):
        message = "columns marker,rate or marker,female_rate,male_rate are required"
        raise InputError([InputProblem(path.name, 1 if lines else None, "", message)])
    female: dict[str, float] = {}
    male: dict[str, float] = {}
    columns = ("female_rate", "male_rate") if by_sex else ("rate", "rate")
    for (number, _), row in zip(lines[1:], reader, strict=False):
        marker = (row.get("marker") or "").strip()
        if not marker:
            problems.append(InputProblem(path.name, number, "marker", "empty marker name"))
            continue
        key = canonical_marker(marker)
        if key in female:
            problems.append(InputProblem(path.name, number, "marker", f"marker {key} twice"))
            continue
        values = []
        for column in columns:
            text = (row.get(column) or "").strip()
            try:
                value = float(text)
            except ValueError:
                problems.append(InputProblem(path.name, number, column, f"not a number: {text!r}"))
                break
            if not 0.0 <= value < 1.0:
                problems.append(
                    InputProblem(path.name, number, column, f"rate {value} is not in [0, 1)")
                )
                break
            values.append(value)
        else:
            female[key], male[key] = values
    if not female and not problems:
        problems.append(InputProblem(path.name, None, "", "no rates in the file"))
    if problems:
        raise InputError(problems)
    return MutationRates(female, male, " ".join(comments))
