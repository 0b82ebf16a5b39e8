"""Pedigree shapes of the simulator: who is who, who is typed, how often a family looks so."""

from __future__ import annotations

from dataclasses import dataclass

from labtrack.kinship.pedigree import FEMALE, MALE


@dataclass(frozen=True)
class Shape:
    """A family template.

    persons : (person_id, father_id, mother_id, sex) in parents-first order ("" = founder)
    typed : person ids of the relatives who gave a reference sample (1 to 4)
    missing : person id of the missing person
    weight : relative frequency of this shape among simulated families
    """

    name: str
    persons: tuple[tuple[str, str, str, int], ...]
    typed: tuple[str, ...]
    missing: str
    weight: float

    def index(self, person_id: str) -> int:
        return [p[0] for p in self.persons].index(person_id)


M, F = MALE, FEMALE

SHAPES: tuple[Shape, ...] = (
    Shape(
        "parent", (("FA", "", "", M), ("MO", "", "", F), ("MP", "FA", "MO", M)), ("FA",), "MP", 3
    ),
    Shape(
        "both_parents",
        (("FA", "", "", M), ("MO", "", "", F), ("MP", "FA", "MO", M)),
        ("FA", "MO"),
        "MP",
        3,
    ),
    Shape(
        "full_sibling",
        (("FA", "", "", M), ("MO", "", "", F), ("MP", "FA", "MO", M), ("S1", "FA", "MO", M)),
        ("S1",),
        "MP",
        2,
    ),
    Shape(
        "two_siblings",
        (
            ("FA", "", "", M),
            ("MO", "", "", F),
            ("MP", "FA", "MO", M),
            ("S1", "FA", "MO", M),
            ("S2", "FA", "MO", F),
        ),
        ("S1", "S2"),
        "MP",
        2,
    ),
    Shape(
        "mother_and_sibling",
        (("FA", "", "", M), ("MO", "", "", F), ("MP", "FA", "MO", M), ("S1", "FA", "MO", F)),
        ("MO", "S1"),
        "MP",
        2,
    ),
    Shape(
        "half_sibling",
        (
            ("FA", "", "", M),
            ("MO", "", "", F),
            ("M2", "", "", F),
            ("MP", "FA", "MO", M),
            ("H1", "FA", "M2", M),
        ),
        ("H1",),
        "MP",
        1,
    ),
    Shape(
        "child_and_spouse",
        (("MP", "", "", M), ("SP", "", "", F), ("C1", "MP", "SP", M)),
        ("SP", "C1"),
        "MP",
        2,
    ),
    Shape(
        "spouse_and_children",
        (("MP", "", "", M), ("SP", "", "", F), ("C1", "MP", "SP", M), ("C2", "MP", "SP", F)),
        ("SP", "C1", "C2"),
        "MP",
        1,
    ),
    Shape(
        "grandparents",
        (
            ("GF", "", "", M),
            ("GM", "", "", F),
            ("FA", "GF", "GM", M),
            ("MO", "", "", F),
            ("MP", "FA", "MO", M),
        ),
        ("GF", "GM"),
        "MP",
        1,
    ),
    Shape(
        "avuncular",
        (
            ("GF", "", "", M),
            ("GM", "", "", F),
            ("FA", "GF", "GM", M),
            ("UN", "GF", "GM", M),
            ("MO", "", "", F),
            ("MP", "FA", "MO", M),
        ),
        ("UN",),
        "MP",
        1,
    ),
    Shape(
        "parents_and_sibling",
        (("FA", "", "", M), ("MO", "", "", F), ("MP", "FA", "MO", M), ("S1", "FA", "MO", M)),
        ("FA", "MO", "S1"),
        "MP",
        1,
    ),
    Shape(
        "mother_and_three_siblings",
        (
            ("FA", "", "", M),
            ("MO", "", "", F),
            ("MP", "FA", "MO", M),
            ("S1", "FA", "MO", M),
            ("S2", "FA", "MO", F),
            ("S3", "FA", "MO", M),
        ),
        ("MO", "S1", "S2", "S3"),
        "MP",
        1,
    ),
)
