"""Families in and out of the ``pedigrees.csv`` exchange format: the rows of the stored families
(export, match runs, family power) and the all-or-nothing import of a file (from a page, the CLI
or an uploaded file in the worker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import Session, select

from labtrack.core import ids
from labtrack.core.errors import InputProblem, ProblemList
from labtrack.core.messages import message_of, msg
from labtrack.imports.pedigrees import (
    PedigreeRow,
    add_missing_parents,
    group_families,
    parents_first,
    read_pedigrees,
    write_pedigrees,
)
from labtrack.models import Family, MissingPerson, PedigreeMember, Sample, Upload, User
from labtrack.services.transaction import write
from labtrack.services.uploads import stored_problems

if TYPE_CHECKING:
    from labtrack.services.worker import JobContext


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
        notices = already_identified(inner, created, filename=upload.filename)
        noted = stored_problems(notices) if notices else {}  # notes shown on the upload's page
        finish(inner, {"outcome": "imported", "n_families": len(created),
                       "first_families": [f.code for f in created[:20]], **noted})

    import_pedigrees(session=session, raw=raw, filename=upload.filename, by=by, then=then)


def already_identified(session: Session, families: list[Family], *, filename: str | None = None
                       ) -> list[InputProblem]:
    """A note per new family whose missing person stands identified already (a family added for
    them is not refused: a relative may come forward late; but a coordinator should know why
    before its candidates are reviewed)."""
    if not families:
        return []
    found = session.exec(
        select(Family.code, MissingPerson.case_number)
        .join(PedigreeMember, PedigreeMember.family_id == Family.id)  # type: ignore[arg-type]
        .join(MissingPerson, MissingPerson.id == PedigreeMember.missing_person_id)  # type: ignore[arg-type]
        .where(Family.id.in_([f.id for f in families]),  # type: ignore[union-attr]
               MissingPerson.status == "identified")
        .order_by(Family.code)).all()
    return [InputProblem(message=msg("missing person %(case)s is identified already; check why a family is added "
                                     "for them before reviewing its candidates", case=case),
                         field="family_id", file=filename) for _code, case in dict.fromkeys(found)]


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
