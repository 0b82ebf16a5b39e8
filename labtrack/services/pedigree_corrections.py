"""Correcting a person of a family tree, or taking them out of it, with a reason.

The tree is checked again as a whole (parents in the family and of the right sex, no loops, one
missing person) before anything is saved. A removed person is kept: a ``RemovedPedigreeMember``
row (append-only) holds them as they were, with who removed them and why, and the audit log keeps
the deleted row. Both changes touch ``pedigree_member``, so continuous matching queues the family
again (``continuous``) and candidates computed before no longer match their snapshot
(``snapshots.check_unchanged`` refuses to review them until a new computation), as for any pedigree
edit. An approved identification of the family's missing person is not undone by a change of the
tree: the change's audit reason names it, and its page lists the change for review
(``identification_basis``).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from labtrack.core.errors import Conflict, InputProblem, NotFound, ProblemList
from labtrack.core.messages import msg
from labtrack.imports.pedigrees import PedigreeRow, validate_family
from labtrack.models import Donor, Family, PedigreeMember, RemovedPedigreeMember, User
from labtrack.models.families import PERSON_SEXES
from labtrack.services import families, identification_basis
from labtrack.services.transaction import write

#: what may be corrected of a person of a tree (the missing person's link is not changed here)
MEMBER_FIELDS: tuple[str, ...] = ("person_code", "sex", "father", "mother", "relation", "donor_code")


def get_member(session: Session, member_id: int) -> PedigreeMember:
    member = session.get(PedigreeMember, member_id)
    if member is None:
        raise NotFound(msg("no person #%(id)s in any family tree", id=member_id))
    return member


def find_member(session: Session, family_code: str, person_code: str) -> PedigreeMember:
    """The person ``person_code`` of the family ``family_code`` (the CLI names them so)."""
    member = session.exec(select(PedigreeMember).join(Family, col(Family.id) == PedigreeMember.family_id)
                          .where(Family.code == family_code.strip(),
                                 PedigreeMember.person_code == person_code.strip())).first()
    if member is None:
        raise NotFound(msg("no person %(person)s in family %(family)s", person=person_code.strip(),
                           family=family_code.strip()))
    return member


def _reason(reason: str, problems: ProblemList) -> str:
    reason = (reason or "").strip()
    if not reason:
        problems.add(msg("say why the family tree is changed"), field="reason")
    return reason


def _tree_problems(rows: list[PedigreeRow], had_missing: bool) -> list[InputProblem]:
    """The tree's problems, each on the field of the form that can fix it."""
    fields = {"person_id": "person_code", "father_id": "father", "mother_id": "mother"}
    found = []
    for problem in validate_family(rows):
        if "no missing person" in problem.message and not had_missing:
            continue  # a family registered without its missing person yet
        found.append(InputProblem(message=problem.message, field=fields.get(problem.field or "", problem.field)))
    return found


def correct_member(*, session: Session, member_id: int, by: User, reason: str, **details: Any) -> PedigreeMember:
    """Correct a person of a tree: code, sex, parents (codes of persons of the family), relation,
    donor (a donor code; empty: no donor). Returns the member as saved."""
    details = {k: v.strip() if isinstance(v, str) else v for k, v in details.items()}
    problems = ProblemList()
    for name in sorted(set(details) - set(MEMBER_FIELDS)):
        problems.add(msg("%(field)s cannot be changed here", field=name), field=name)
    reason = _reason(reason, problems)
    member = get_member(session, member_id)
    family = families.get_family(session, member.family_id)
    current = families.members(session, family)
    me = next(m for m in current if m.id == member.id)
    wanted = {"person_code": me.person_code, "sex": me.sex, "father": me.father, "mother": me.mother,
              "relation": me.relation, "donor_code": me.donor_code} | details
    if not wanted["person_code"]:
        problems.add(msg("a person code is required"), field="person_code")
    elif len(wanted["person_code"]) > 40:
        problems.add(msg("at most %(length)s characters", length=40), field="person_code")
    if wanted["sex"] not in PERSON_SEXES:
        problems.add(msg("sex must be M, F or U"), field="sex")
    donor = None
    if wanted["donor_code"]:
        donor = session.exec(select(Donor).where(Donor.code == wanted["donor_code"])).first()
        if donor is None:
            problems.add(msg("no donor %(code)s", code=wanted["donor_code"]), field="donor_code")
        elif member.missing_person_id is not None:
            problems.add(msg("a person is either a donor or the missing person, not both"), field="donor_code")
        elif any(m.donor_id == donor.id and m.id != member.id for m in current):
            problems.add(msg("donor %(code)s is in this family already", code=donor.code), field="donor_code")
    problems.raise_if_any(msg("The person was not corrected"))
    rows = [PedigreeRow(family.code, m.person_code, m.father, m.mother, m.sex, m.sample_accession, m.missing)
            for m in current if m.id != member.id]
    renamed = {me.person_code: wanted["person_code"]}
    rows = [PedigreeRow(r.family_id, r.person_id, renamed.get(r.father_id, r.father_id),
                        renamed.get(r.mother_id, r.mother_id), r.sex, r.sample_id, r.missing) for r in rows]
    rows.append(PedigreeRow(family.code, wanted["person_code"], wanted["father"], wanted["mother"], wanted["sex"],
                            "", me.missing))
    ProblemList(_tree_problems(rows, any(m.missing for m in current))).raise_if_any(
        msg("The person was not corrected"))
    by_code = {m.person_code: m.id for m in current if m.id != member.id}
    note = identification_basis.stake_note(identification_basis.identifications_at_stake(session, family.id or 0))
    with write(session, actor=by, reason=f"person {me.person_code} of family {family.code} corrected: {reason}{note}"):
        member = get_member(session, member_id)  # read inside the transaction: the log keeps the values before
        values = {"person_code": wanted["person_code"], "sex": wanted["sex"],
                  "father_id": by_code.get(wanted["father"]), "mother_id": by_code.get(wanted["mother"]),
                  "relation_label": wanted["relation"][:50], "donor_id": donor.id if donor else None}
        changed = {k: v for k, v in values.items() if getattr(member, k) != v}
        for name, value in changed.items():
            setattr(member, name, value)
        if changed:
            session.add(member)
    return member


def remove_member(*, session: Session, member_id: int, by: User, reason: str) -> RemovedPedigreeMember:
    """Take a person out of a tree (entered by mistake, a wrong relative): kept as a removed person.
    Refused for the missing person and for a parent of others (correct the children first)."""
    problems = ProblemList()
    reason = _reason(reason, problems)
    problems.raise_if_any(msg("The person was not removed"))
    member = get_member(session, member_id)
    family = families.get_family(session, member.family_id)
    if member.missing_person_id is not None:
        raise Conflict(msg("%(person)s is the missing person of family %(family)s: the missing person is not "
                           "removed from their own tree", person=member.person_code, family=family.code))
    children = session.exec(select(PedigreeMember.person_code).where(
        PedigreeMember.family_id == member.family_id,
        (col(PedigreeMember.father_id) == member.id) | (col(PedigreeMember.mother_id) == member.id))).all()
    if children:
        raise Conflict(msg("%(person)s is a parent of %(children)s: correct their parents first",
                           person=member.person_code, children=", ".join(sorted(children))))
    codes = dict(session.exec(select(PedigreeMember.id, PedigreeMember.person_code).where(
        PedigreeMember.family_id == member.family_id)).all())
    note = identification_basis.stake_note(identification_basis.identifications_at_stake(session, family.id or 0))
    with write(session, actor=by,
               reason=f"person {member.person_code} removed from family {family.code}: {reason}{note}"):
        member = get_member(session, member_id)
        kept = RemovedPedigreeMember(
            family_id=member.family_id, member_id=member.id or 0, person_code=member.person_code, sex=member.sex,
            father_code=codes.get(member.father_id, "") if member.father_id else "",
            mother_code=codes.get(member.mother_id, "") if member.mother_id else "",
            donor_id=member.donor_id, missing_person_id=member.missing_person_id,
            relation_label=member.relation_label, reason=reason, removed_by_id=by.id or 0)
        session.add(kept)
        session.delete(member)
    return kept


def removed_members(session: Session, family: Family) -> list[tuple[RemovedPedigreeMember, str, str]]:
    """Persons taken out of the family's tree, oldest first, with the donor code and the remover's name."""
    rows = session.exec(select(RemovedPedigreeMember, Donor.code, User.username)
                        .join(Donor, col(Donor.id) == RemovedPedigreeMember.donor_id, isouter=True)
                        .join(User, col(User.id) == RemovedPedigreeMember.removed_by_id)
                        .where(RemovedPedigreeMember.family_id == family.id)
                        .order_by(col(RemovedPedigreeMember.id))).all()
    return [(row, code or "", username) for row, code, username in rows]
