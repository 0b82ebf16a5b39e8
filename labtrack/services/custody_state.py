"""Where a custody item is and who holds it, derived from its events (reading only).

An item's state is its latest event; ``ItemState.standing`` gives the plain values the pure
custody rules (``labtrack.core.custody_rules``) decide on.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from labtrack.core import custody_rules, ids
from labtrack.core.errors import InputProblem, NotFound, ValidationFailed
from labtrack.core.messages import Message, message_of, msg
from labtrack.models import CustodyEvent, CustodyItem, StorageLocation, User


@dataclass(frozen=True)
class ItemState:
    """Where an item is now, derived from its latest event (the rows; ``standing`` the plain values
    the custody rules decide on)."""

    item: CustodyItem
    last_event: CustodyEvent | None
    location: StorageLocation | None = None
    holder: User | None = None

    @property
    def standing(self) -> custody_rules.Standing:
        event = self.last_event
        if event is None:
            return custody_rules.Standing(self.item.accession)
        return custody_rules.Standing(
            self.item.accession, last_action=event.action, last_event_id=event.id, last_at=event.at,
            to_party=event.to_party, seal_number=event.seal_number,
            location=as_location(self.location), holder=as_person(self.holder))

    def describe(self) -> Message:
        return self.standing.describe()


def as_location(location: StorageLocation | None) -> custody_rules.Location | None:
    """A storage location row as the plain value the custody rules take."""
    return None if location is None else custody_rules.Location(location.id or 0, location.accession, location.name)


def as_person(user: User | None) -> custody_rules.Person | None:
    """A user row as the plain value the custody rules take."""
    return None if user is None else custody_rules.Person(user.id or 0, user.full_name)


def get_item(session: Session, accession: str) -> CustodyItem:
    """The custody item of a valid accession ID (check characters verified first)."""
    try:
        full = ids.validate(accession)
    except ids.InvalidAccession as error:
        raise ValidationFailed(message_of(error), [InputProblem(message=message_of(error), field="item")]) from error
    item = session.exec(select(CustodyItem).where(CustodyItem.accession == full)).first()
    if item is None:
        raise NotFound(msg("%(accession)s is a valid ID but no such item is registered", accession=full))
    return item


def latest_event(session: Session, item: CustodyItem) -> CustodyEvent | None:
    return session.exec(select(CustodyEvent).where(CustodyEvent.item_id == item.id)
                        .order_by(col(CustodyEvent.id).desc()).limit(1)).first()


def state_of(session: Session, item: CustodyItem) -> ItemState:
    event = latest_event(session, item)
    if event is None:
        return ItemState(item, None)
    location = session.get(StorageLocation, event.to_location_id) if event.to_location_id else None
    holder = session.get(User, event.to_user_id) if event.to_user_id else None
    return ItemState(item, event, location, holder)


def events_of(session: Session, item: CustodyItem) -> list[CustodyEvent]:
    return list(session.exec(select(CustodyEvent).where(CustodyEvent.item_id == item.id)
                             .order_by(col(CustodyEvent.id))))


def events_of_batch(session: Session, batch_ref: str) -> list[CustodyEvent]:
    return list(session.exec(select(CustodyEvent).where(CustodyEvent.batch_ref == batch_ref)
                             .order_by(col(CustodyEvent.id))))


def items_at(session: Session, location: StorageLocation) -> list[CustodyItem]:
    """Items whose latest event puts them at ``location``."""
    latest = (select(CustodyEvent.item_id, CustodyEvent.to_location_id)
              .where(~col(CustodyEvent.id).in_(
                  select(CustodyEvent.previous_event_id).where(col(CustodyEvent.previous_event_id) != None)))  # noqa: E711
              .subquery())
    statement = (select(CustodyItem).join(latest, latest.c.item_id == CustodyItem.id)
                 .where(latest.c.to_location_id == location.id).order_by(CustodyItem.accession))
    return list(session.exec(statement))
