"""The scanning station: check each scan before the batch is recorded (check characters, the
item exists, it is where the station says, not scanned twice); a badge names who takes the items,
a location scanned while storing is the destination. Recording is ``custody_transfers``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from labtrack.core import custody_rules, ids
from labtrack.core.errors import InputProblem
from labtrack.core.messages import Message, msg
from labtrack.core.scanning import duplicate_in_batch, read_scan
from labtrack.models import CustodyItem, StorageLocation, User
from labtrack.services.custody_state import state_of
from labtrack.services.custody_transfers import EventRequest, as_move, resolve_targets


@dataclass(frozen=True)
class ScanAnswer:
    """The station's answer to one scan."""

    ok: bool
    kind: str  # item, badge, location-target, repeat, error
    message: str  # a Message, but for a badge (the person's name) or a location target (its name)
    accession: str = ""
    expected_previous_event_id: int | None = None
    where: str = ""  # a Message


def validate_scan(*, session: Session, raw: str, action: str, batch: list[str],
                  to_location: str = "", from_location: str = "", to_badge: str = "") -> ScanAnswer:
    """Check one scan for the station: check characters, item exists, where it is, double scan.

    A badge answers ``kind="badge"`` (the person who takes the items); a location scanned while
    moving to storage with no destination yet answers ``kind="location-target"``.
    """
    reading = read_scan(raw)
    if not reading.ok:
        return ScanAnswer(False, "error", reading.error or msg("unreadable scan"))
    accession = reading.accession or ""
    if reading.kind == "badge":
        user = session.exec(select(User).where(User.badge == accession)).first()
        if user is None or not user.active:
            return ScanAnswer(False, "error", msg("%(badge)s: no active person has this badge", badge=accession),
                              accession)
        return ScanAnswer(True, "badge", user.full_name, accession)
    if reading.kind == "location" and action == "store" and not to_location:
        exists = session.exec(select(StorageLocation).where(StorageLocation.accession == accession)).first()
        if exists is None:
            return ScanAnswer(False, "error", msg("%(location)s: no such storage location", location=accession),
                              accession)
        return ScanAnswer(True, "location-target", exists.name, accession)
    if action not in custody_rules.STATION_ACTIONS:
        return ScanAnswer(False, "error", msg("choose an action first (%(actions)s)",
                                              actions=", ".join(custody_rules.STATION_ACTIONS)), accession)
    if duplicate_in_batch(accession, [ids.normalise(code) for code in batch]):
        return ScanAnswer(False, "error", msg("%(accession)s is already in this batch (scanned twice)",
                                              accession=accession), accession)
    item = session.exec(select(CustodyItem).where(CustodyItem.accession == accession)).first()
    if item is None:
        return ScanAnswer(False, "error", msg("%(accession)s is a valid ID but no such item is registered",
                                              accession=accession), accession)
    problems: list[InputProblem] = []
    request = EventRequest(item_accession=accession, action=action, to_badge=to_badge,
                           to_location=to_location, from_location=from_location)
    targets = resolve_targets(session, request, 1, problems)
    if problems:
        return ScanAnswer(False, "error", problems[0].message, accession)
    state = state_of(session, item)
    message = custody_rules.problem(state.standing, as_move(request, targets), partial=True)
    if message:
        return ScanAnswer(False, "error", message, accession)
    return ScanAnswer(True, "item", _scanned(accession, item.kind, state.describe()), accession,
                      state.last_event.id if state.last_event else None, state.describe())


def _scanned(accession: str, kind: str, where: Message) -> Message:
    """The station's answer to a good scan: the item, its kind and where it is."""
    if kind == "remains":
        return msg("%(accession)s: remains, %(where)s", accession=accession, where=where)
    if kind == "sample":
        return msg("%(accession)s: sample, %(where)s", accession=accession, where=where)
    if kind == "location":
        return msg("%(accession)s: storage location, %(where)s", accession=accession, where=where)
    return msg("%(accession)s: %(kind)s, %(where)s", accession=accession, kind=kind, where=where)
