"""``pedigrees.csv`` (pure): read and validate, write back byte for byte.

Columns ``family_id,person_id,father_id,mother_id,sex,sample_id,missing``; one row per person;
parents blank for founders; sex ``1``/``M`` male, ``2``/``F`` female, ``0``/blank unknown;
``missing`` is 1 for exactly one person per family. Refused, with the reason: unknown parent,
a father who is female or a mother who is male, a person who is their own ancestor (a loop),
two people with one ID, no or several missing persons in a family, a missing person with a
sample.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, replace

from labtrack.core.errors import InputProblem
from labtrack.core.messages import msg
from labtrack.imports.table_text import TableRefused, read_rows

COLUMNS = ["family_id", "person_id", "father_id", "mother_id", "sex", "sample_id", "missing"]
_SEX = {"1": "M", "M": "M", "2": "F", "F": "F", "0": "U", "": "U", "U": "U"}
SEX_CODE = {"M": "1", "F": "2", "U": "0"}


@dataclass(frozen=True)
class PedigreeRow:
    family_id: str
    person_id: str
    father_id: str
    mother_id: str
    sex: str  # M, F, U
    sample_id: str
    missing: bool
    row: int | None = None


def read_pedigrees(raw: bytes, *, filename: str, comments: bool = False
                   ) -> tuple[list[PedigreeRow], list[InputProblem]]:
    """The one reader of ``pedigrees.csv``: the app's import (``services.pedigree_exchange``) and
    the engine's (``imports.exchange.read_pedigrees``: the CLI, match runs) both read with it.
    The rows and every problem (file, row, field, message); ``comments``: lines starting with
    ``#`` are skipped (the exchange files of the command line may have them)."""
    problems: list[InputProblem] = []

    def problem(message: str, row: int | None = None, field: str | None = None) -> None:
        problems.append(InputProblem(message=message, row=row, field=field, file=filename))

    try:
        header_row, header, table = read_rows(raw, comments=comments)
    except TableRefused as refused:
        problem(refused.message, refused.row, refused.field)
        return [], problems
    if header != COLUMNS:
        problem(msg("the header must be %(columns)s", columns=",".join(COLUMNS)), row=header_row, field="header")
        return [], problems
    rows: list[PedigreeRow] = []
    for number, cells in table:
        if not any(cells):
            continue
        if len(cells) != len(COLUMNS):
            problem(msg("expected %(expected)s fields, found %(found)s", expected=len(COLUMNS), found=len(cells)),
                    number)
            continue
        values = dict(zip(COLUMNS, cells, strict=True))
        ok = True
        for name in ("family_id", "person_id"):
            if not values[name]:
                problem(msg("%(field)s is empty", field=name), number, name)
                ok = False
        sex = _SEX.get(values["sex"].upper())
        if sex is None:
            problem(msg("sex %(value)s is not 1/M, 2/F or 0/blank", value=repr(values["sex"])), number, "sex")
            ok = False
        if values["missing"] not in ("0", "1", ""):
            problem(msg("missing %(value)s is not 0 or 1", value=repr(values["missing"])), number, "missing")
            ok = False
        if ok:
            rows.append(PedigreeRow(values["family_id"], values["person_id"], values["father_id"],
                                    values["mother_id"], sex or "U", values["sample_id"],
                                    values["missing"] == "1", number))
    for family_rows in group_families(rows).values():
        problems.extend(validate_family(family_rows, filename=filename))
    return rows, problems


def group_families(rows: list[PedigreeRow]) -> dict[str, list[PedigreeRow]]:
    families: dict[str, list[PedigreeRow]] = {}
    for row in rows:
        families.setdefault(row.family_id, []).append(row)
    return families


def validate_family(rows: list[PedigreeRow], *, filename: str | None = None) -> list[InputProblem]:
    """Every problem of one family's rows."""
    problems: list[InputProblem] = []
    family = rows[0].family_id if rows else ""

    def problem(message: str, row: int | None = None, field: str | None = None) -> None:
        problems.append(InputProblem(message=msg("family %(family)s: %(problem)s", family=family, problem=message),
                                     row=row, field=field, file=filename))

    people: dict[str, PedigreeRow] = {}
    for row in rows:
        if row.person_id in people:
            problem(msg("person %(person)s appears twice", person=row.person_id), row.row, "person_id")
        people[row.person_id] = row
    for row in rows:
        for field, parent_id, wrong_sex, role in (("father_id", row.father_id, "F", "father"),
                                                 ("mother_id", row.mother_id, "M", "mother")):
            if not parent_id:
                continue
            parent = people.get(parent_id)
            if parent is None:
                problem(msg("father %(parent)s of %(person)s is not a person of the family", parent=parent_id,
                            person=row.person_id) if role == "father" else
                        msg("mother %(parent)s of %(person)s is not a person of the family", parent=parent_id,
                            person=row.person_id), row.row, field)
            elif parent.sex == wrong_sex:
                problem(msg("father %(parent)s of %(person)s has sex female", parent=parent_id, person=row.person_id)
                        if role == "father" else
                        msg("mother %(parent)s of %(person)s has sex male", parent=parent_id, person=row.person_id),
                        row.row, field)
            elif parent_id == row.person_id:
                problem(msg("%(person)s is their own father", person=row.person_id) if role == "father" else
                        msg("%(person)s is their own mother", person=row.person_id), row.row, field)
        if row.father_id and row.father_id == row.mother_id:
            problem(msg("%(person)s has the same person as father and mother", person=row.person_id), row.row,
                    "mother_id")
        if row.missing and row.sample_id:
            problem(msg("missing person %(person)s cannot have a reference sample", person=row.person_id), row.row,
                    "sample_id")
    for person_id in _in_loops(people):
        problem(msg("%(person)s is their own ancestor (a loop in the family tree)", person=person_id),
                people[person_id].row, "person_id")
    missing = [row for row in rows if row.missing]
    if not missing:
        problem(msg("no missing person (missing=1 for exactly one person)"), rows[0].row if rows else None,
                "missing")
    elif len(missing) > 1:
        problem(msg("%(count)s missing persons (%(persons)s) where exactly one is expected", count=len(missing),
                    persons=", ".join(r.person_id for r in missing)), missing[1].row, "missing")
    return problems


def add_missing_parents(rows: list[PedigreeRow]) -> tuple[list[PedigreeRow], list[str]]:
    """A child with one parent given gets an untyped founder for the other (the kinship engine
    needs both parents or none). One founder per child: nothing is assumed about the child's
    siblings (they may be half-siblings). Returns the rows with the founders and one note each."""
    taken = {row.person_id for row in rows}
    repaired: list[PedigreeRow] = []
    added: list[PedigreeRow] = []
    notes: list[str] = []
    for row in rows:
        if bool(row.father_id) == bool(row.mother_id):
            repaired.append(row)
            continue
        role, sex = ("mother", "F") if row.father_id else ("father", "M")
        code, n = f"{row.person_id}-{role.upper()}", 1
        while code in taken:
            n += 1
            code = f"{row.person_id}-{role.upper()}{n}"
        taken.add(code)
        added.append(PedigreeRow(family_id=row.family_id, person_id=code, father_id="", mother_id="", sex=sex,
                                 sample_id="", missing=False, row=row.row))
        repaired.append(replace(row, father_id=row.father_id or code, mother_id=row.mother_id or code))
        notes.append(f"the {role} of {row.person_id} was not given (row {row.row}): added as untyped "
                     f"founder {code}")
    return added + repaired, notes


def _in_loops(people: dict[str, PedigreeRow]) -> list[str]:
    """People who are their own ancestor, in file order: the members of a cycle of the parent
    links (Tarjan's strongly connected components, iterative: linear in the family's size)."""
    def parents(person_id: str) -> list[str]:
        row = people[person_id]
        return [p for p in (row.father_id, row.mother_id) if p in people]

    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    looped: set[str] = set()
    for start in people:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(parents(start)))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, todo = work[-1]
            step = next(todo, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(parents(step))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in parents(node):
                    looped.update(component)
    return [person_id for person_id in people if person_id in looped]


def parents_first(rows: list[PedigreeRow]) -> list[PedigreeRow]:
    """The rows with every person after their parents (a file may list children first): founders
    in file order, then their children in file order, and so on (generation by generation); linear
    but for the sort. Rows whose parents are not all in ``rows`` or who are in a loop come last."""
    by_id = {row.person_id: k for k, row in enumerate(rows)}
    children: dict[int, list[int]] = {}
    waiting = [0] * len(rows)
    generation = [0] * len(rows)
    ready: list[int] = []
    for k, row in enumerate(rows):
        parents = {p for p in (row.father_id, row.mother_id) if p}
        waiting[k] = len(parents)
        for parent in parents:
            children.setdefault(by_id.get(parent, -1), []).append(k)
        if not parents:
            ready.append(k)
    placed: list[int] = []
    while ready:
        k = ready.pop()
        placed.append(k)
        for child in children.get(k, []):
            generation[child] = max(generation[child], generation[k] + 1)
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    placed.sort(key=lambda k: (generation[k], k))
    done = set(placed)
    return [rows[k] for k in placed] + [row for k, row in enumerate(rows) if k not in done]


def write_pedigrees(rows: list[PedigreeRow]) -> bytes:
    """The rows as ``pedigrees.csv`` (sex written 1/2/0, missing 0/1, ``\\n`` line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.family_id, row.person_id, row.father_id, row.mother_id,
                         SEX_CODE[row.sex], row.sample_id, "1" if row.missing else "0"])
    return out.getvalue().encode("utf-8")
