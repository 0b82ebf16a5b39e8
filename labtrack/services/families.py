"""Families (pedigrees): the members of a family tree as pages, exports and drawings need them,
and building a tree person by person (each addition checked against the whole tree)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from labtrack.core.errors import Conflict, NotFound, ProblemList
from labtrack.core.messages import msg
from labtrack.imports.pedigrees import PedigreeRow, validate_family
from labtrack.models import Donor, Family, MissingPerson, PedigreeMember, Sample, User
from labtrack.services.person_details import check_sex
from labtrack.services.transaction import write


@dataclass(frozen=True)
class MemberView:
    """A pedigree member as pages, exports and drawings need it (no names: blind processing)."""

    id: int
    person_code: str
    sex: str
    father: str
    mother: str
    relation: str
    donor_id: int | None
    donor_code: str
    sample_accession: str
    missing_person_id: int | None
    case_number: str

    @property
    def typed(self) -> bool:
        return bool(self.sample_accession)

    @property
    def missing(self) -> bool:
        return self.missing_person_id is not None


def list_families(session: Session) -> list[Family]:
    return list(session.exec(select(Family).order_by(Family.code)))


def get_family(session: Session, family_id: int) -> Family:
    family = session.get(Family, family_id)
    if family is None:
        raise NotFound(msg("No family #%(id)s.", id=family_id))
    return family


def members(session: Session, family: Family) -> list[MemberView]:
    rows = list(session.exec(select(PedigreeMember).where(PedigreeMember.family_id == family.id)
                             .order_by(PedigreeMember.id)))  # type: ignore[arg-type]
    by_id = {m.id: m for m in rows}
    donors = {d.id: d for d in session.exec(select(Donor).where(
        Donor.id.in_([m.donor_id for m in rows if m.donor_id])))}  # type: ignore[union-attr]
    samples: dict[int, str] = {}
    for sample in session.exec(select(Sample).where(Sample.donor_id.in_(list(donors)))  # type: ignore[union-attr]
                               .order_by(Sample.id)):  # type: ignore[arg-type]
        samples.setdefault(sample.donor_id or 0, sample.accession)
    missing = {p.id: p.case_number for p in session.exec(select(MissingPerson).where(
        MissingPerson.id.in_([m.missing_person_id for m in rows if m.missing_person_id])))}  # type: ignore[union-attr]
    return [MemberView(
        id=m.id or 0, person_code=m.person_code, sex=m.sex,
        father=by_id[m.father_id].person_code if m.father_id in by_id else "",
        mother=by_id[m.mother_id].person_code if m.mother_id in by_id else "",
        relation=m.relation_label, donor_id=m.donor_id,
        donor_code=donors[m.donor_id].code if m.donor_id in donors else "",
        sample_accession=samples.get(m.donor_id or -1, ""),
        missing_person_id=m.missing_person_id,
        case_number=missing.get(m.missing_person_id, "") if m.missing_person_id else "",
    ) for m in rows]


def families_of_donor(session: Session, donor_id: int) -> list[Family]:
    return list(session.exec(select(Family).join(PedigreeMember, PedigreeMember.family_id == Family.id)  # type: ignore[arg-type]
                             .where(PedigreeMember.donor_id == donor_id).order_by(Family.code)))


def families_of_missing_person(session: Session, person_id: int) -> list[Family]:
    return list(session.exec(select(Family).join(PedigreeMember, PedigreeMember.family_id == Family.id)  # type: ignore[arg-type]
                             .where(PedigreeMember.missing_person_id == person_id).order_by(Family.code)))


def create_family(*, session: Session, code: str, by: User, notes: str = "") -> Family:
    code = code.strip()
    if not code:
        problems = ProblemList()
        problems.add(msg("a family code is required"), field="code")
        problems.raise_if_any(msg("The family was not created"))
    if session.exec(select(Family).where(Family.code == code)).first():
        raise Conflict(msg("Family %(code)s exists already.", code=code))
    with write(session, actor=by, reason=f"family {code} created"):
        family = Family(code=code, notes=notes)
        session.add(family)
    return family


def add_member(*, session: Session, family_id: int, by: User, person_code: str, sex: str = "U",
               father: str = "", mother: str = "", donor_code: str = "", case_number: str = "",
               relation: str = "") -> PedigreeMember:
    """Add one person to a pedigree; the tree is checked again as a whole (parents of the right
    sex and in the family, at most one missing person, a donor or a missing person, not both)."""
    family = get_family(session, family_id)
    person_code, father, mother = person_code.strip(), father.strip(), mother.strip()
    problems = ProblemList()
    if not person_code:
        problems.add(msg("a person code is required"), field="person_code")
    check_sex(problems, sex)
    if donor_code and case_number:
        problems.add(msg("a person is either a donor or the missing person, not both"), field="donor_code")
    donor = session.exec(select(Donor).where(Donor.code == donor_code.strip())).first() if donor_code else None
    if donor_code and donor is None:
        problems.add(msg("no donor %(code)s", code=donor_code), field="donor_code")
    person = (session.exec(select(MissingPerson).where(MissingPerson.case_number == case_number.strip())).first()
              if case_number else None)
    if case_number and person is None:
        problems.add(msg("no missing person with case number %(case)s", case=case_number), field="case_number")
    problems.raise_if_any(msg("The person was not added"))
    current = members(session, family)
    rows = [PedigreeRow(family.code, m.person_code, m.father, m.mother, m.sex, m.sample_accession, m.missing)
            for m in current]
    rows.append(PedigreeRow(family.code, person_code, father, mother, sex, "", person is not None))
    found = [p for p in validate_family(rows) if "no missing person" not in p.message]
    ProblemList(found).raise_if_any(msg("The person was not added"))
    by_code = {m.person_code: m.id for m in current}
    with write(session, actor=by, reason=f"person {person_code} added to family {family.code}"):
        member = PedigreeMember(family_id=family_id, person_code=person_code, sex=sex,
                                father_id=by_code.get(father), mother_id=by_code.get(mother),
                                donor_id=donor.id if donor else None,
                                missing_person_id=person.id if person else None,
                                relation_label=relation.strip()[:50] or ("missing person" if person else ""))
        session.add(member)
    return member
