"""The first custody event of a newly labelled item (``register``), written by intake, sampling,
reference-sample collection and the demo data inside their own write."""

from __future__ import annotations

from sqlmodel import Session, select

from labtrack.core import custody_rules
from labtrack.core.errors import ValidationFailed
from labtrack.core.messages import msg
from labtrack.models import CustodyEvent, CustodyItem, StorageLocation, User


def add_first_event(*, session: Session, accession: str, by: User | str, to_user: User | None = None,
                    to_party: str = "", to_location: StorageLocation | None = None) -> CustodyEvent:
    """The ``register`` event of a new item, inside an open write (intake, sampling, demo data)."""
    item = session.exec(select(CustodyItem).where(CustodyItem.accession == accession)).one()
    recorder = by if isinstance(by, User) else to_user
    if recorder is None or recorder.id is None:
        raise ValidationFailed(msg("a first custody event needs the user who registers the item"))
    event = CustodyEvent(item_id=item.id or 0, action="register", to_user_id=to_user.id if to_user else None,
                         to_party=to_party, to_location_id=to_location.id if to_location else None,
                         recorded_by_id=recorder.id, method="system", reason=str(custody_rules.LABEL_ATTACHED))
    session.add(event)
    session.flush()
    return event
