"""One problem type: the services, the file readers and the kinship engine say where input is wrong
(file, row, field) with the same ``InputProblem``, built with keywords only."""

from __future__ import annotations

from pathlib import Path

import pytest

from labtrack.core.errors import InputError, InputProblem, ProblemList, ValidationFailed
from labtrack.core.messages import LIST_SEPARATOR, msg
from labtrack.imports import exchange
from labtrack.kinship.pedigree import Pedigree, Person
from tests.core.test_messages import Catalogue


def test_a_problem_is_built_with_keywords_only() -> None:
    # the two old types took file, row, field, message and message, field, row, file: a positional
    # call could put a file name where the message belongs without any error
    with pytest.raises(TypeError):
        InputProblem("freqs.csv", 3, "frequency", "not a number")  # type: ignore[misc]
    problem = InputProblem(file="freqs.csv", row=3, field="frequency", message="not a number")
    assert (problem.file, problem.row, problem.field, problem.message) == ("freqs.csv", 3, "frequency", "not a number")


def test_an_empty_place_is_none() -> None:
    assert InputProblem(message="m", file="", field="") == InputProblem(message="m")
    assert InputProblem(message="m", file="", field="").as_dict() == {
        "message": "m", "field": None, "row": None, "file": None}


@pytest.mark.parametrize(("problem", "said"), [
    (InputProblem(file="pedigrees.csv", row=10, field="mother_id", message="unknown parent"),
     "pedigrees.csv, row 10, field mother_id: unknown parent"),
    (InputProblem(file="freqs.csv", message="empty file (no header row)"), "freqs.csv: empty file (no header row)"),
    (InputProblem(file="", row=4, field="", message="a loop"), "row 4: a loop"),
    (InputProblem(field="reason", message="a reason is required"), "field reason: a reason is required"),
    (InputProblem(message="nothing matched"), "nothing matched"),
    (InputProblem(file="f.csv", row=0, message="header"), "f.csv, row 0: header"),
])
def test_the_text_names_only_the_places_that_apply(problem: InputProblem, said: str) -> None:
    assert str(problem) == said
    assert problem.describe() == said  # the same English as a message


def test_the_place_is_said_in_the_readers_language() -> None:
    problem = InputProblem(file="freqs.csv", row=3, field="frequency", message=msg("not a number"))
    arabic = Catalogue({LIST_SEPARATOR: "، ", "row %(row)s": "السطر %(row)s", "field %(field)s": "الحقل %(field)s",
                        "not a number": "ليس رقمًا"})
    assert problem.describe().render(arabic) == "freqs.csv، السطر 3، الحقل frequency: ليس رقمًا"


def test_the_engine_raises_the_same_type_the_services_carry(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        Pedigree.build("F1", [Person("A", father_id="B", sex=1, missing=True, row=5),
                                    Person("B", sex=1, row=6)], source="pedigrees.csv")
    (problem,) = caught.value.problems
    assert isinstance(problem, InputProblem)
    assert (problem.file, problem.row, problem.field) == ("pedigrees.csv", 5, "mother_id")
    # a service passes the engine's problems on unchanged
    failed = ValidationFailed("cannot be read", caught.value.problems)
    assert failed.problems == caught.value.problems

    empty = tmp_path / "freqs.csv"
    empty.write_text("")
    with pytest.raises(InputError) as caught:
        exchange.read_freqs(empty)
    assert [(p.file, p.row, p.field) for p in caught.value.problems] == [("freqs.csv", None, None)]
    assert str(caught.value).startswith("1 problem(s) in the input:\n  - freqs.csv: ")


def test_a_problem_list_builds_the_same_type() -> None:
    problems = ProblemList()
    problems.add("too long", field="name", row=2, file="x.csv")
    assert problems.problems == [InputProblem(message="too long", field="name", row=2, file="x.csv")]
