"""Reader of per-sample drop-out probabilities (`sample_id,dropout`): a badly degraded remains
sample may carry its own drop-out probability instead of the run's."""

from __future__ import annotations

from pathlib import Path

from labtrack.core.errors import InputError, InputProblem
from labtrack.imports.table_text import TableRefused, read_file_rows


def read_remains_dropout(path: str | Path) -> dict[str, float]:
    """sample_id -> drop-out probability in [0, 1); every bad line names file, row and field."""
    path = Path(path)
    problems: list[InputProblem] = []
    result: dict[str, float] = {}
    try:
        header_row, header, table, _comments = read_file_rows(path)
    except TableRefused as refused:
        raise InputError([InputProblem(file=path.name, row=refused.row, field=refused.field,
                                       message=refused.message)]) from None
    if not {"sample_id", "dropout"} <= set(header):
        raise InputError([InputProblem(file=path.name, row=header_row,
                                       message="columns sample_id,dropout are required")])
    for number, cells in table:
        row = dict(zip(header, cells, strict=False))
        sample = (row.get("sample_id") or "").strip()
        text = (row.get("dropout") or "").strip()
        if not sample:
            problems.append(InputProblem(file=path.name, row=number, field="sample_id", message="empty sample id"))
            continue
        try:
            value = float(text)
        except ValueError:
            problems.append(InputProblem(file=path.name, row=number, field="dropout",
                                         message=f"not a number: {text!r}"))
            continue
        if not 0.0 <= value < 1.0:
            problems.append(
                InputProblem(file=path.name, row=number, field="dropout",
                             message=f"drop-out probability {value} is not in [0, 1)")
            )
            continue
        if sample in result and result[sample] != value:
            problems.append(InputProblem(file=path.name, row=number, field="sample_id",
                                         message=f"sample {sample} twice"))
            continue
        result[sample] = value
    if problems:
        raise InputError(problems)
    return result
