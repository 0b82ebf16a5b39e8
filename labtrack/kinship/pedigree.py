"""Pedigree structure (one family) and its validation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from labtrack.core.errors import InputError, InputProblem
from labtrack.core.messages import msg

MALE, FEMALE, UNKNOWN_SEX = 1, 2, 0


@dataclass(frozen=True)
class Person:
    """One member of a pedigree. `sample_id` is None for untyped people; `row` is the line of the
    pedigree file the person came from (None when built in code)."""

    person_id: str
    father_id: str | None = None
    mother_id: str | None = None
    sex: int = UNKNOWN_SEX
    sample_id: str | None = None
    missing: bool = False
    row: int | None = None

    @property
    def is_founder(self) -> bool:
        return self.father_id is None and self.mother_id is None


@dataclass(frozen=True)
class Pedigree:
    """A family: persons with parents, exactly one missing person.

    Built through `Pedigree.build`, which validates (unique ids, known parents, parents of the
    right sex, no one their own ancestor, both parents or none, one missing person) and raises
    an InputError listing every problem. `persons` is in topological order (parents first).
    """

    family_id: str
    persons: tuple[Person, ...]

    @classmethod
    def build(
        cls, family_id: str, persons: Iterable[Person], *, source: str = "pedigrees", checked: bool = False
    ) -> Pedigree:
        """Validate `persons` and return the pedigree (persons sorted parents-first). `checked`: the
        family rules were checked already (`imports.pedigrees.validate_family`, by the reader of
        the file): only what the engine needs beyond them (both parents or none, a cycle) is checked."""
        persons = list(persons)
        problems = _one_parent_problems(family_id, persons, source) if checked else _problems(family_id, persons,
                                                                                              source)
        if not problems:
            try:  # ordered once: a parent cycle is the one problem left to find
                return cls(family_id, tuple(parents_first(persons)))
            except ValueError as exc:
                cycle = str(exc.args[0])
                person = next(p for p in persons if p.person_id == cycle)
                problems = [InputProblem(file=source, row=person.row, field="father_id",
                                         message=_in_family(family_id, msg(
                    "%(person)s is their own ancestor (loop in the parents)", person=cycle)))]
        raise InputError(problems)

    # -- structure -------------------------------------------------------------------------
    @property
    def person_ids(self) -> tuple[str, ...]:
        return tuple(p.person_id for p in self.persons)

    def person(self, person_id: str) -> Person:
        for p in self.persons:
            if p.person_id == person_id:
                return p
        raise KeyError(person_id)

    @property
    def missing_person_id(self) -> str:
        return next(p.person_id for p in self.persons if p.missing)

    @property
    def typed_person_ids(self) -> tuple[str, ...]:
        """Persons with a reference sample, missing person excluded, in `persons` order."""
        return tuple(p.person_id for p in self.persons if p.sample_id and not p.missing)

    @property
    def founder_ids(self) -> tuple[str, ...]:
        return tuple(p.person_id for p in self.persons if p.is_founder)

    def sample_of(self) -> dict[str, str]:
        """person_id -> sample_id of the typed relatives (missing person excluded)."""
        return {p.person_id: p.sample_id for p in self.persons if p.sample_id and not p.missing}

    def with_typed(self, person_ids: Sequence[str]) -> Pedigree:
        """The same pedigree where exactly `person_ids` are typed (sample id = person id)."""
        wanted = set(person_ids)
        unknown = wanted - set(self.person_ids)
        if unknown:
            raise KeyError(f"not in pedigree {self.family_id}: {sorted(unknown)}")
        return Pedigree(
            self.family_id,
            tuple(
                replace(p, sample_id=p.person_id if p.person_id in wanted else None)
                for p in self.persons
            ),
        )


def _problems(family_id: str, persons: list[Person], source: str) -> list[InputProblem]:
    problems: list[InputProblem] = []

    def add(person: Person | None, fld: str, message: str) -> None:
        row = person.row if person else None
        problems.append(InputProblem(file=source, row=row, field=fld, message=_in_family(family_id, message)))

    by_id: dict[str, Person] = {}
    for p in persons:
        if not p.person_id:
            add(p, "person_id", msg("empty person id"))
        elif p.person_id in by_id:
            add(p, "person_id", msg("person %(person)s listed twice", person=p.person_id))
        else:
            by_id[p.person_id] = p
    for p in persons:
        problems.extend(_parent_problems(p, by_id, family_id, source))
    n_missing = sum(p.missing for p in persons)
    if n_missing != 1:
        add(None, "missing", msg("%(count)s missing persons; exactly one is required", count=n_missing))
    return problems  # a parent cycle: found by ``build`` while ordering the persons


def _one_parent_problems(family_id: str, persons: list[Person], source: str) -> list[InputProblem]:
    return [InputProblem(file=source, row=p.row, field="father_id" if p.father_id is None else "mother_id",
                         message=_in_family(
        family_id, msg("%(person)s has one parent only; give both or none", person=p.person_id)))
        for p in persons if (p.father_id is None) != (p.mother_id is None)]


def _parent_problems(
    p: Person, by_id: dict[str, Person], family_id: str, source: str
) -> list[InputProblem]:
    problems: list[InputProblem] = []

    def add(fld: str, message: str) -> None:
        problems.append(InputProblem(file=source, row=p.row, field=fld, message=_in_family(family_id, message)))

    if (p.father_id is None) != (p.mother_id is None):
        add(
            "father_id" if p.father_id is None else "mother_id",
            msg("%(person)s has one parent only; give both or none", person=p.person_id),
        )
    for fld, parent_id, bad_sex, role in (
        ("father_id", p.father_id, FEMALE, "father"),
        ("mother_id", p.mother_id, MALE, "mother"),
    ):
        if parent_id is None:
            continue
        names = {"parent": parent_id, "person": p.person_id}
        father = role == "father"
        if parent_id == p.person_id:
            add(fld, msg("%(person)s is their own father", person=p.person_id) if father
                else msg("%(person)s is their own mother", person=p.person_id))
        elif parent_id not in by_id:
            add(fld, msg("father %(parent)s of %(person)s is not in the family", **names) if father
                else msg("mother %(parent)s of %(person)s is not in the family", **names))
        elif by_id[parent_id].sex == bad_sex:
            add(fld, msg("father %(parent)s of %(person)s has the wrong sex", **names) if father
                else msg("mother %(parent)s of %(person)s has the wrong sex", **names))
    if p.father_id is not None and p.father_id == p.mother_id:
        add("mother_id", msg("%(person)s has the same person as father and mother", person=p.person_id))
    if p.sex not in (MALE, FEMALE, UNKNOWN_SEX):
        add("sex", msg("sex %(sex)s of %(person)s is not 0, 1 or 2", sex=p.sex, person=p.person_id))
    return problems


def _in_family(family_id: str, message: str) -> str:
    """A problem of one family: "family F1: ...", a message (said in the reader's language by the app)."""
    return msg("family %(family)s: %(problem)s", family=family_id, problem=message)


def parents_first(persons: list[Person]) -> list[Person]:
    """Persons in topological order (parents before children); ValueError(person_id) on a
    parent cycle."""
    by_id = {p.person_id: p for p in persons}
    done: set[str] = set()
    order: list[Person] = []
    for start in persons:
        stack: list[tuple[str, bool]] = [(start.person_id, False)]
        on_path: set[str] = set()
        while stack:
            pid, expanded = stack.pop()
            if expanded:
                on_path.discard(pid)
                if pid not in done:
                    done.add(pid)
                    order.append(by_id[pid])
                continue
            if pid in done:
                continue
            if pid in on_path:
                raise ValueError(pid)
            on_path.add(pid)
            stack.append((pid, True))
            p = by_id[pid]
            for parent in (p.mother_id, p.father_id):
                if parent is not None and parent in by_id and parent not in done:
                    if parent in on_path:
                        raise ValueError(parent)
                    stack.append((parent, False))
    return order
