"""Whether an identification still rests on the family tree it was made with.

An identification is append-only; the family tree it was computed from is not: a coordinator may
correct a person of the tree, take one out, or add one after the identification was approved.
Nothing of that may pass unseen. Before such a change the correction form and the API say which
identifications rest on the tree (``identifications_at_stake``); the change's audit reason names
them (``stake_note``); afterwards the identification's page lists every change of the tree made
after it (``tree_changes_since``), read from the audit log, so a reviewer can decide whether to
retract it (a signed, two-analyst retraction: ``identification.retract``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import Session, col, select

from labtrack.core.messages import Message, msg
from labtrack.models import AuditEntry, Identification, PedigreeMember, RemovedPedigreeMember
from labtrack.services import identification
from labtrack.services.families import families_of_missing_person


@dataclass(frozen=True)
class TreeChange:
    """One change of a family tree after an identification, as the audit log keeps it."""

    at: str
    actor: str
    action: str
    family_code: str
    person_code: str
    reason: str


def identifications_at_stake(session: Session, family_id: int) -> list[Identification]:
    """The active identifications of the family's missing person(s): they rest on this tree."""
    people = session.exec(select(PedigreeMember.missing_person_id).where(
        PedigreeMember.family_id == family_id, col(PedigreeMember.missing_person_id).is_not(None))).all()
    return [ident for person in sorted({p for p in people if p}) for ident in identification.active_for_person(
        session, person)]


def stake_warning(idents: list[Identification]) -> Message | None:
    """What the person changing the tree must read first (None: no identification rests on it)."""
    if not idents:
        return None
    return msg("The missing person of this family was identified (identification %(ids)s). That identification "
               "was computed from the family tree as it is now: a change here changes its evidence. The change "
               "will be listed on the identification's page for review; retract the identification if it no "
               "longer holds.", ids=", ".join(f"#{i.id}" for i in idents))


def warning_for_family(session: Session, family_id: int) -> Message | None:
    """`stake_warning` of the identifications resting on the family's tree (None: none do)."""
    return stake_warning(identifications_at_stake(session, family_id))


def stake_note(idents: list[Identification]) -> str:
    """The words added to the change's audit reason (empty when no identification rests on it)."""
    if not idents:
        return ""
    return f" [made after identification {', '.join(f'#{i.id}' for i in idents)}]"


def tree_changes_since(session: Session, ident: Identification, *, limit: int = 200) -> list[TreeChange]:
    """Every change of the missing person's family trees recorded after ``ident`` was approved
    (people corrected, removed or added), oldest first, at most ``limit``."""
    created = session.exec(select(AuditEntry.seq).where(
        AuditEntry.entity_type == "identification", AuditEntry.entity_id == str(ident.id),
        AuditEntry.action == "create")).first()
    if created is None:
        return []
    families = families_of_missing_person(session, ident.missing_person_id)
    if not families:
        return []
    family_ids = [f.id for f in families]
    code_of = {f.id: f.code for f in families}
    members = dict(session.exec(select(PedigreeMember.id, PedigreeMember.family_id)
                                .where(col(PedigreeMember.family_id).in_(family_ids))).all())
    members |= dict(session.exec(select(RemovedPedigreeMember.member_id, RemovedPedigreeMember.family_id)
                                 .where(col(RemovedPedigreeMember.family_id).in_(family_ids))).all())
    entries = session.exec(select(AuditEntry).where(
        AuditEntry.entity_type == "pedigree_member", col(AuditEntry.entity_id).in_([str(m) for m in members]),
        AuditEntry.seq > created).order_by(col(AuditEntry.seq)).limit(limit))
    changes = []
    for entry in entries:
        row = json.loads(entry.after_json) or json.loads(entry.before_json) or {}
        changes.append(TreeChange(at=entry.at, actor=entry.actor, action=entry.action,
                                  family_code=code_of.get(members.get(int(entry.entity_id)), ""),
                                  person_code=str(row.get("person_code", "")), reason=entry.reason))
    return changes

