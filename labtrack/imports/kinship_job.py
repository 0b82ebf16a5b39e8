"""Load a whole `labtrack kinship lr` job (freqs, genotypes, pedigrees, cases) and check that
the files agree with each other; every problem of every file is reported at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from labtrack.core.errors import InputError, InputProblem
from labtrack.imports.exchange import (
    Case,
    Genotypes,
    read_cases,
    read_freqs,
    read_genotypes,
    read_pedigrees,
)
from labtrack.kinship.freqs import FrequencyTable
from labtrack.kinship.pedigree import Pedigree

T = TypeVar("T")


@dataclass(frozen=True)
class KinshipJob:
    """Everything a case-LR job needs, checked for consistency."""

    freqs: FrequencyTable
    genotypes: Genotypes
    pedigrees: dict[str, Pedigree]
    cases: list[Case]


def load_job(
    *,
    freqs: str | Path,
    genotypes: str | Path,
    pedigrees: str | Path,
    cases: str | Path,
    min_freq: float | None = None,
) -> KinshipJob:
    """Read the four files and cross-check them; raises InputError with all problems."""
    problems: list[InputProblem] = []

    def attempt(read: Callable[[], T]) -> T | None:
        try:
            return read()
        except InputError as exc:
            problems.extend(exc.problems)
            return None

    table = attempt(lambda: read_freqs(freqs, min_freq=min_freq))
    profiles = attempt(lambda: read_genotypes(genotypes))
    families = attempt(lambda: read_pedigrees(pedigrees))
    questions = attempt(lambda: read_cases(cases))
    problems += _cross_problems(
        profiles, families, questions, Path(pedigrees).name, Path(cases).name
    )
    if problems:
        raise InputError(problems)
    assert table is not None and profiles is not None  # noqa: S101 - no problems
    assert families is not None and questions is not None  # noqa: S101
    return KinshipJob(table, profiles, families, questions)


def _cross_problems(
    profiles: Genotypes | None,
    families: dict[str, Pedigree] | None,
    questions: list[Case] | None,
    pedigree_file: str,
    case_file: str,
) -> list[InputProblem]:
    """Problems between files, for each pair of files that could be read."""
    problems: list[InputProblem] = []
    for pedigree in (families or {}).values() if profiles is not None else ():
        for person in pedigree.persons:
            if person.sample_id and not person.missing and person.sample_id not in profiles:
                problems.append(
                    InputProblem(
                        file=pedigree_file,
                        row=person.row,
                        field="sample_id",
                        message=f"family {pedigree.family_id}: sample {person.sample_id} of "
                        f"{person.person_id} has no genotypes",
                    )
                )
    for case in questions or []:
        if families is not None and case.family_id not in families:
            problems.append(
                InputProblem(file=case_file, row=case.row, field="family_id",
                             message=f"unknown family {case.family_id}")
            )
        if profiles is not None and case.unknown_sample_id not in profiles:
            problems.append(
                InputProblem(
                    file=case_file,
                    row=case.row,
                    field="unknown_sample_id",
                    message=f"sample {case.unknown_sample_id} has no genotypes",
                )
            )
    return problems
