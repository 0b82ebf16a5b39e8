"""Familias `.fam` files (Egeland et al. 2000; the format that pedFamilias::readFam reads):
persons and genotypes, pedigree hypotheses, the allele-frequency database with the mutation
model of each sex, and DVI projects (unidentified persons and reference families).

`parse_fam(text)` returns a `FamFile`; every error names the line and what was expected
(truncated file, unknown version, a person their own ancestor, a mother who is male...).
Conventions follow pedFamilias 0.2.4: a person with one parent gets the other added
(`added_1`, ...), Familias mutation codes 0-4 are pedmut's equal, proportional, stepwise
(unstationary), stepwise stabilised (not supported here) and stepwise (extended); a stepwise
model on non-numeric alleles falls back to equal. DVI projects follow dvir's familias2dvir:
the reference pedigree of a family is its second pedigree (its connected part with more than
one person), the missing persons are the persons whose name begins with "Missing", renamed
M1, M2, ... in order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from labtrack.core.errors import InputError, InputProblem
from labtrack.kinship.dvi.problem import DVIProblem, Victim
from labtrack.kinship.freqs import FrequencyTable
from labtrack.kinship.likelihood import pedigree_likelihood
from labtrack.kinship.markers import canonical_marker
from labtrack.kinship.mutation import (
    Transmission,
    equal_matrix,
    proportional_matrix,
    stepwise_matrix,
)
from labtrack.kinship.pedigree import FEMALE, MALE, Pedigree, Person, parents_first

#: Familias mutation model codes as pedFamilias maps them.
MODEL_CODES = ("equal", "proportional", "stepwise", "stepwise-stationary", "stepwise")
KNOWN_VERSIONS = re.compile(r"^(2\.\d|3\.\d)")

Genotype = tuple[str, str]


class FamError(InputError):
    """A problem in a .fam file (file, line, what was expected)."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        super().__init__([InputProblem(file=source, row=line, message=message)])


@dataclass(frozen=True)
class FamMutation:
    """One sex's mutation model at a locus (Familias code and pedmut name)."""

    code: int
    model: str
    rate: float
    rate2: float
    range: float

    def matrix(self, alleles: Sequence[str], freqs: np.ndarray) -> np.ndarray | None:
        """The pedmut matrix over `alleles`, or None when it is the identity."""
        if self.model == "equal":
            m = equal_matrix(len(alleles), self.rate)
        elif self.model == "proportional":
            m = proportional_matrix(freqs, self.rate)
        elif self.model == "stepwise":
            m = stepwise_matrix(alleles, self.rate, self.rate2, self.range)
        else:
            raise ValueError(f"mutation model {self.model} is not supported")
        return None if np.all(np.diag(m) == 1) else m


@dataclass(frozen=True)
class FamLocus:
    name: str
    alleles: tuple[str, ...]
    freqs: np.ndarray
    female: FamMutation
    male: FamMutation
    database_size: float | None = None
    dropout: float | None = None
    maf: float | None = None
    warnings: tuple[str, ...] = ()

    def transmission(self) -> np.ndarray | Transmission | None:
        """The engine's mutation argument: None, one matrix, or female and male matrices."""
        female = self.female.matrix(self.alleles, self.freqs)
        male = self.male.matrix(self.alleles, self.freqs)
        if female is None and male is None:
            return None
        n = len(self.alleles)
        female = np.eye(n) if female is None else female
        male = np.eye(n) if male is None else male
        return female if np.array_equal(female, male) else Transmission(female=female, male=male)


@dataclass(frozen=True)
class FamPerson:
    person_id: str
    sex: int
    genotypes: Mapping[str, Genotype] = field(default_factory=dict)


@dataclass(frozen=True)
class FamPedigree:
    """One pedigree (hypothesis): persons with parents (ids) and sexes, parents first."""

    name: str
    persons: tuple[Person, ...]

    def components(self) -> list[list[Person]]:
        """Connected components, each in person order, ordered by their first person."""
        index = {p.person_id: k for k, p in enumerate(self.persons)}
        root = list(range(len(self.persons)))

        def find(k: int) -> int:
            while root[k] != k:
                root[k] = root[root[k]]
                k = root[k]
            return k

        for p in self.persons:
            for parent in (p.father_id, p.mother_id):
                if parent:
                    root[find(index[p.person_id])] = find(index[parent])
        groups: dict[int, list[Person]] = {}
        for k, p in enumerate(self.persons):
            groups.setdefault(find(k), []).append(p)
        return sorted(groups.values(), key=lambda g: index[g[0].person_id])

    def engine_pedigree(self) -> Pedigree:
        """The pedigree for the likelihood engine (no missing person needed)."""
        return Pedigree(self.name, tuple(parents_first(list(self.persons))))


@dataclass(frozen=True)
class FamFamily:
    """A DVI reference family: its persons (with genotypes) and its pedigrees."""

    name: str
    persons: tuple[FamPerson, ...]
    pedigrees: tuple[FamPedigree, ...]


@dataclass(frozen=True)
class FamFile:
    version: str
    theta: float
    database_name: str
    loci: tuple[FamLocus, ...]
    persons: tuple[FamPerson, ...]
    pedigrees: tuple[FamPedigree, ...]
    dvi: bool = False
    unidentified: tuple[FamPerson, ...] = ()
    families: tuple[FamFamily, ...] = ()
    dropout_consider: Mapping[str, bool] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        if self.dvi:
            return "dvi"
        return "pedigrees" if self.pedigrees else "database"

    def locus(self, name: str) -> FamLocus:
        for locus in self.loci:
            if locus.name == name:
                return locus
        raise KeyError(name)


# -- parsing ---------------------------------------------------------------------------------
class _Lines:
    def __init__(self, raw: list[str], source: str) -> None:
        self.raw = raw
        self.x = [line.replace('"', "") for line in raw]
        self.source = source

    def get(self, k: int, what: str) -> str:
        """Line k (0-based), or a 'truncated' error naming what was expected."""
        if k >= len(self.x):
            raise FamError(self.source, len(self.x),
                           f"file ends early (truncated): expected {what} at line {k + 1}")
        return self.x[k]

    def int(self, k: int, what: str) -> int:
        value = self.get(k, what).strip()
        try:
            return int(value)
        except ValueError:
            raise FamError(self.source, k + 1,
                           f"expected {what}, found {value!r}") from None

    def float(self, k: int, what: str) -> float:
        value = self.get(k, what).strip()
        try:
            return float(value)
        except ValueError:
            raise FamError(self.source, k + 1,
                           f"expected {what} (a number), found {value!r}") from None


def parse_fam(text: str, source: str = "file.fam") -> FamFile:
    """Parse the text of a .fam file; FamError names the line of any problem."""
    raw = text.splitlines()
    lines = _Lines(raw, source)
    first = lines.get(0, "the Familias header")
    if not first.startswith("Output from Familias"):
        raise FamError(source, 1, f"not a Familias file (line 1 is {first!r})")
    version = lines.get(2, "the Familias version").strip()
    if not KNOWN_VERSIONS.match(version):
        raise FamError(source, 3, f"unknown Familias version {version!r} (this reader knows "
                       "versions 2.x and 3.x)")
    dvi = "[DVI]" in lines.x
    k = 3 if lines.get(3, "the number of persons") != "" else 4
    n_persons = lines.int(k, "the number of persons")
    k += 1
    ids: list[str] = []
    sexes: list[int] = []
    raw_genotypes: list[list[tuple[int, int, int, int]]] = []
    dropout: dict[str, bool] = {}
    for _ in range(n_persons):
        pid = lines.get(k, "a person's name")
        dropout[pid] = "(Consider dropouts)" in lines.get(k + 2, "a person's flags")
        sex = MALE if lines.get(k + 4, "a person's sex flag") == "#TRUE#" else FEMALE
        n = lines.int(k + 5, f"the number of genotypes of {pid}")
        triples = []
        for j in range(n):
            base = k + 6 + 3 * j
            triples.append((lines.int(base, "an allele index"), lines.int(base + 1, "an allele index"),
                            lines.int(base + 2, "a marker index"), base + 1))  # fmt: skip
        ids.append(pid)
        sexes.append(sex)
        raw_genotypes.append(triples)
        k += 6 + 3 * n
    if lines.get(k, '"Known relations"') != "Known relations":
        raise FamError(source, k + 1, f'expected "Known relations", found {lines.x[k]!r}')
    n_fem, n_mal = lines.int(k + 1, "extra females"), lines.int(k + 2, "extra males")
    base_ids = ids + [f"extra_{j + 1}" for j in range(n_fem + n_mal)]
    base_sex = sexes + [FEMALE] * n_fem + [MALE] * n_mal
    n_rel = lines.int(k + 3, "the number of relations")
    base_rel = []
    r = k + 4
    for _ in range(n_rel):
        base_rel.append((lines.int(r, "a parent index"), lines.int(r + 1, "a child index"), r + 1))
        r += 2
    n_ped = lines.int(r, "the number of pedigrees")
    r += 1
    pedigrees: list[FamPedigree] = []
    for _ in range(n_ped):
        name = lines.get(r + 1, "a pedigree name")
        nf, nm = lines.int(r + 2, "extra females"), lines.int(r + 3, "extra males")
        extra = len(base_ids)
        ped_ids = base_ids + [f"extra_{extra + j + 1}" for j in range(nf + nm)]
        ped_sex = base_sex + [FEMALE] * nf + [MALE] * nm
        rels = list(base_rel)
        nr = lines.int(r + 4, "the number of relations")
        q = r + 5
        for _ in range(nr):
            parent = lines.get(q, "a parent index")
            if "Direct" in parent:
                raise FamError(source, q + 1, "twins (direct relations) are not supported")
            rels.append((lines.int(q, "a parent index"), lines.int(q + 1, "a child index"), q + 1))
            q += 2
        pedigrees.append(_pedigree(name, ped_ids, ped_sex, rels, source))
        r = q
    if n_ped == 0 and base_ids:  # pedFamilias: the known relations form the one pedigree
        pedigrees.append(_pedigree("pedigree", base_ids, base_sex, base_rel, source))
    head = lines.get(r, "the database line")
    if head.startswith("#TRUE#"):
        raise FamError(source, r + 1, "files with precomputed probabilities are not supported")
    match = re.search(r"Theta/Kinship/Fst: ([.\d]+)", head)
    theta = float(match.group(1)) if match else 0.0
    loci, db_name, _ = _database(lines, r + 1)
    genotypes = _genotypes(ids, raw_genotypes, loci, source)
    persons = tuple(FamPerson(pid, s, genotypes.get(pid, {})) for pid, s in zip(ids, sexes,
                                                                                strict=True))
    unidentified: tuple[FamPerson, ...] = ()
    families: tuple[FamFamily, ...] = ()
    if dvi:
        unidentified, families = _dvi(lines, lines.x.index("[DVI]"), loci, source)
    return FamFile(version, theta, db_name, tuple(loci), persons, tuple(pedigrees), dvi,
                   unidentified, families, dropout)


def _pedigree(
    name: str, ids: list[str], sexes: list[int], rels: list[tuple[int, int, int]], source: str
) -> FamPedigree:
    father: dict[int, int] = {}
    mother: dict[int, int] = {}
    for parent, child, line in rels:
        if not (0 <= parent < len(ids) and 0 <= child < len(ids)):
            raise FamError(source, line, f"pedigree {name}: relation to an unknown person index")
        side = father if sexes[parent] == MALE else mother
        role = "father" if sexes[parent] == MALE else "mother"
        if child in side and side[child] != parent:
            other = "mother" if role == "father" else "father"
            raise FamError(source, line, f"pedigree {name}: {ids[child]} has two {role}s "
                           f"({ids[side[child]]} and {ids[parent]}); a {other} of the wrong sex?")
        side[child] = parent
    return _as_pedigree(name, ids, sexes, father, mother, source)


def _as_pedigree(
    name: str,
    ids: list[str],
    sexes: list[int],
    father: Mapping[int, int],
    mother: Mapping[int, int],
    source: str,
) -> FamPedigree:
    """Persons with both or no parents (one missing parent added, as pedFamilias does);
    checked with Pedigree.build (own ancestor...)."""
    missing_f = [c for c in range(len(ids)) if c not in father and c in mother]
    missing_m = [c for c in range(len(ids)) if c in father and c not in mother]
    added_f = [f"added_{j + 1}" for j in range(len(missing_f))]
    added_m = [f"added_{len(missing_f) + j + 1}" for j in range(len(missing_m))]
    fid = {c: ids[p] for c, p in father.items()} | dict(zip(missing_f, added_f, strict=True))
    mid = {c: ids[p] for c, p in mother.items()} | dict(zip(missing_m, added_m, strict=True))
    persons = [Person(pid, fid.get(k), mid.get(k), sexes[k]) for k, pid in enumerate(ids)]
    persons += [Person(a, None, None, MALE) for a in added_f]
    persons += [Person(a, None, None, FEMALE) for a in added_m]
    probe = [Person(p.person_id, p.father_id, p.mother_id, p.sex, None, k == 0)
             for k, p in enumerate(persons)]  # fmt: skip
    try:
        Pedigree.build(name, probe, source=source)
    except InputError as exc:
        raise InputError(exc.problems) from None
    return FamPedigree(name, tuple(persons))


def _database(lines: _Lines, k: int) -> tuple[list[FamLocus], str, int]:
    n_loci = lines.int(k, "the number of loci")
    has_info = lines.get(k + 1, "the database flag") == "#TRUE#"
    db_name = lines.get(k + 2, "the database name") if has_info else ""
    at = k + 2 + int(has_info)
    loci = []
    for _ in range(n_loci):
        name = lines.get(at, "a locus name")
        rate_f, rate_m = lines.float(at + 1, "the female rate"), lines.float(at + 2, "the male rate")
        code_f, code_m = lines.int(at + 3, "the female model"), lines.int(at + 4, "the male model")
        for code, line in ((code_f, at + 4), (code_m, at + 5)):
            if not 0 <= code <= 4:
                raise FamError(lines.source, line, f"locus {name}: mutation model code {code} "
                               "is not 0-4")
        range_f, range_m = lines.float(at + 6, "the female range"), lines.float(at + 7, "range")
        rate2_f, rate2_m = lines.float(at + 8, "the female rate2"), lines.float(at + 9, "rate2")
        if lines.get(at + 10, "the silent-allele flag") == "#TRUE#":
            raise FamError(lines.source, at + 11, f"locus {name}: silent alleles are not supported")
        info = lines.get(at + 12, "the number of alleles").split("\t")
        try:
            n_alleles = int(info[0])
        except ValueError:
            raise FamError(lines.source, at + 13,
                           f"expected the number of alleles of {name}, found {info[0]!r}") from None
        extra = info[1] if len(info) > 1 else ""
        alleles = [lines.get(at + 13 + 2 * j, f"an allele of {name}") for j in range(n_alleles)]
        freqs = np.array([lines.float(at + 14 + 2 * j, f"a frequency of {name}")
                          for j in range(n_alleles)])  # fmt: skip
        alleles = ["z" if a == "0" else a for a in alleles]
        warnings = []
        if code_f > 1 or code_m > 1:
            numbers = [_number(a) for a in alleles]
            bad = any(v is None or v < 1 or round(v, 1) != v for v in numbers)
            if bad:
                code_f = code_m = 0
                warnings.append(f"locus {name}: alleles unfit for a stepwise model; equal used")
        female = FamMutation(code_f, MODEL_CODES[code_f], rate_f, rate2_f, range_f)
        male = FamMutation(code_m, MODEL_CODES[code_m], rate_m, rate2_m, range_m)
        loci.append(FamLocus(name, tuple(alleles), freqs, female, male,
                             _info(extra, "DatabaseSize"), _info(extra, "Dropout probability"),
                             _info(extra, "Minor allele frequency"), tuple(warnings)))  # fmt: skip
        at += 13 + 2 * n_alleles
    return loci, db_name, at


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _info(text: str, key: str) -> float | None:
    match = re.search(re.escape(key) + r" = ([.\d]+)", text)
    return float(match.group(1)) if match else None


def _genotypes(
    ids: list[str],
    raw: list[list[tuple[int, int, int, int]]],
    loci: list[FamLocus],
    source: str,
) -> dict[str, dict[str, Genotype]]:
    out: dict[str, dict[str, Genotype]] = {}
    for pid, triples in zip(ids, raw, strict=True):
        for a1, a2, m, line in triples:
            if not 0 <= m < len(loci):
                raise FamError(source, line + 1, f"{pid}: marker index {m} is not in the database")
            alleles = loci[m].alleles
            if not (0 <= a1 < len(alleles) and 0 <= a2 < len(alleles)):
                raise FamError(source, line, f"{pid}: allele index outside locus {loci[m].name}")
            out.setdefault(pid, {})[loci[m].name] = (alleles[a1], alleles[a2])
    return out


# -- DVI section -----------------------------------------------------------------------------
def _dvi(
    lines: _Lines, start: int, loci: list[FamLocus], source: str
) -> tuple[tuple[FamPerson, ...], tuple[FamFamily, ...]]:
    tree = _tree(lines.raw[start:], start, source)
    dvi = tree.get("DVI", {})
    unidentified = tuple(_persons(dvi.get("Unidentified persons", {}), source))
    refs = dvi.get("Reference Families")
    if refs is None:
        raise FamError(source, start + 1, "DVI section without reference families")
    families = []
    for key, node in refs.items():
        if not key.startswith("Family"):
            continue
        name = _value(node, "Name", key)
        persons = tuple(_persons(node.get("Persons", {}), source))
        sex = {p.person_id: p.sex for p in persons}
        pedigrees = []
        for pkey, pnode in node.get("Pedigrees", {}).items():
            if not pkey.startswith("Pedigree"):
                continue
            pedigrees.append(_dvi_pedigree(_value(pnode, "Name", pkey), pnode, list(sex), sex,
                                           source))  # fmt: skip
        families.append(FamFamily(name, persons, tuple(pedigrees)))
    return unidentified, tuple(families)


def _tree(raw: list[str], offset: int, source: str) -> dict:
    """Bracketed sections ([DVI], [[...]], ...) as nested dicts; `_items` holds the ordered
    (key, value, line) entries of each section."""
    root: dict = {}
    path: list[dict] = [root]
    for n, line in enumerate(raw):
        text = line.strip()
        if not text:
            continue
        depth = len(text) - len(text.lstrip("["))
        if depth:
            name = text.strip("[]").strip()
            if depth > len(path):
                raise FamError(source, offset + n + 1, f"section {name!r} is nested too deep")
            parent = path[depth - 1]
            node: dict = {"_items": [], "_line": offset + n + 1}
            key = name
            while key in parent:
                key += "'"
            parent[key] = node
            path = path[:depth] + [node]
        else:
            key, _, value = text.partition("=")
            path[-1].setdefault("_items", []).append((key.strip(), value.strip(), offset + n + 1))
    return root


def _value(node: dict, key: str, default: str) -> str:
    for k, v, _ in node.get("_items", []):
        if k == key:
            return v
    return default


def _persons(node: dict, source: str) -> list[FamPerson]:
    out = []
    for key, person in node.items():
        if not key.startswith("Person"):
            continue
        name = _value(person, "Name", "")
        gender = _value(person, "Gender", "")
        sex = {"Male": MALE, "Female": FEMALE}.get(gender, 0)
        items = person.get("DNA data", {}).get("_items", [])
        genotypes: dict[str, Genotype] = {}
        marker = None
        first = ""
        for k, v, _line in items:
            if k == "SystemName":
                marker = v
            elif k == "Allele1":
                first = v
            elif k == "Allele2" and marker is not None:
                genotypes[marker] = (first, v)
        if not name:
            raise FamError(source, person.get("_line"), "a DVI person without a name")
        out.append(FamPerson(name, sex, genotypes))
    return out


def _dvi_pedigree(
    name: str, node: dict, ids: list[str], sex: Mapping[str, int], source: str
) -> FamPedigree:
    items = node.get("_items", [])
    pairs = []
    for k, (key, value, line) in enumerate(items):
        if key == "Parent":
            if k + 1 >= len(items) or items[k + 1][0] != "Child":
                raise FamError(source, line, f"pedigree {name}: Parent without Child")
            pairs.append((value, items[k + 1][1], line))
    all_ids = list(ids) + [x for p in pairs for x in p[:2] if x not in ids]
    all_ids = list(dict.fromkeys(all_ids))
    sexes = {pid: sex.get(pid, 0) for pid in all_ids}
    for parent in {p for p, _, _ in pairs if sexes[p] == 0}:
        children = {c for p, c, _ in pairs if p == parent}
        spouses = {p for p, c, _ in pairs if c in children and p != parent}
        spouse_sex = {sexes[s] for s in spouses}
        if spouse_sex <= {MALE}:  # no co-parent: female, as pedFamilias decides
            sexes[parent] = FEMALE
        elif spouse_sex == {FEMALE}:
            sexes[parent] = MALE
        else:
            raise FamError(source, node.get("_line"),
                           f"pedigree {name}: cannot decide the sex of parent {parent}")
    index = {pid: k for k, pid in enumerate(all_ids)}
    rels = [(index[p], index[c], line) for p, c, line in pairs]
    return _pedigree(name, all_ids, [sexes[p] or MALE for p in all_ids], rels, source)


# -- likelihoods -----------------------------------------------------------------------------
def hypothesis_logliks(fam: FamFile, pedigree: FamPedigree,
                       genotypes: Mapping[str, Mapping[str, Genotype]]) -> dict[str, float]:
    """Natural-log likelihood of the typed genotypes under one pedigree, per locus (theta 0,
    the database's frequencies and mutation models)."""
    ped = pedigree.engine_pedigree()
    members = set(ped.person_ids)
    out: dict[str, float] = {}
    for locus in fam.loci:
        index = {a: k for k, a in enumerate(locus.alleles)}
        typed = {pid: (index[g[locus.name][0]], index[g[locus.name][1]])
                 for pid, g in genotypes.items() if pid in members and locus.name in g}
        if not typed:
            out[locus.name] = 0.0
            continue
        lik = pedigree_likelihood(ped, typed, locus.freqs / locus.freqs.sum(),
                                  mutation=locus.transmission())
        out[locus.name] = math.log(lik) if lik > 0 else -math.inf
    return out


def pedigree_lrs(
    fam: FamFile, denominator: str | None = None
) -> tuple[str, dict[str, dict[str, float]]]:
    """Per hypothesis, the natural-log likelihood per locus. The denominator is `denominator`
    or, by default, the last hypothesis with likelihood > 0 (as the public reference set
    states). Returns (denominator name, {hypothesis: {locus: loglik}})."""
    if fam.kind != "pedigrees":
        raise ValueError("the file has no pedigree hypotheses")
    genotypes = {p.person_id: p.genotypes for p in fam.persons}
    logliks = {ped.name: hypothesis_logliks(fam, ped, genotypes) for ped in fam.pedigrees}
    if denominator is None:
        positive = [n for n, ll in logliks.items() if sum(ll.values()) > -math.inf]
        if not positive:
            raise ValueError("every hypothesis has likelihood 0")
        denominator = positive[-1]
    elif denominator not in logliks:
        raise ValueError(f"no hypothesis named {denominator!r}")
    return denominator, logliks


MISSING_PREFIX = re.compile(r"^Missing")


def dvi_reference_part(family: FamFamily) -> tuple[FamPedigree, list[Person]]:
    """The reference pedigree of a DVI family as dvir's familias2dvir takes it: its second
    pedigree (or its only one), and that pedigree's connected part with more than one person
    (persons named "Missing..." in it are the missing persons)."""
    if not family.pedigrees:
        raise FamError("", None, f"DVI family {family.name} has no pedigree")
    ped = family.pedigrees[1] if len(family.pedigrees) > 1 else family.pedigrees[0]
    parts = [c for c in ped.components() if len(c) > 1]
    return ped, (parts[0] if parts else ped.components()[0])


def dvi_problem(fam: FamFile) -> DVIProblem:
    """The DVI project as a `DVIProblem` (dvir's familias2dvir conventions, see the module
    docstring): victims = unidentified persons; per family its second pedigree (or only one),
    the connected part with more than one person; missing persons renamed M1, M2, ...; the
    references keep their names (sample id = person id)."""
    if not fam.dvi:
        raise ValueError("the file has no DVI section")
    genotypes: dict[str, dict[str, Genotype]] = {}
    victims = []
    for p in fam.unidentified:
        victims.append(Victim(p.person_id, p.sex))
        genotypes[p.person_id] = {canonical_marker(m): g for m, g in p.genotypes.items()}
    families: dict[str, list[Person]] = {}
    renamed = 0
    for family in fam.families:
        _ped, part = dvi_reference_part(family)
        typed = {p.person_id: p for p in family.persons if p.genotypes}
        names: dict[str, str] = {}
        for person in part:
            if MISSING_PREFIX.match(person.person_id):
                renamed += 1
                names[person.person_id] = f"M{renamed}"
        persons = []
        for person in part:
            sample = person.person_id if person.person_id in typed else None
            if sample:
                genotypes[sample] = {canonical_marker(m): g
                                     for m, g in typed[sample].genotypes.items()}  # fmt: skip
            persons.append(Person(
                names.get(person.person_id, person.person_id),
                names.get(person.father_id or "", person.father_id),
                names.get(person.mother_id or "", person.mother_id),
                person.sex, None if person.person_id in names else sample,
                person.person_id in names,
            ))  # fmt: skip
        families[family.name] = persons
    rows = []
    mutation: dict[tuple[str, int], np.ndarray] = {}
    for locus in fam.loci:
        freqs = locus.freqs / locus.freqs.sum()
        rows += [(locus.name, a, float(f), None) for a, f in zip(locus.alleles, freqs, strict=True)]
        for sex, model in ((FEMALE, locus.female), (MALE, locus.male)):
            matrix = model.matrix(locus.alleles, freqs)
            if matrix is not None:
                mutation[(canonical_marker(locus.name), sex)] = matrix
    table = FrequencyTable.from_rows(rows, source="database")
    return DVIProblem.build(victims=victims, families=families, genotypes=genotypes,
                            freqs=table, mutation=mutation or None, source="fam")  # fmt: skip


# -- writing ---------------------------------------------------------------------------------
def format_fam(fam: FamFile) -> str:
    """The text of a .fam file (Familias 3 layout, as pedFamilias::readFam reads it) for the
    persons, pedigree hypotheses and database of `fam` (not DVI projects). Persons that are only
    in some pedigrees become that pedigree's extra persons."""
    if fam.dvi:
        raise ValueError("writing DVI projects is not supported")
    out: list[str] = [f'"Output from Familias, version {fam.version}"', '"Written by labtrack"',
                      fam.version, '""']  # fmt: skip
    persons = list(fam.persons)
    index = {p.person_id: k for k, p in enumerate(persons)}
    locus_index = {x.name: k for k, x in enumerate(fam.loci)}
    out.append(str(len(persons)))
    for p in persons:
        out += [_q(p.person_id), "#FALSE#", "-1", "#FALSE#",
                "#TRUE#" if p.sex == MALE else "#FALSE#", str(len(p.genotypes))]  # fmt: skip
        for marker, (a, b) in p.genotypes.items():
            locus = fam.loci[locus_index[marker]]
            out += [str(locus.alleles.index(a)), str(locus.alleles.index(b)),
                    str(locus_index[marker])]  # fmt: skip
    out += ['"Known relations"', "0", "0", "0", str(len(fam.pedigrees))]
    for k, ped in enumerate(fam.pedigrees):
        extra = [p for p in ped.persons if p.person_id not in index]
        females = [p for p in extra if p.sex == FEMALE]
        males = [p for p in extra if p.sex != FEMALE]
        local = dict(index)
        for p in females + males:
            local[p.person_id] = len(local)
        rels = [(local[parent], local[p.person_id]) for p in ped.persons
                for parent in (p.father_id, p.mother_id) if parent]  # fmt: skip
        out += [str(k), _q(ped.name), str(len(females)), str(len(males)), str(len(rels))]
        for parent, child in rels:
            out += [str(parent), str(child)]
    out.append(f"#FALSE# (#Databases: 1 ;Theta/Kinship/Fst: {fam.theta:g} )")
    out += [str(len(fam.loci)), "#TRUE#", _q(fam.database_name or "labtrack")]
    for x in fam.loci:
        size = f"{x.database_size:g}" if x.database_size is not None else "0"
        out += [_q(x.name), repr(x.female.rate), repr(x.male.rate), str(x.female.code),
                str(x.male.code), str(len(x.alleles)), repr(x.female.range), repr(x.male.range),
                repr(x.female.rate2), repr(x.male.rate2), "#FALSE#", "0",
                f"{len(x.alleles)}\t(DatabaseSize = {size} , Dropout probability = 0 , "
                "Minor allele frequency = 0 )"]  # fmt: skip
        for a, f in zip(x.alleles, x.freqs, strict=True):
            out += [_q(a), repr(float(f))]
    return "\r\n".join(out) + "\r\n"


def _q(text: str) -> str:
    if '"' in text or "\n" in text:
        raise ValueError(f"a name with a quote or a line break cannot be written: {text!r}")
    return f'"{text}"'


def family_fam(
    pedigree: Pedigree,
    genotypes: Mapping[str, Mapping[str, Genotype]],
    loci: Sequence[FamLocus],
    *,
    version: str = "3.3.1",
    database_name: str = "labtrack",
) -> FamFile:
    """A labtrack family as a Familias file: every person of the pedigree (the typed ones with
    their reference genotypes, the missing person untyped), one hypothesis named after the
    family. `genotypes` : sample_id -> {marker -> alleles}; markers absent from `loci` are
    left out."""
    names = {x.name for x in loci}
    samples = pedigree.sample_of()
    persons = []
    for p in pedigree.persons:
        sample = samples.get(p.person_id)
        g = {m: a for m, a in genotypes.get(sample, {}).items() if m in names} if sample else {}
        persons.append(FamPerson(p.person_id, p.sex if p.sex in (MALE, FEMALE) else MALE, g))
    hypothesis = FamPedigree(pedigree.family_id, tuple(
        Person(p.person_id, p.father_id, p.mother_id, p.sex) for p in pedigree.persons))
    return FamFile(version, 0.0, database_name, tuple(loci), tuple(persons), (hypothesis,))
