"""Blind processing for pages: who may see the identity of a missing person or a donor."""

from __future__ import annotations

from flask_login import current_user
from sqlmodel import Session

from labtrack.services import families, missing_persons
from labtrack.web.access import ANALYST, can_see_identities


def may_see_missing_person(session: Session, missing_person_id: int | None) -> bool:
    """Coordinators and admins always; analysts once an identification of that person exists."""
    if can_see_identities():
        return True
    if missing_person_id is None or not current_user.is_authenticated or current_user.role != ANALYST:
        return False
    return missing_persons.has_approved_identification(session, missing_person_id)


def may_see_donor(session: Session, donor_id: int) -> bool:
    """Coordinators and admins; analysts when a missing person of one of the donor's families is
    identified."""
    if can_see_identities():
        return True
    if not current_user.is_authenticated or current_user.role != ANALYST:
        return False
    return any(may_see_missing_person(session, m.missing_person_id)
               for family in families.families_of_donor(session, donor_id)
               for m in families.members(session, family) if m.missing_person_id)
