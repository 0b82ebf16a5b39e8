"""Handover of identified remains to the family: the last custody event (action ``release``).

    release_to_family(*, session, remains_id, to_party, by, reason="", seal_number="",
                      method="typed") -> CustodyEvent
    latest_event(session, item_id) -> CustodyEvent | None
    released_remains_ids(session) -> set[int]

The new event references the item's latest event (``previous_event_id``, unique: two stations
cannot both hand over the same item). The lead may later route this through the custody service.
"""

from __future__ import annotations

from sqlmodel import Session, select

from labtrack.core import custody_rules
from labtrack.core.errors import Conflict, NotFound, ProblemList
from labtrack.core.messages import msg
from labtrack.models import CustodyEvent, CustodyItem, Remains, User
from labtrack.services import identification
from labtrack.services.transaction import write


def latest_event(session: Session, item_id: int) -> CustodyEvent | None:
    """The item's latest event: the one that no other event of the item follows."""
    events = list(session.exec(select(CustodyEvent).where(CustodyEvent.item_id == item_id)))
    followed = {e.previous_event_id for e in events if e.previous_event_id is not None}
    heads = [e for e in events if e.id not in followed]
    return max(heads, key=lambda e: e.id or 0) if heads else None


def released_remains_ids(session: Session) -> set[int]:
    rows = session.exec(select(CustodyItem.remains_id).join(CustodyEvent, CustodyEvent.item_id == CustodyItem.id)  # type: ignore[arg-type]
                        .where(CustodyEvent.action == "release", CustodyItem.remains_id != None))  # noqa: E711
    return {r for r in rows if r is not None}


def release_to_family(*, session: Session, remains_id: int, to_party: str, by: User, reason: str = "",
                      seal_number: str = "", method: str = "typed") -> CustodyEvent:
    """Hand identified remains over to the family member ``to_party`` (name and relation)."""
    problems = ProblemList()
    if not (to_party or "").strip():
        problems.add(msg("say to whom the remains are handed over (name and relation)"), field="to_party")
    problems.raise_if_any(msg("The handover cannot be recorded"))
    remains = session.get(Remains, remains_id)
    if remains is None:
        raise NotFound(msg("remains %(id)s do not exist", id=remains_id))
    if identification.active_for_remains(session, remains_id) is None:
        raise Conflict(msg("remains %(accession)s are not identified: they cannot be handed over to a family",
                           accession=remains.accession))
    item = session.exec(select(CustodyItem).where(CustodyItem.remains_id == remains_id)).first()
    if item is None:
        raise Conflict(msg("remains %(accession)s have no custody record (no label registered)",
                           accession=remains.accession))
    previous = latest_event(session, item.id or 0)
    if previous is not None and previous.action == "release":
        raise Conflict(msg("remains %(accession)s were already handed over to %(party)s", accession=remains.accession,
                           party=previous.to_party))
    with write(session, actor=by, reason=f"remains {remains.accession} handed over to the family"):
        event = CustodyEvent(item_id=item.id or 0, previous_event_id=previous.id if previous else None,
                             action="release", from_user_id=by.id, to_party=to_party.strip()[:200],
                             reason=reason.strip() or str(custody_rules.RETURNED_TO_FAMILY),
                             seal_number=seal_number.strip(), recorded_by_id=by.id or 0, method=method)
        session.add(event)
    return event
