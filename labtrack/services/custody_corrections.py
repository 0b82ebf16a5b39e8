"""Correcting a wrong custody event: a new ``correction`` event that references it (events are
never edited or deleted; the wrong one stays in the chain)."""

from __future__ import annotations

from sqlmodel import Session

from labtrack.core.errors import NotFound, ValidationFailed
from labtrack.core.messages import msg
from labtrack.models import CustodyEvent, CustodyItem, User
from labtrack.services.custody_transfers import record_event


def correct_event(*, session: Session, event_id: int, by: User, reason: str, to_user: User | None = None,
                  to_location: str = "", to_party: str = "") -> CustodyEvent:
    """Correct a wrong event with a new one that references it (the wrong one stays)."""
    wrong = session.get(CustodyEvent, event_id)
    if wrong is None:
        raise NotFound(msg("no custody event %(event)s", event=event_id))
    item = session.get(CustodyItem, wrong.item_id)
    assert item is not None
    if not (to_user or to_location.strip() or to_party.strip()):
        raise ValidationFailed(msg("a correction must say where the item really is (person, location or party)"))
    return record_event(session=session, item_accession=item.accession, action="correction", by=by,
                        to_user=to_user, to_location=to_location, to_party=to_party, reason=reason,
                        corrects_event_id=event_id)
