"""A closed DVI event: victims (post-mortem profiles), families with one or more missing persons
(ante-mortem references), the allowed pairings, and per marker the frequencies and the
mutation matrices of each sex. Built and checked by `DVIProblem.build`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from labtrack.core.errors import InputError, InputProblem
from labtrack.core.messages import msg
from labtrack.kinship.freqs import FrequencyTable, MarkerFrequencies
from labtrack.kinship.markers import canonical_marker
from labtrack.kinship.pedigree import FEMALE, MALE, Pedigree, Person, parents_first

Genotype = tuple[str, str]
#: sample_id -> {marker -> (allele, allele)}
Genotypes = Mapping[str, Mapping[str, Genotype]]
#: The candidate meaning "this victim is none of the missing persons".
NOBODY = "*"


@dataclass(frozen=True)
class Victim:
    """One set of remains: its sample id and sex (1 male, 2 female)."""

    sample_id: str
    sex: int


@dataclass(frozen=True)
class DVIFamily:
    """A reference family: the pedigree (validated), its missing persons and its typed
    references (person_id -> sample_id, missing persons excluded)."""

    family_id: str
    pedigree: Pedigree
    missing: tuple[str, ...]
    references: Mapping[str, str]

    def sex_of(self, person_id: str) -> int:
        return self.pedigree.person(person_id).sex


@dataclass(frozen=True)
class MarkerModel:
    """One marker of the event: frequencies (every allele observed in the event included) and
    the mutation matrix of each sex (None: no mutation), shape (n, n) over `freqs.alleles`."""

    freqs: MarkerFrequencies
    female: np.ndarray | None = None
    male: np.ndarray | None = None

    @property
    def marker(self) -> str:
        return self.freqs.marker


@dataclass(frozen=True)
class DVIProblem:
    """A checked DVI event. `pairings[victim]` lists the missing persons the victim may be
    (sex-consistent unless given otherwise), plus `NOBODY` when the victim may be none of them."""

    victims: tuple[Victim, ...]
    families: tuple[DVIFamily, ...]
    genotypes: Genotypes
    markers: tuple[MarkerModel, ...]
    pairings: Mapping[str, tuple[str, ...]]
    skipped_markers: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def victim_ids(self) -> tuple[str, ...]:
        return tuple(v.sample_id for v in self.victims)

    @property
    def missing_ids(self) -> tuple[str, ...]:
        return tuple(m for f in self.families for m in f.missing)

    def family_of(self, missing_id: str) -> DVIFamily:
        for family in self.families:
            if missing_id in family.missing:
                return family
        raise KeyError(missing_id)

    def subset(
        self, victims: Iterable[str] | None = None, families: Iterable[str] | None = None
    ) -> DVIProblem:
        """The same event restricted to some victims and/or families (pairings restricted)."""
        keep_v = set(self.victim_ids if victims is None else victims)
        keep_f = set(f.family_id for f in self.families) if families is None else set(families)
        fams = tuple(f for f in self.families if f.family_id in keep_f)
        missing = {m for f in fams for m in f.missing}
        pairings = {
            v: tuple(c for c in cands if c == NOBODY or c in missing)
            for v, cands in self.pairings.items()
            if v in keep_v
        }
        return replace(
            self,
            victims=tuple(v for v in self.victims if v.sample_id in keep_v),
            families=fams,
            pairings=pairings,
        )

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        *,
        victims: Sequence[Victim],
        families: Mapping[str, Sequence[Person]],
        genotypes: Genotypes,
        freqs: FrequencyTable,
        pairings: Mapping[str, Sequence[str]] | None = None,
        mutation: Mapping[tuple[str, int], np.ndarray | MutationSpec] | None = None,
        source: str = "dvi",
        allow_unknown_sex: bool = False,
    ) -> DVIProblem:
        """Check everything and return the problem; InputError lists every problem found.

        families : family_id -> persons; `missing` marks each missing person (one or more);
            `sample_id` of the others marks the typed references
        pairings : victim -> allowed candidates (missing ids and `NOBODY`); default: every
            missing person of the victim's sex, and `NOBODY`
        mutation : (canonical marker, sex) -> the matrix over the marker's table alleles, or a
            `MutationSpec` (model name and parameters) built over the event's alleles
        allow_unknown_sex : a victim of unknown sex (0) may be any missing person (remains
            whose sex could not be estimated); otherwise it is an input problem
        """
        problems: list[InputProblem] = []

        def add(file: str, fld: str, message: str, row: int | None = None) -> None:
            problems.append(InputProblem(file=file, row=row, field=fld, message=message))

        _victim_problems(victims, genotypes, problems, allow_unknown_sex)
        seen = {v.sample_id for v in victims}
        built: list[DVIFamily] = []
        owner: dict[str, str] = {}
        for family_id, persons in families.items():
            family = _family(family_id, list(persons), source, problems)
            if family is None:
                continue
            for m in family.missing:
                if m in owner:
                    add(source, "person_id", f"missing person {m} is in families {owner[m]} "
                        f"and {family_id}; missing ids must be unique in the event")
                owner[m] = family_id
                if family.sex_of(m) not in (MALE, FEMALE):
                    add(source, "sex", f"family {family_id}: missing person {m} has unknown sex")
            for pid, sample in family.references.items():
                if sample not in genotypes:
                    add("genotypes", "sample_id",
                        f"family {family_id}: reference {pid} (sample {sample}) has no genotypes")
                if sample in seen:
                    add(source, "sample_id",
                        f"family {family_id}: reference sample {sample} is also a victim")
            built.append(family)
        if not families:
            add(source, "family_id", "no families")
        sex_of = {m: f.sex_of(m) for f in built for m in f.missing}
        allowed = _pairings(victims, sex_of, pairings, problems)
        markers, skipped = _markers(victims, built, genotypes, freqs, mutation, problems)
        if problems:
            raise InputError(problems)
        warnings = []
        if skipped:
            warnings.append(msg("markers not in the frequency table, skipped: %(markers)s", markers=", ".join(skipped)))
        for family in built:
            if not family.references:
                warnings.append(msg("family %(family)s has no typed reference", family=family.family_id))
        return cls(
            tuple(victims), tuple(built), genotypes, tuple(markers), allowed, tuple(skipped),
            tuple(warnings),
        )


@dataclass(frozen=True)
class MutationSpec:
    """A mutation model by name (pedmut conventions) for one marker and sex: `equal`,
    `proportional` or `stepwise` with rate, rate2 and range; `none` for no mutation."""

    model: str
    rate: float = 0.0
    rate2: float = 0.0
    range: float = 0.1


def _victim_problems(
    victims: Sequence[Victim], genotypes: Genotypes, problems: list[InputProblem],
    allow_unknown_sex: bool = False,
) -> None:
    if not victims:
        problems.append(InputProblem(file="victims", field="sample_id", message="no victims"))
    seen: set[str] = set()
    for v in victims:
        if v.sample_id in seen:
            problems.append(InputProblem(file="victims", field="sample_id",
                                         message=f"victim {v.sample_id} listed twice"))
        seen.add(v.sample_id)
        if v.sex not in (MALE, FEMALE) and not (allow_unknown_sex and v.sex == 0):
            problems.append(InputProblem(file="victims", field="sex",
                                         message=f"victim {v.sample_id}: sex {v.sex} is unknown (need 1 or 2)"))
        if v.sample_id not in genotypes:
            problems.append(InputProblem(file="genotypes", field="sample_id",
                                         message=f"victim {v.sample_id} has no genotypes"))


def _family(
    family_id: str, persons: list[Person], source: str, problems: list[InputProblem]
) -> DVIFamily | None:
    missing = sorted((p.person_id for p in persons if p.missing), key=natural_key)
    if not missing:
        problems.append(InputProblem(file=source, field="missing",
                                     message=f"family {family_id}: no missing person"))
        return None
    # Pedigree.build checks the structure and wants one missing person: flag the first only.
    first = missing[0]
    probe = [replace(p, missing=p.person_id == first) for p in persons]
    try:
        Pedigree.build(family_id, probe, source=source)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    pedigree = Pedigree(family_id, tuple(parents_first(probe)))
    references = {
        p.person_id: p.sample_id for p in persons if p.sample_id and not p.missing
    }
    return DVIFamily(family_id, pedigree, tuple(missing), references)


def natural_key(text: str) -> list[tuple[int, int | str]]:
    """Sort key putting M2 before M10."""
    return [(0, int(t)) if t.isdigit() else (1, t) for t in re.split(r"(\d+)", text) if t]


def _pairings(
    victims: Sequence[Victim],
    sex_of: Mapping[str, int],
    given: Mapping[str, Sequence[str]] | None,
    problems: list[InputProblem],
) -> dict[str, tuple[str, ...]]:
    allowed: dict[str, tuple[str, ...]] = {}
    for v in victims:
        if given is None:
            cands = [m for m, s in sex_of.items() if s == v.sex or v.sex not in (MALE, FEMALE)]
            allowed[v.sample_id] = (*cands, NOBODY)
            continue
        cands = list(dict.fromkeys(given.get(v.sample_id, (NOBODY,))))
        for c in cands:
            if c != NOBODY and c not in sex_of:
                problems.append(InputProblem(file="pairings", field="candidate",
                                             message=f"victim {v.sample_id}: unknown missing person {c}"))
        allowed[v.sample_id] = tuple(c for c in cands if c == NOBODY or c in sex_of)
    if given is not None:
        for v in given:
            if v not in allowed:
                problems.append(InputProblem(file="pairings", field="victim", message=f"unknown victim {v}"))
    return allowed


def _markers(
    victims: Sequence[Victim],
    families: Sequence[DVIFamily],
    genotypes: Genotypes,
    freqs: FrequencyTable,
    mutation: Mapping[tuple[str, int], np.ndarray | MutationSpec] | None,
    problems: list[InputProblem],
) -> tuple[list[MarkerModel], list[str]]:
    samples = [v.sample_id for v in victims] + [
        s for f in families for s in f.references.values()
    ]
    observed: dict[str, set[str]] = {}
    for sample in samples:
        for marker, genotype in genotypes.get(sample, {}).items():
            observed.setdefault(canonical_marker(marker), set()).update(genotype)
    skipped = sorted(m for m in observed if m not in freqs)
    models: list[MarkerModel] = []
    for marker in sorted(m for m in observed if m in freqs):
        try:
            mf = freqs.for_case(marker, observed[marker])
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        matrices = []
        for sex in (FEMALE, MALE):
            spec = None if mutation is None else mutation.get((marker, sex))
            try:
                matrices.append(_matrix(spec, mf, freqs))
            except ValueError as exc:
                name = "female" if sex == FEMALE else "male"
                problems.append(InputProblem(file="mutation", field="model", message=f"{marker} {name}: {exc}"))
                matrices.append(None)
        models.append(MarkerModel(mf, matrices[0], matrices[1]))
    return models, skipped


def _matrix(
    spec: np.ndarray | MutationSpec | None, mf: MarkerFrequencies, table: FrequencyTable
) -> np.ndarray | None:
    from labtrack.kinship.mutation import equal_matrix, proportional_matrix, stepwise_matrix

    if spec is None:
        return None
    if isinstance(spec, np.ndarray):
        table_alleles, _ = table.alleles_and_freqs(mf.marker)
        if spec.shape != (len(table_alleles), len(table_alleles)):
            raise ValueError(f"matrix of shape {spec.shape} for {len(table_alleles)} alleles")
        if not np.allclose(spec.sum(axis=1), 1.0, atol=1e-6):
            raise ValueError("mutation matrix rows do not sum to 1")
        if mf.unseen:
            raise ValueError(
                f"alleles {', '.join(mf.unseen)} are not in the frequency table, so the given "
                "mutation matrix does not cover them"
            )
        return None if np.array_equal(spec, np.eye(len(spec))) else spec
    if spec.model == "none" or spec.rate == 0 and spec.model != "stepwise":
        return None
    if spec.model == "equal":
        return equal_matrix(len(mf.alleles), spec.rate)
    if spec.model == "proportional":
        return proportional_matrix(mf.freqs, spec.rate)
    if spec.model == "stepwise":
        if spec.rate == 0 and spec.rate2 == 0:
            return None
        return stepwise_matrix(mf.alleles, spec.rate, spec.rate2, spec.range)
    raise ValueError(f"unknown mutation model {spec.model!r} (and no matrix given)")
