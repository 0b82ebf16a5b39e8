"""Import a Familias `.fam` file as families of the app. All or nothing, in one transaction: every
problem is named (file, line, field; family, person, marker) and nothing is stored when there is one.

- A kinship file (pedigree hypotheses): one pedigree (default: the first) becomes a family: the
  tree, a donor with a reference sample and its profile for every typed person, and the missing
  person named by the coordinator (an existing case, or a new one).
- A DVI project: every reference family (or the one named) is imported, its reference pedigree
  taken as dvir's familias2dvir takes it (`kinship.familias.dvi_reference_part`), its missing
  persons the persons named "Missing..." there, numbered M1, M2, ... over the file. The app keeps
  one missing person per family: a reference family with several missing persons becomes one
  family per missing person (`<code>-M<n>`, case `<case>-M<n>`), each with the whole reference
  pedigree, the other missing persons as untyped relatives, and the same donors. The unidentified
  persons (victims' post-mortem profiles) are not imported: remains are registered at their site
  with custody, not from a file; the report says how many were left out and why.

Donors imported from a file have no consent record (nobody can give it through a file): their
references are not searched until a coordinator records consent on the donor's page; the report
says so.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlmodel import Session, col, select

from labtrack.core.errors import InputError, InputProblem, ValidationFailed
from labtrack.core.messages import msg
from labtrack.kinship.familias import MISSING_PREFIX, FamFile, Genotype, dvi_reference_part, parse_fam
from labtrack.kinship.pedigree import FEMALE, MALE, Person, parents_first
from labtrack.models import Donor, Family, MissingPerson, Upload, User
from labtrack.services import donors, families, missing_persons, profile_import, uploads
from labtrack.services.transaction import write

if TYPE_CHECKING:
    from labtrack.services.worker import JobContext

#: the kind of a .fam file kept for the worker (``services.uploads``)
UPLOAD_KIND = "familias"

_SEX = {MALE: "M", FEMALE: "F"}
MAX_BYTES = 5_000_000
VICTIMS_LEFT_OUT = ("the unidentified persons of a DVI file (victims' post-mortem profiles) are not imported: "
                    "remains are registered at their site with their custody record, not from a file")


@dataclass
class FamImport:
    """One family created."""

    family: Family
    missing_person: MissingPerson
    donors: list[tuple[str, str, str]] = field(default_factory=list)  # (person in the file, donor code, sample)
    profiles: int = 0
    loci: int = 0
    notes: list[str] = field(default_factory=list)
    source: str = ""  # where in the file the family comes from
    missing: str = ""  # the missing person's name in the file
    file_family: str = ""  # DVI: the reference family, its pedigree and the missing person's number (M<n>)
    file_pedigree: str = ""
    number: int = 0


@dataclass(frozen=True)
class LeftOut:
    """A person of a DVI reference family outside its reference pedigree's connected part."""

    family: str
    pedigree: str
    person: str
    typed: bool

    def __str__(self) -> str:
        return (f"reference family {self.family} (pedigree {self.pedigree}): {self.person} is not in the reference "
                "pedigree's connected part" + (" (typed: the profile is not imported)" if self.typed else ""))


@dataclass
class FamReport:
    """What an import of a whole file created and what it left out."""

    filename: str
    dvi: bool
    families: list[FamImport] = field(default_factory=list)
    victims_left_out: list[str] = field(default_factory=list)  # unidentified persons of a DVI file
    left_out: list[LeftOut] = field(default_factory=list)  # other persons of the file not imported
    notes: list[str] = field(default_factory=list)

    @property
    def profiles(self) -> int:
        return len({d[1] for f in self.families for d in f.donors})


def _text(raw: bytes, filename: str) -> str:
    if len(raw) > MAX_BYTES:
        raise ValidationFailed(msg("The file cannot be read"), [InputProblem(
            message=msg("the file has %(size)s bytes; at most %(limit)s are read", size=format(len(raw), ","),
                        limit=format(MAX_BYTES, ",")), file=filename)])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # Familias writes the Windows code page


def _read(raw: bytes, filename: str) -> FamFile:
    text = _text(raw, filename)
    try:
        return parse_fam(text, filename)
    except InputError as error:
        raise ValidationFailed(msg("The Familias file cannot be read"), error.problems) from error


@dataclass
class _Donor:
    code: str
    person: str  # name in the file
    where: str  # "person R1" or "family X, person R1" (named in problems)
    sex: int
    genotypes: dict[str, Genotype]


@dataclass
class _FamilyPlan:
    code: str
    source: str
    persons: list[Person]
    missing: str
    case_number: str
    donors: dict[str, _Donor]  # person in the file -> donor
    others: dict[str, str] = field(default_factory=dict)  # other missing persons -> their family code
    file_family: str = ""
    file_pedigree: str = ""
    number: int = 0
    person: MissingPerson | None = None  # an existing case


@dataclass
class _Plan:
    families: list[_FamilyPlan]
    donors: list[_Donor]
    victims: list[str]
    left_out: list[LeftOut]


def _code(text: str) -> str:
    return re.sub(r"\s+", "_", text.strip())


def _plan_pedigree(fam: FamFile, filename: str, family_code: str, missing: str, case_number: str,
                   pedigree: str, problems: list[InputProblem]) -> _Plan:
    names = [p.name for p in fam.pedigrees]
    chosen = next((p for p in fam.pedigrees if p.name == pedigree), None) if pedigree else \
        (fam.pedigrees[0] if fam.pedigrees else None)
    if chosen is None:
        problems.append(InputProblem(
            message=msg("no pedigree %(name)s in the file (it has %(names)s)", name=repr(pedigree),
                        names=", ".join(names)) if names else msg("the file holds no pedigree"),
            field="pedigree", file=filename))
        raise ValidationFailed(msg("Nothing was imported"), problems)
    genotypes = {p.person_id: dict(p.genotypes) for p in fam.persons}
    persons = {p.person_id: p for p in chosen.persons}
    if not missing:
        problems.append(InputProblem(message=msg("name the missing person of the file"), field="missing"))
    elif missing not in persons:
        problems.append(InputProblem(
            message=msg("no person %(person)s in pedigree %(pedigree)s (it has %(persons)s)",
                        person=repr(missing), pedigree=chosen.name, persons=", ".join(persons)),
            field="missing", file=filename))
    elif genotypes.get(missing):
        problems.append(InputProblem(message=msg("person %(person)s is typed in the file: the missing person has no "
                                                 "reference profile", person=missing), field="missing", file=filename))
    donors = {pid: _Donor(f"{family_code}-{_code(pid)}"[:32], pid, f"person {pid}", persons[pid].sex, genotypes[pid])
              for pid in persons if genotypes.get(pid) and pid != missing}
    plan = _FamilyPlan(family_code, f"pedigree {chosen.name}", list(chosen.persons), missing, case_number, donors)
    return _Plan([plan], list(donors.values()), [], [])


def _plan_dvi(fam: FamFile, filename: str, family_code: str, case_number: str, pedigree: str,
              problems: list[InputProblem]) -> _Plan:
    chosen = [f for f in fam.families if not pedigree or f.name == pedigree]
    if not chosen:
        problems.append(InputProblem(
            message=msg("no reference family %(name)s in the DVI file (it has %(names)s)", name=repr(pedigree),
                        names=", ".join(f.name for f in fam.families))
            if fam.families else msg("the DVI file holds no reference family"), field="pedigree", file=filename))
        raise ValidationFailed(msg("Nothing was imported"), problems)
    plans: list[_FamilyPlan] = []
    donors: list[_Donor] = []
    left_out: list[LeftOut] = []
    number = 0  # M1, M2, ... over the whole file, as dvir numbers them
    for k, family in enumerate(fam.families, start=1):
        ped, part = dvi_reference_part(family)
        in_part = {p.person_id for p in part}
        missing = [p.person_id for p in part if MISSING_PREFIX.match(p.person_id)]
        numbers = {pid: number + j for j, pid in enumerate(missing, start=1)}
        number += len(missing)
        if family not in chosen:
            continue
        where = f"reference family {family.name} (pedigree {ped.name})"
        left_out += [LeftOut(family.name, ped.name, p.person_id, bool(p.genotypes))
                     for p in family.persons if p.person_id not in in_part]
        if not missing:
            problems.append(InputProblem(message=msg("%(where)s has no missing person (nobody named 'Missing...')",
                                                     where=where),
                                         field="pedigree", file=filename))
            continue
        prefix = f"{family_code}-F{k}" if len(fam.families) > 1 else family_code
        typed = {p.person_id: p for p in family.persons if p.genotypes and p.person_id in in_part}
        shared = {pid: _Donor(f"{prefix}-{_code(pid)}"[:32], pid, f"family {family.name}, person {pid}", p.sex,
                              dict(p.genotypes)) for pid, p in typed.items()}
        donors += shared.values()
        codes = {pid: f"{family_code}-M{n}" for pid, n in numbers.items()}
        for pid in missing:
            plans.append(_FamilyPlan(
                codes[pid], f"{where}, missing person {pid} (M{numbers[pid]})", list(part), pid,
                f"{case_number}-M{numbers[pid]}", shared, {o: codes[o] for o in missing if o != pid},
                family.name, ped.name, numbers[pid]))
    return _Plan(plans, donors, [p.person_id for p in fam.unidentified], left_out)


def _plan(session: Session, fam: FamFile, filename: str, family_code: str, missing: str, case_number: str,
          pedigree: str) -> _Plan:
    """Check the choices against the file and the database; ValidationFailed names every problem."""
    problems: list[InputProblem] = []
    if not family_code:
        problems.append(InputProblem(message=msg("a family code is required"), field="family_code"))
    if not case_number:
        problems.append(InputProblem(message=msg("the missing person's case number is required"), field="case_number"))
    plan = (_plan_dvi(fam, filename, family_code, case_number, pedigree, problems) if fam.dvi
            else _plan_pedigree(fam, filename, family_code, missing, case_number, pedigree, problems))
    codes = [p.code for p in plan.families]
    existing = set(session.exec(select(Family.code).where(col(Family.code).in_(codes)))) if codes else set()
    for p in plan.families:
        if len(p.code) > 40:
            problems.append(InputProblem(message=msg("family code %(code)s is longer than 40 characters", code=p.code),
                                         field="family_code"))
        elif p.code in existing:
            problems.append(InputProblem(message=msg("family %(code)s exists already", code=p.code),
                                         field="family_code"))
        if len(p.case_number) > 32:
            problems.append(InputProblem(
                message=msg("case number %(case)s is longer than 32 characters", case=p.case_number),
                field="case_number"))
            continue
        p.person = session.exec(select(MissingPerson).where(MissingPerson.case_number == p.case_number)).first()
        if p.person is not None and families.families_of_missing_person(session, p.person.id or 0):
            problems.append(InputProblem(
                message=msg("missing person %(case)s is in a family already", case=p.case_number),
                field="case_number"))
        problems += [InputProblem(message=msg("%(source)s: person name %(person)s is longer than 40 characters",
                                              source=p.source, person=repr(pid)),
                                  field="pedigree", file=filename) for pid in (x.person_id for x in p.persons)
                     if len(pid) > 40]
    seen: dict[str, str] = {}
    for d in plan.donors:
        if d.code in seen:
            problems.append(InputProblem(
                message=msg("%(where)s and %(other)s would both be donor %(code)s", where=d.where,
                            other=seen[d.code], code=d.code),
                field="family_code"))
        seen[d.code] = d.where
    taken = set(session.exec(select(Donor.code).where(col(Donor.code).in_(list(seen))))) if seen else set()
    problems += [InputProblem(message=msg("donor %(code)s (%(where)s) exists already", code=d.code, where=d.where),
                              field="family_code")
                 for d in plan.donors if d.code in taken]
    if problems:
        raise ValidationFailed(msg("Nothing was imported"), problems)
    return plan


def import_file(*, session: Session, raw: bytes, filename: str, by: User, family_code: str, case_number: str,
                missing: str = "", pedigree: str = "", context: JobContext | None = None,
                then: Callable[[Session, FamReport], None] | None = None) -> FamReport:
    """Import a .fam file (see the module docstring): a kinship file's pedigree `pedigree` (default:
    the first) with `missing` as the missing person, case `case_number`; or every reference family
    of a DVI file (or the one named `pedigree`), `family_code` and `case_number` then being
    prefixes (`-M1`, `-M2`, ... added). All or nothing. A worker job passes its ``context``
    (progress stored) and ends in ``then(session, report)``, last inside the write that stores
    the families."""
    family_code, missing, case_number = family_code.strip(), missing.strip(), case_number.strip()
    if context is not None:
        context.progress(session, 0.05, msg("reading the file"))
    fam = _read(raw, filename)
    if context is not None:
        context.progress(session, 0.3, msg("checking the families"))
    plan = _plan(session, fam, filename, family_code, missing, case_number, pedigree.strip())
    if context is not None:
        context.progress(session, 0.5, msg("storing the families"))
    report = FamReport(filename, fam.dvi, victims_left_out=plan.victims, left_out=plan.left_out)
    what = f"{len(plan.families)} families" if fam.dvi else f"family {family_code}"
    with write(session, actor=by, reason=f"Familias file {filename}: {what} imported"):
        samples: dict[str, str] = {}
        for d in plan.donors:
            donor, sample = donors.register_donor(session=session, by=by, code=d.code, sex=_SEX.get(d.sex, "U"))
            samples[d.code] = sample.accession
        for p in plan.families:
            report.families.append(_create_family(session, p, fam, filename, samples, by))
        stored = _store_profiles(session, plan.donors, samples, filename, family_code, by) if plan.donors else 0
        loci = len({m for d in plan.donors for m in d.genotypes})
        for created in report.families:
            created.profiles, created.loci = len(created.donors), loci if created.donors else 0
        if stored:
            report.notes.append("record the donors' consent on their pages: until then their references are "
                                "not searched")
        if plan.victims:
            report.notes.append(f"{len(plan.victims)} unidentified persons left out ({', '.join(plan.victims)}): "
                                f"{VICTIMS_LEFT_OUT}")
        if then is not None:
            then(session, report)
    return report


def submit(session: Session, *, raw: bytes, filename: str, by: User, family_code: str, case_number: str,
           missing: str = "", pedigree: str = "", app: Flask | None = None) -> Upload:
    """Keep the file and queue its import by the worker (``services.uploads``); the upload's page
    and ``get_upload`` show the progress, then the families created or every problem."""
    options = {"family_code": family_code, "case_number": case_number, "missing": missing, "pedigree": pedigree}
    return uploads.submit(session, kind=UPLOAD_KIND, raw=raw, filename=filename, options=options, by=by, app=app)


def import_upload(*, session: Session, raw: bytes, upload: Upload, by: User, context: JobContext,
                  finish: Callable[[Session, dict[str, Any]], None]) -> None:
    """The worker job's import of an uploaded .fam file: ``import_file`` with the options of the
    form; ``finish`` ends the job with the report (``summary``) in the import's transaction. A file
    or a choice with problems raises ``ValidationFailed`` (every problem), nothing stored."""
    options = json.loads(upload.options_json or "{}")
    import_file(session=session, raw=raw, filename=upload.filename, by=by,
                family_code=str(options.get("family_code", "")), case_number=str(options.get("case_number", "")),
                missing=str(options.get("missing", "")), pedigree=str(options.get("pedigree", "")), context=context,
                then=lambda inner, report: finish(inner, summary(report)))


def summary(report: FamReport) -> dict[str, Any]:
    """What an import created and left out, as kept with its upload (JSON): the families with their
    donors (``family_id``, ``family_code`` ... of the first one also at the top)."""
    created = [{
        "family_id": f.family.id, "family_code": f.family.code, "case_number": f.missing_person.case_number,
        "missing": f.missing, "source": f.source, "file_family": f.file_family, "file_pedigree": f.file_pedigree,
        "number": f.number, "donors": [{"person": p, "donor_code": c, "sample": s} for p, c, s in f.donors],
        "notes": f.notes} for f in report.families]
    first = created[0] if created else {}
    return {"outcome": "imported", "dvi": report.dvi, "family_id": first.get("family_id"),
            "family_code": first.get("family_code", ""), "case_number": first.get("case_number", ""),
            "donors": first.get("donors", []), "profiles": report.profiles,
            "notes": report.notes if report.dvi else first.get("notes", []), "families": created,
            "victims_left_out": report.victims_left_out,
            "victims_left_out_reason": VICTIMS_LEFT_OUT if report.victims_left_out else "",
            "left_out": [{"family": x.family, "pedigree": x.pedigree, "person": x.person, "typed": x.typed,
                          "text": str(x)} for x in report.left_out]}


def _create_family(session: Session, p: _FamilyPlan, fam: FamFile, filename: str, samples: dict[str, str],
                   by: User) -> FamImport:
    sexes = {x.person_id: x.sex for x in p.persons}
    person = p.person or missing_persons.register_missing_person(
        session=session, by=by, case_number=p.case_number, sex=_SEX.get(sexes[p.missing], "U"))
    family = families.create_family(session=session, code=p.code, by=by,
                                    notes=f"imported from the Familias file {filename} ({p.source})")
    session.flush()  # the family's id for its members
    created = FamImport(family=family, missing_person=person, source=p.source, missing=p.missing,
                        file_family=p.file_family, file_pedigree=p.file_pedigree, number=p.number)
    for x in parents_first(list(p.persons)):
        donor = p.donors.get(x.person_id)
        relation = ("missing person" if x.person_id == p.missing else
                    f"also missing: family {p.others[x.person_id]}" if x.person_id in p.others else "")
        families.add_member(session=session, family_id=family.id or 0, by=by, person_code=x.person_id,
                            sex=_SEX.get(x.sex, "U"), father=x.father_id or "", mother=x.mother_id or "",
                            donor_code=donor.code if donor else "",
                            case_number=p.case_number if x.person_id == p.missing else "", relation=relation)
        if donor:
            created.donors.append((x.person_id, donor.code, samples[donor.code]))
    created.notes = [f"{p.source} of {filename}; {len(fam.loci)} loci in the file's database"]
    if p.others:
        created.notes.append("the other missing persons of this reference family are untyped relatives here, "
                             f"each the missing person of their own family ({', '.join(p.others.values())})")
    if created.donors:
        created.notes.append("record the donors' consent on their pages: until then their references are "
                             "not searched")
    return created


def import_family(*, session: Session, raw: bytes, filename: str, by: User, family_code: str,
                  missing: str, case_number: str, pedigree: str = "") -> FamImport:
    """One pedigree of a kinship .fam file as one family (`import_file` for a kinship file)."""
    report = import_file(session=session, raw=raw, filename=filename, by=by, family_code=family_code,
                         missing=missing, case_number=case_number, pedigree=pedigree)
    return report.families[0]


def _store_profiles(session: Session, donors: list[_Donor], samples: dict[str, str], filename: str,
                    family_code: str, by: User) -> int:
    """The typed persons' genotypes through the profile import (its checks); problems name the
    family, person and marker of the .fam file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["sample_id", "marker", "allele1", "allele2"])
    rows: dict[int, tuple[str, str]] = {}  # row of the profiles written -> (where, marker)
    for d in donors:
        for marker, (a1, a2) in sorted(d.genotypes.items()):
            writer.writerow([samples[d.code], marker, a1, a2])
            rows[len(rows) + 2] = (d.where, marker)
    try:
        stored = profile_import.import_profiles(session=session, raw=buffer.getvalue().encode(),
                                                filename=f"{filename} (profiles of {family_code})", by=by,
                                                file_format="long")
    except ValidationFailed as error:
        raise ValidationFailed(msg("Nothing was imported: a genotype of the file cannot be stored"), [
            InputProblem(message=msg("%(person)s, marker %(marker)s: %(problem)s", person=rows[p.row][0],
                                     marker=rows[p.row][1], problem=p.message) if p.row in rows else p.message,
                         field="genotypes", file=filename)
            for p in error.problems]) from error
    return stored.n_profiles
