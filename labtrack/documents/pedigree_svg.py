"""Draw a pedigree as SVG (pure: members in, SVG text out).

Squares are males, circles females, diamonds unknown sex; typed members (with a reference
sample) are filled; the missing person has a thick red outline and a "?" inside; generations are
rows (founders on top); lines join each child to its parents' mating line. Labels are person codes
and sample accessions only (blind processing: no names).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, tostring

SIZE = 36
GAP_X = 120
GAP_Y = 120
MARGIN = 50


@dataclass(frozen=True)
class DrawnMember:
    person: str
    sex: str  # M, F, U
    father: str
    mother: str
    typed: bool
    missing: bool
    label: str = ""  # second line: sample accession or relation


def generations(members: Sequence[DrawnMember]) -> dict[str, int]:
    """Person → generation (0 = founders; a child is one below its lowest parent)."""
    by_person = {m.person: m for m in members}
    depth: dict[str, int] = {}

    def level(person: str, trail: frozenset[str]) -> int:
        if person in depth:
            return depth[person]
        member = by_person[person]
        parents = [p for p in (member.father, member.mother) if p in by_person and p not in trail]
        value = 1 + max((level(p, trail | {person}) for p in parents), default=-1)
        depth[person] = value
        return value

    for member in members:
        level(member.person, frozenset())
    # a founder married into the family sits in the generation of their partner
    for member in members:
        partners = [p for p in (member.father, member.mother) if p in by_person]
        if len(partners) == 2:
            row = max(depth[p] for p in partners)
            for partner in partners:
                mate = by_person[partner]
                if not (mate.father in by_person or mate.mother in by_person):
                    depth[partner] = row
    return depth


def _order_row(row: list[DrawnMember], where: dict[str, tuple[float, float]],
               mates: dict[str, list[str]]) -> list[DrawnMember]:
    """Children under their parents, each person followed by their mates in the same row (so a
    mating line never crosses a third person)."""
    def under_parents(pair: tuple[int, DrawnMember]) -> tuple[float, int]:
        index, member = pair
        xs = [where[p][0] for p in (member.father, member.mother) if p in where]
        return (sum(xs) / len(xs) if xs else float("inf"), index)

    by_person = {m.person: m for m in row}
    ordered: list[DrawnMember] = []
    for _, member in sorted(enumerate(row), key=under_parents):
        if member in ordered:
            continue
        new_mates = [by_person[mate] for mate in dict.fromkeys(mates.get(member.person, []))
                     if mate in by_person and by_person[mate] not in ordered]
        # a second mate goes on the other side, so that both mating lines stay short
        ordered.extend([*new_mates[1:2], member, new_mates[0], *new_mates[2:]] if new_mates else [member])
    return ordered


def draw(members: Sequence[DrawnMember], *, title: str = "") -> str:
    depth = generations(members)
    rows: dict[int, list[DrawnMember]] = {}
    for member in members:
        rows.setdefault(depth[member.person], []).append(member)
    width = MARGIN * 2 + GAP_X * max((len(r) for r in rows.values()), default=1)
    height = MARGIN * 2 + GAP_Y * max(len(rows), 1)
    svg = Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "width": str(width),
                          "height": str(height), "viewBox": f"0 0 {width} {height}",
                          "role": "img", "class": "pedigree"})
    SubElement(svg, "title").text = title or "Pedigree"
    where: dict[str, tuple[float, float]] = {}
    mates: dict[str, list[str]] = {}
    for member in members:
        if member.father in depth and member.mother in depth:
            mates.setdefault(member.father, []).append(member.mother)
            mates.setdefault(member.mother, []).append(member.father)
    for generation, row in sorted(rows.items()):
        row = _order_row(row, where, mates)
        offset = (width - GAP_X * len(row)) / 2 + GAP_X / 2
        for index, member in enumerate(row):
            where[member.person] = (offset + index * GAP_X, MARGIN + SIZE / 2 + generation * GAP_Y)
    lines = SubElement(svg, "g", {"class": "links", "stroke": "#333", "fill": "none"})
    for member in members:
        parents = [where[p] for p in (member.father, member.mother) if p in where]
        if not parents:
            continue
        x, y = where[member.person]
        px = sum(p[0] for p in parents) / len(parents)
        py = max(p[1] for p in parents)
        if len(parents) == 2:
            SubElement(lines, "line", {"x1": str(parents[0][0]), "y1": str(parents[0][1]),
                                       "x2": str(parents[1][0]), "y2": str(parents[1][1])})
        mid = (py + y) / 2
        SubElement(lines, "polyline", {"points": f"{px},{py} {px},{mid} {x},{mid} {x},{y - SIZE / 2}"})
    for member in members:
        x, y = where[member.person]
        group = SubElement(svg, "g", {"class": "member" + (" missing" if member.missing else "")
                                      + (" typed" if member.typed else ""),
                                      "data-person": member.person, "data-sex": member.sex})
        style = {"fill": "#2b6cb0" if member.typed else "#fff",
                 "stroke": "#c00" if member.missing else "#333",
                 "stroke-width": "4" if member.missing else "2"}
        half = SIZE / 2
        if member.sex == "M":
            SubElement(group, "rect", {"x": str(x - half), "y": str(y - half), "width": str(SIZE),
                                       "height": str(SIZE), **style})
        elif member.sex == "F":
            SubElement(group, "circle", {"cx": str(x), "cy": str(y), "r": str(half), **style})
        else:
            SubElement(group, "polygon", {"points": f"{x},{y - half} {x + half},{y} {x},{y + half} {x - half},{y}",
                                          **style})
        if member.missing:
            SubElement(group, "text", {"x": str(x), "y": str(y + 6), "text-anchor": "middle",
                                       "font-size": "18", "fill": "#c00"}).text = "?"
        SubElement(group, "text", {"x": str(x), "y": str(y + half + 16), "text-anchor": "middle",
                                   "font-size": "13", "class": "person"}).text = member.person
        if member.label:
            SubElement(group, "text", {"x": str(x), "y": str(y + half + 31), "text-anchor": "middle",
                                       "font-size": "11", "class": "label"}).text = member.label
    return tostring(svg, encoding="unicode")
