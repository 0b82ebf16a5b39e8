"""pedigrees.csv: exact round trip, refused trees, and the drawn family tree."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest

from labtrack.documents.pedigree_svg import DrawnMember, draw
from labtrack.imports.pedigrees import group_families, read_pedigrees, write_pedigrees

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT / "tests" / "data" / "kinship-public" / "pedigrees.csv"
MALFORMED = ROOT / "fixtures" / "malformed"
SVG = "{http://www.w3.org/2000/svg}"


def test_public_pedigrees_round_trip_exactly() -> None:
    raw = PUBLIC.read_bytes()
    rows, problems = read_pedigrees(raw, filename="pedigrees.csv")
    assert problems == []
    assert len(group_families(rows)) >= 10
    assert write_pedigrees(rows) == raw


@pytest.mark.parametrize(("name", "expected"), [
    ("pedigree_loop.csv", ["row 2", "A is their own ancestor", "row 3", "B is their own ancestor"]),
    ("pedigree_two_missing.csv", ["row 4", "2 missing persons (MP1, MP2) where exactly one is expected"]),
    ("pedigree_bad_parents.csv", ["father M of MP has sex female", "mother X9 of MP is not a person",
                                  "sex '7' is not"]),
])
def test_bad_pedigrees_are_refused_with_the_reason(name: str, expected: list[str]) -> None:
    _rows, problems = read_pedigrees((MALFORMED / name).read_bytes(), filename=name)
    text = " | ".join(str(p) for p in problems)
    for part in expected:
        assert part in text


def test_own_parent_is_refused() -> None:
    raw = b"family_id,person_id,father_id,mother_id,sex,sample_id,missing\nX,A,A,,1,,1\n"
    _rows, problems = read_pedigrees(raw, filename="x.csv")
    assert any("own ancestor" in p.message or "own father" in p.message for p in problems)


def test_family_tree_svg_shows_every_member() -> None:
    rows, _ = read_pedigrees(PUBLIC.read_bytes(), filename="pedigrees.csv")
    for family_rows in group_families(rows).values():
        members = [DrawnMember(r.person_id, r.sex, r.father_id, r.mother_id, bool(r.sample_id),
                               r.missing, r.sample_id) for r in family_rows]
        root = ElementTree.fromstring(draw(members, title=family_rows[0].family_id))
        groups = root.findall(f"{SVG}g[@data-person]")
        assert sorted(g.get("data-person") for g in groups) == sorted(r.person_id for r in family_rows)
        for group, row in zip(sorted(groups, key=lambda g: g.get("data-person")),
                              sorted(family_rows, key=lambda r: r.person_id), strict=True):
            shape = {"M": "rect", "F": "circle", "U": "polygon"}[row.sex]
            assert group.find(f"{SVG}{shape}") is not None
            assert ("missing" in group.get("class", "")) == row.missing
            assert ("typed" in group.get("class", "")) == bool(row.sample_id)
            assert group.find(f"{SVG}text[@class='person']").text == row.person_id
        lines = root.findall(f"{SVG}g[@class='links']/{SVG}polyline")
        assert len(lines) == sum(1 for r in family_rows if r.father_id or r.mother_id)
