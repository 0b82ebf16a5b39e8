"""Missing persons, donors (with their reference samples) and families (pedigrees)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import Session, select

from labtrack.core import ids
from labtrack.core.errors import Conflict, InputProblem, NotFound, ProblemList, ValidationFailed
from labtrack.core.messages import message_of, msg, term, terms
from labtrack.imports.pedigrees import (
    PedigreeRow,
    add_missing_parents,
    group_families,
    parents_first,
    read_pedigrees,
    write_pedigrees,
)
from labtrack.models import (
    CustodyItem,
    Donor,
    Family,
    MissingPerson,
    PedigreeMember,
    Sample,
    Upload,
    User,
)
from labtrack.models.families import PERSON_SEXES
from labtrack.services import counters
from labtrack.services.custody_registration import add_first_event
from labtrack.services.transaction import write

if TYPE_CHECKING:
    from labtrack.services.worker import JobContext

# --- missing persons -------------------------------------------------------------------------

def list_missing_persons(session: Session) -> list[MissingPerson]:
    return list(session.exec(select(MissingPerson).order_by(MissingPerson.case_number)))


def get_missing_person(session: Session, person_id: int) -> MissingPerson:
    person = session.get(MissingPerson, person_id)
    if person is None:
        raise NotFound(msg("No missing person #%(id)s.", id=person_id))
    return person


def _check_sex(problems: ProblemList, sex: object) -> None:
    if sex not in PERSON_SEXES:
        problems.add(msg("sex must be M, F or U"), field="sex")


def register_missing_person(*, session: Session, by: User, case_number: str, sex: str = "U",
                            **details: object) -> MissingPerson:
    case_number = case_number.strip()
    problems = ProblemList()
    if not case_number:
        problems.add(msg("a case number is required"), field="case_number")
    _check_sex(problems, sex)
    problems.raise_if_any(msg("The missing person was not registered"))
    if session.exec(select(MissingPerson).where(MissingPerson.case_number == case_number)).first():
        raise Conflict(msg("Case number %(case)s is registered already.", case=case_number))
    with write(session, actor=by, reason=f"missing person {case_number} registered"):
        person = MissingPerson(case_number=case_number, sex=sex, **details)  # type: ignore[arg-type]
        session.add(person)
    return person


#: Details of a missing person that a coordinator may correct (not the case number or status).
EDITABLE_DETAILS: tuple[str, ...] = (
    "name_ar", "name_latin", "sex", "birth_date", "birth_year", "disappeared_on", "disappearance_place",
    "circumstances", "height_cm", "dental_notes", "distinguishing_marks", "contact_name", "contact_phone",
    "contact_relation",
)


def update_missing_person(*, session: Session, person_id: int, by: User, reason: str,
                          **details: object) -> MissingPerson:
    """Correct a missing person's details (a typo in a name, a new phone number).

    A reason is required; the audit log keeps the values before and after. Fields not given keep
    their value; the case number and the status are changed elsewhere (``set_case_status``).
    """
    person = get_missing_person(session, person_id)
    return _correct(session, person, by=by, reason=reason, details=details, editable=EDITABLE_DETAILS,
                    what="missing person")


#: Details of a donor that a coordinator may correct (not the donor code).
EDITABLE_DONOR_DETAILS: tuple[str, ...] = ("name_ar", "name_latin", "sex", "birth_year", "phone", "address")


def update_donor(*, session: Session, donor_id: int, by: User, reason: str, **details: object) -> Donor:
    """Correct a donor's details; same rules as ``update_missing_person`` (the code stays)."""
    donor = get_donor(session, donor_id)
    return _correct(session, donor, by=by, reason=reason, details=details, editable=EDITABLE_DONOR_DETAILS,
                    what="donor")


def _correct(session: Session, row: Any, *, by: User, reason: str, details: dict[str, object],
             editable: tuple[str, ...], what: str) -> Any:
    problems = ProblemList()
    for name in sorted(set(details) - set(editable)):
        problems.add(msg("%(field)s cannot be changed here", field=name), field=name)
    if not (reason or "").strip():
        problems.add(msg("say why the details are corrected"), field="reason")
    if "sex" in details:
        _check_sex(problems, details["sex"])
    problems.raise_if_any(msg("The donor was not changed") if what == "donor" else
                          msg("The missing person was not changed"))
    with write(session, actor=by, reason=f"{what} details corrected: {reason.strip()}"):
        changed = {k: v for k, v in details.items() if getattr(row, k) != v}
        for name, value in changed.items():
            setattr(row, name, value)
        if changed:
            session.add(row)
    return row


def has_approved_identification(session: Session, missing_person_id: int) -> bool:
    """True when an identification of this missing person was recorded (analysts may then see
    the identity)."""
    from labtrack.models import Identification

    statement = select(Identification).where(Identification.missing_person_id == missing_person_id)
    return session.exec(statement).first() is not None


# --- donors --------------------------------------------------------------------------------------

def list_donors(session: Session) -> list[Donor]:
    return list(session.exec(select(Donor).order_by(Donor.code)))


def get_donor(session: Session, donor_id: int) -> Donor:
    donor = session.get(Donor, donor_id)
    if donor is None:
        raise NotFound(msg("No donor #%(id)s.", id=donor_id))
    return donor


def reference_samples(session: Session, donor_id: int) -> list[Sample]:
    return list(session.exec(select(Sample).where(Sample.donor_id == donor_id).order_by(Sample.id)))  # type: ignore[arg-type]


def register_donor(*, session: Session, by: User, code: str, sex: str = "U", name_ar: str = "",
                   name_latin: str = "", birth_year: int | None = None, phone: str = "",
                   address: str = "", sample_type: str = "buccal_swab",
                   collected_on: date | None = None) -> tuple[Donor, Sample]:
    """A donor with their first reference sample (``REF-nnnnn-A``) and its custody item."""
    code = code.strip()
    problems = ProblemList()
    if not code:
        problems.add(msg("a donor code is required"), field="code")
    _check_sex(problems, sex)
    problems.raise_if_any(msg("The donor was not registered"))
    if session.exec(select(Donor).where(Donor.code == code)).first():
        raise Conflict(msg("Donor %(code)s is registered already.", code=code))
    with write(session, actor=by, reason=f"donor {code} registered"):
        donor = Donor(code=code, sex=sex, name_ar=name_ar, name_latin=name_latin,
                      birth_year=birth_year, phone=phone, address=address)
        session.add(donor)
        session.flush()
        sample = _new_reference_sample(session, donor, sample_type, collected_on, by)
    return donor, sample


def _next_reference_accession(session: Session) -> str:
    """``REF-<next kit number>-A-…`` (skipping a number some import took already)."""
    while True:
        try:
            accession = ids.reference_id(counters.next_reference_number(session), "A")
        except ids.CapacityExceeded as error:
            raise Conflict(msg("no reference kit numbers are left: %(problem)s", problem=message_of(error))) from error
        if session.exec(select(Sample.id).where(Sample.accession == accession)).first() is None:
            return accession


def _new_reference_sample(session: Session, donor: Donor, sample_type: str,
                          collected_on: date | None, by: User, accession: str | None = None) -> Sample:
    """A reference sample with its custody item and first custody event (collected by ``by``)."""
    accession = accession or _next_reference_accession(session)
    sample = Sample(accession=accession, donor_id=donor.id, sample_type=sample_type,
                    collected_on=collected_on)
    session.add(sample)
    session.flush()
    session.add(CustodyItem(accession=accession, kind="sample", sample_id=sample.id))
    session.flush()
    add_first_event(session=session, accession=accession, by=by, to_user=by,
                    to_party="reference sample collection")
    return sample


REFERENCE_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def add_reference_sample(*, session: Session, donor_id: int, by: User, sample_type: str = "buccal_swab",
                         collected_on: date | None = None) -> Sample:
    """A further reference sample of a donor: same kit number, next letter (``REF-00007-B``)."""
    donor = get_donor(session, donor_id)
    existing = reference_samples(session, donor_id)
    if not existing:
        with write(session, actor=by, reason=f"reference sample of donor {donor.code}"):
            return _new_reference_sample(session, donor, sample_type, collected_on, by)
    number = ids.reference_number(existing[0].accession)
    if len(existing) >= len(REFERENCE_LETTERS):
        raise Conflict(msg("donor %(code)s has %(count)s reference samples already", code=donor.code,
                           count=len(existing)))
    accession = ids.reference_id(number, REFERENCE_LETTERS[len(existing)])
    with write(session, actor=by, reason=f"reference sample {accession} of donor {donor.code}"):
        return _new_reference_sample(session, donor, sample_type, collected_on, by, accession)


CASE_STATUS_CHANGES = {  # what a coordinator may set; identification statuses come from the review
    "missing": ("closed",),
    "provisionally_matched": ("closed",),
    "identified": ("closed",),
    "closed": ("missing",),
}


def set_case_status(*, session: Session, person_id: int, status: str, by: User, reason: str) -> MissingPerson:
    """Close a case (all remains returned, or the family asked to stop) or reopen a closed one.

    Closing releases the notifications the family asked to hear "once at the end"."""
    person = get_missing_person(session, person_id)
    allowed = CASE_STATUS_CHANGES.get(person.status, ())
    if status not in allowed:
        if not allowed:
            raise Conflict(msg("case %(case)s is %(status)s: its status cannot be changed here",
                               case=person.case_number, status=term(person.status)))
        raise Conflict(msg("case %(case)s is %(status)s: it can only become %(allowed)s", case=person.case_number,
                           status=term(person.status), allowed=terms(allowed)))
    if not reason.strip():
        raise ValidationFailed(msg("say why the case status changes"),
                               [InputProblem(msg("a reason is required"), "reason")])
    if status == "missing" and has_approved_identification(session, person_id):
        status = "identified"
    with write(session, actor=by, reason=f"case {person.case_number}: {reason.strip()}"):
        person.status = status
        session.add(person)
    return person


# --- families and pedigrees ----------------------------------------------------------------------

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


def pedigree_rows(session: Session, families: list[Family] | None = None) -> list[PedigreeRow]:
    """Rows of the ``pedigrees.csv`` exchange format (sample_id = the donor's reference sample:
    their first sample), families by code, members in the order they were added. Three queries
    whatever the number of families (a match run reads every family)."""
    statement = (select(Family.code, PedigreeMember.id, PedigreeMember.person_code, PedigreeMember.sex,
                        PedigreeMember.father_id, PedigreeMember.mother_id, PedigreeMember.donor_id,
                        PedigreeMember.missing_person_id)
                 .join(Family, Family.id == PedigreeMember.family_id)  # type: ignore[arg-type]
                 .order_by(Family.code, PedigreeMember.id))  # type: ignore[arg-type]
    if families is not None:
        statement = statement.where(PedigreeMember.family_id.in_([f.id for f in families]))  # type: ignore[attr-defined]
    members_found = session.exec(statement).all()
    code_of = {member_id: person_code for _, member_id, person_code, *_ in members_found}
    donor_ids = {row[6] for row in members_found if row[6] is not None}
    first_sample = (select(Sample.donor_id, func.min(Sample.id).label("first_id"))
                    .where(Sample.donor_id != None).group_by(Sample.donor_id).subquery())  # type: ignore[arg-type]  # noqa: E711
    accession_of: dict[int, str] = {}
    if donor_ids:
        lookup = select(first_sample.c.donor_id, Sample.accession).join(Sample, Sample.id == first_sample.c.first_id)
        if families is not None:
            lookup = lookup.where(first_sample.c.donor_id.in_(sorted(donor_ids)))
        accession_of = {int(donor): str(accession) for donor, accession in session.exec(lookup)}
    return [PedigreeRow(family_code, person_code, code_of.get(father_id, "") if father_id else "",
                        code_of.get(mother_id, "") if mother_id else "", sex,
                        accession_of.get(donor_id, "") if donor_id is not None else "", missing_id is not None)
            for family_code, _, person_code, sex, father_id, mother_id, donor_id, missing_id in members_found]


def export_pedigrees(session: Session) -> bytes:
    return write_pedigrees(pedigree_rows(session))


def import_pedigrees(*, session: Session, raw: bytes, filename: str, by: User,
                     then: Callable[[Session, list[Family]], None] | None = None) -> list[Family]:
    """Create the families of a ``pedigrees.csv`` (all or nothing). ``then(session, families)``
    runs last inside the write that stores them (a worker job ends there).

    ``sample_id`` must be the accession of a registered reference sample; the member is then that
    sample's donor. The missing member is linked to the missing person whose case number is the
    family ID when there is one; otherwise a missing person is registered with case number
    ``<family_id>`` for the coordinators to complete. A family ID that exists is refused."""
    rows, problems = read_pedigrees(raw, filename=filename)
    found = ProblemList(problems)
    families = group_families(rows)
    if not rows and not problems:
        found.add(msg("the file has no rows"), file=filename)
    for code, family_rows in families.items():
        if session.exec(select(Family).where(Family.code == code)).first():
            found.add(msg("family %(code)s exists already", code=code), row=family_rows[0].row, field="family_id",
                      file=filename)
    donors: dict[str, int] = {}
    for row in rows:
        if not row.sample_id:
            continue
        try:
            accession = ids.validate(row.sample_id)
        except ids.InvalidAccession as error:
            found.add(msg("%(name)s is not a reference sample barcode: %(problem)s", name=repr(row.sample_id),
                          problem=message_of(error)), row=row.row, field="sample_id", file=filename)
            continue
        sample = session.exec(select(Sample).where(Sample.accession == accession)).first()
        if sample is None or sample.donor_id is None:
            found.add(msg("no reference sample %(accession)s is registered", accession=accession), row=row.row,
                      field="sample_id", file=filename)
        else:
            donors[row.sample_id] = sample.donor_id
    found.raise_if_any(msg("%(file)s: no pedigree was imported", file=filename))
    created = []
    with write(session, actor=by, reason=f"pedigrees imported from {filename}"):
        for code, family_rows in families.items():
            # a child with one parent given: an untyped founder for the other, with a note
            family_rows, notes = add_missing_parents(family_rows)
            family = Family(code=code, notes="\n".join(f"Import {filename}: {note}" for note in notes))
            session.add(family)
            session.flush()
            created.append(family)
            _add_members(session, family, family_rows, donors,
                         added={note.rsplit(" ", 1)[-1] for note in notes})
        if then is not None:
            then(session, created)
    return created


def import_upload(*, session: Session, raw: bytes, upload: Upload, by: User, context: JobContext,
                  finish: Callable[[Session, dict[str, Any]], None]) -> None:
    """A worker job's import of an uploaded ``pedigrees.csv`` (``services.uploads``); a file with
    problems raises ``ValidationFailed`` (every problem), nothing stored."""
    context.progress(session, 0.05, msg("checking the pedigrees"))

    def then(inner: Session, created: list[Family]) -> None:
        finish(inner, {"outcome": "imported", "n_families": len(created),
                       "first_families": [f.code for f in created[:20]]})

    import_pedigrees(session=session, raw=raw, filename=upload.filename, by=by, then=then)


def _add_members(session: Session, family: Family, rows: list[PedigreeRow],
                 donors: dict[str, int], added: set[str] | None = None) -> None:
    by_code: dict[str, PedigreeMember] = {}
    for row in parents_first(rows):  # the file may list children before parents (checked: no loops)
        missing_id = None
        if row.missing:
            person = session.exec(select(MissingPerson).where(MissingPerson.case_number == family.code)).first()
            if person is None:
                person = MissingPerson(case_number=family.code, sex=row.sex)
                session.add(person)
                session.flush()
            missing_id = person.id
        member = PedigreeMember(
            family_id=family.id or 0, person_code=row.person_id, sex=row.sex,
            father_id=by_code[row.father_id].id if row.father_id else None,
            mother_id=by_code[row.mother_id].id if row.mother_id else None,
            donor_id=donors.get(row.sample_id) if row.sample_id else None,
            missing_person_id=missing_id,
            relation_label="missing person" if row.missing else
            ("added: parent not given" if row.person_id in (added or set()) else ""))
        session.add(member)
        session.flush()
        by_code[row.person_id] = member


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
    _check_sex(problems, sex)
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
    from labtrack.imports.pedigrees import validate_family

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
