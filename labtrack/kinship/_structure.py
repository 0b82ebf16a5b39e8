"""A pedigree reduced to the persons that matter for a likelihood, as index arrays."""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass

from labtrack.kinship.pedigree import Pedigree, parents_first


@dataclass(frozen=True)
class Structure:
    """Persons in parents-first order; `father[i]`/`mother[i]` are indices, -1 for founders."""

    ids: tuple[str, ...]
    father: tuple[int, ...]
    mother: tuple[int, ...]

    @property
    def size(self) -> int:
        return len(self.ids)

    def index(self, person_id: str) -> int:
        return self.ids.index(person_id)

    def is_founder(self, i: int) -> bool:
        return self.father[i] < 0

    def with_extra_founders(self, count: int) -> Structure:
        """Append `count` unrelated founders named `#extra<k>` (none: this structure)."""
        if count == 0:
            return self
        names = tuple(f"#extra{k}" for k in range(count))
        return Structure(self.ids + names, self.father + (-1,) * count, self.mother + (-1,) * count)


def relevant_structure(pedigree: Pedigree, keep: Collection[str]) -> Structure:
    """The persons of `keep` and all their ancestors (the others, untyped and without typed
    descendants, sum out to 1 and are dropped), parents first. (Worked out once per pedigree and
    set of persons: the exact path asks for the same few structures at every locus of a case.)"""
    return _relevant_structure(pedigree, frozenset(keep))


@functools.lru_cache(maxsize=4096)
def _relevant_structure(pedigree: Pedigree, keep: frozenset[str]) -> Structure:
    parents = {p.person_id: (p.father_id, p.mother_id) for p in pedigree.persons}
    wanted: set[str] = set()
    stack = [pid for pid in keep if pid in parents]
    while stack:
        pid = stack.pop()
        if pid in wanted:
            continue
        wanted.add(pid)
        stack.extend(parent for parent in parents[pid] if parent is not None)
    ids = tuple(p.person_id for p in parents_first(list(pedigree.persons)) if p.person_id in wanted)
    position = {pid: i for i, pid in enumerate(ids)}
    father = tuple(position[parents[pid][0]] if parents[pid][0] else -1 for pid in ids)
    mother = tuple(position[parents[pid][1]] if parents[pid][1] else -1 for pid in ids)
    return Structure(ids, father, mother)
