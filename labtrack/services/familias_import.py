"""Import one pedigree of a Familias `.fam` file as a family of the app: the tree, a donor with a
reference sample and its profile for every typed person, and the missing person (an existing
case, or a new one). All or nothing, in one transaction: every problem is named (file, line,
field) and nothing is stored when there is one.

Donors imported from a file have no consent record (nobody can give it through a file): their
references are not searched until a coordinator records consent on the donor's page; the
report says so.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from labtrack.core.errors import InputProblem, ValidationFailed
from labtrack.kinship.familias import FamFile, FamPedigree, parse_fam
from labtrack.kinship.pedigree import FEMALE, MALE, parents_first
from labtrack.kinship.problems import InputError
from labtrack.models import Donor, Family, MissingPerson, User
from labtrack.services import families, profile_import
from labtrack.services.transaction import write

_SEX = {MALE: "M", FEMALE: "F"}
MAX_BYTES = 5_000_000


@dataclass
class FamImport:
    """What was created."""

    family: Family
    missing_person: MissingPerson
    donors: list[tuple[str, str, str]] = field(default_factory=list)  # (person in the file, donor code, sample)
    profiles: int = 0
    loci: int = 0
    notes: list[str] = field(default_factory=list)


def _text(raw: bytes, filename: str) -> str:
    if len(raw) > MAX_BYTES:
        raise ValidationFailed("The file cannot be read", [InputProblem(
            f"the file has {len(raw):,} bytes; at most {MAX_BYTES:,} are read", file=filename)])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # Familias writes the Windows code page


def _read(raw: bytes, filename: str) -> FamFile:
    text = _text(raw, filename)
    try:
        return parse_fam(text, filename)
    except InputError as error:
        raise ValidationFailed("The Familias file cannot be read", [
            InputProblem(p.message, field=p.field or None, row=p.row, file=p.file) for p in error.problems]) from error


@dataclass
class _Plan:
    pedigree: FamPedigree
    genotypes: dict[str, dict[str, tuple[str, str]]]
    typed: list[str]
    codes: dict[str, str]
    person: MissingPerson | None


def _plan(session: Session, fam: FamFile, filename: str, family_code: str, missing: str, case_number: str,
          pedigree: str) -> _Plan:
    """Check the choices against the file and the database; ValidationFailed names every problem."""
    problems: list[InputProblem] = []
    if not family_code:
        problems.append(InputProblem("a family code is required", field="family_code"))
    elif session.exec(select(Family.id).where(Family.code == family_code)).first() is not None:
        problems.append(InputProblem(f"family {family_code} exists already", field="family_code"))
    if not case_number:
        problems.append(InputProblem("the missing person's case number is required", field="case_number"))
    names = [p.name for p in fam.pedigrees]
    chosen = next((p for p in fam.pedigrees if p.name == pedigree), None) if pedigree else \
        (fam.pedigrees[0] if fam.pedigrees else None)
    if chosen is None:
        problems.append(InputProblem(f"no pedigree {pedigree!r} in the file (it has {', '.join(names)})" if names
                                     else "the file holds no pedigree" + (" (a DVI project)" if fam.dvi else ""),
                                     field="pedigree", file=filename))
        raise ValidationFailed("Nothing was imported", problems)
    genotypes = {p.person_id: dict(p.genotypes) for p in fam.persons}
    persons = {p.person_id: p for p in chosen.persons}
    if missing not in persons:
        problems.append(InputProblem(f"no person {missing!r} in pedigree {chosen.name} "
                                     f"(it has {', '.join(persons)})", field="missing", file=filename))
    elif genotypes.get(missing):
        problems.append(InputProblem(f"person {missing} is typed in the file: the missing person has no "
                                     "reference profile", field="missing", file=filename))
    person = session.exec(select(MissingPerson).where(MissingPerson.case_number == case_number)).first()
    if person is not None and families.families_of_missing_person(session, person.id or 0):
        problems.append(InputProblem(f"missing person {case_number} is in a family already", field="case_number"))
    typed = [pid for pid in persons if genotypes.get(pid) and pid != missing]
    codes = {pid: f"{family_code}-{pid}"[:32] for pid in typed}
    taken = set(session.exec(select(Donor.code).where(col(Donor.code).in_(list(codes.values()))))) if codes else set()
    problems += [InputProblem(f"donor {code} (person {pid}) exists already", field="family_code")
                 for pid, code in codes.items() if code in taken]
    if problems:
        raise ValidationFailed("Nothing was imported", problems)
    return _Plan(chosen, genotypes, typed, codes, person)


def import_family(*, session: Session, raw: bytes, filename: str, by: User, family_code: str,
                  missing: str, case_number: str, pedigree: str = "") -> FamImport:
    """Create family `family_code` from the pedigree named `pedigree` (default: the file's first)
    of a .fam file; `missing` is the person of the file who is missing (untyped there), linked to
    missing person `case_number` (registered with the file's sex when the case is new)."""
    family_code, missing, case_number = family_code.strip(), missing.strip(), case_number.strip()
    fam = _read(raw, filename)
    plan = _plan(session, fam, filename, family_code, missing, case_number, pedigree.strip())
    persons = {p.person_id: p for p in plan.pedigree.persons}
    with write(session, actor=by, reason=f"Familias file {filename}: family {family_code} imported"):
        person = plan.person or families.register_missing_person(
            session=session, by=by, case_number=case_number, sex=_SEX.get(persons[missing].sex, "U"))
        family = families.create_family(session=session, code=family_code, by=by,
                                        notes=f"imported from the Familias file {filename} ({plan.pedigree.name})")
        created = FamImport(family=family, missing_person=person)
        samples: dict[str, str] = {}
        for pid in plan.typed:
            donor, sample = families.register_donor(session=session, by=by, code=plan.codes[pid],
                                                    sex=_SEX.get(persons[pid].sex, "U"))
            samples[pid] = sample.accession
            created.donors.append((pid, donor.code, sample.accession))
        for p in parents_first(list(plan.pedigree.persons)):
            families.add_member(session=session, family_id=family.id or 0, by=by, person_code=p.person_id,
                                sex=_SEX.get(p.sex, "U"), father=p.father_id or "", mother=p.mother_id or "",
                                donor_code=plan.codes.get(p.person_id, ""),
                                case_number=case_number if p.person_id == missing else "",
                                relation="missing person" if p.person_id == missing else "")
        created.notes = [f"pedigree {plan.pedigree.name} of {filename}; {len(fam.loci)} loci in the file's database"]
        if plan.typed:
            created.profiles = _store_profiles(session, plan, samples, filename, family_code, by)
            created.loci = len({m for pid in plan.typed for m in plan.genotypes[pid]})
            created.notes.append("record the donors' consent on their pages: until then their references are "
                                 "not searched")
    return created


def _store_profiles(session: Session, plan: _Plan, samples: dict[str, str], filename: str, family_code: str,
                    by: User) -> int:
    """The typed persons' genotypes through the profile import (its checks); problems name the
    person and marker of the .fam file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["sample_id", "marker", "allele1", "allele2"])
    rows: dict[int, tuple[str, str]] = {}  # row of the profiles written -> (person, marker)
    for pid in plan.typed:
        for marker, (a1, a2) in sorted(plan.genotypes[pid].items()):
            writer.writerow([samples[pid], marker, a1, a2])
            rows[len(rows) + 2] = (pid, marker)
    try:
        stored = profile_import.import_profiles(session=session, raw=buffer.getvalue().encode(),
                                                filename=f"{filename} (profiles of {family_code})", by=by,
                                                file_format="long")
    except ValidationFailed as error:
        raise ValidationFailed("Nothing was imported: a genotype of the file cannot be stored", [
            InputProblem(f"person {rows[p.row][0]}, marker {rows[p.row][1]}: {p.message}"
                         if p.row in rows else p.message, field="genotypes", file=filename)
            for p in error.problems]) from error
    return stored.n_profiles
