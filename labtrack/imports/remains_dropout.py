"""Reader of per-sample drop-out probabilities (`sample_id,dropout`): a badly degraded remains
sample may carry its own drop-out probability instead of the run's."""

from __future__ import annotations

import csv
from pathlib import Path

from labtrack.kinship.problems import InputError, InputProblem


def read_remains_dropout(path: str | Path) -> dict[str, float]:
    """sample_id -> drop-out probability in [0, 1); every bad line names file, row and field."""
    path = Path(path)
    problems: list[InputProblem] = []
    result: dict[str, float] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        lines = [(n, line) for n, line in enumerate(handle, start=1)
                 if line.strip() and not line.startswith("#")]
    reader = csv.DictReader(line for _, line in lines)
    if not {"sample_id", "dropout"} <= set(reader.fieldnames or ()):
        raise InputError([InputProblem(path.name, 1, "", "columns sample_id,dropout are required")])
    for (number, _), row in zip(lines[1:], reader, strict=False):
        sample = (row.get("sample_id") or "").strip()
        text = (row.get("dropout") or "").strip()
        if not sample:
            problems.append(InputProblem(path.name, number, "sample_id", "empty sample id"))
            continue
        try:
            value = float(text)
        except ValueError:
            problems.append(InputProblem(path.name, number, "dropout", f"not a number: {text!r}"))
            continue
        if not 0.0 <= value < 1.0:
            problems.append(
                InputProblem(path.name, number, "dropout", f"drop-out probability {value} is not in [0, 1)")
            )
            continue
        if sample in result and result[sample] != value:
            problems.append(InputProblem(path.name, number, "sample_id", f"sample {sample} twice"))
            continue
        result[sample] = value
    if problems:
        raise InputError(problems)
    return result
