"""The per-marker mutation-rate tables shipped in ``fixtures/mutation_rates/`` (each with its
published source in the README.md beside it), by name: the file's stem, e.g. ``aabb2003_strbase``.
A match run or the lab's settings name one (``MatchParameters.mutation_rate_table``); "none" is
one rate for every marker."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from labtrack.fixtures_path import fixtures_dir
from labtrack.imports.mutation_rates import MutationRates, read_mutation_rates

#: The name that chooses no table.
NO_TABLE = "none"


def tables_dir() -> Path:
    return fixtures_dir() / "mutation_rates"


def table_names() -> tuple[str, ...]:
    """The names of the shipped tables, sorted."""
    folder = tables_dir()
    return tuple(sorted(path.stem for path in folder.glob("*.csv"))) if folder.is_dir() else ()


@lru_cache(maxsize=16)
def _load(path: Path, mtime_ns: int) -> MutationRates:
    return read_mutation_rates(path)


def load_table(name: str) -> MutationRates:
    """The rates of the shipped table `name` (KeyError when there is no such table)."""
    if name not in table_names():
        raise KeyError(name)
    path = tables_dir() / f"{name}.csv"
    return _load(path, path.stat().st_mtime_ns)
