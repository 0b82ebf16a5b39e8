"""Custody transfers: record hand-overs (append-only), one event or a batch (all or nothing).

Public entry points for other areas: ``record_event`` (one event) and ``record_batch`` (several,
all or nothing). Both take the same keyword arguments as ``EventRequest``. Whether a move is
allowed is decided by the pure ``labtrack.core.custody_rules`` on the item's standing
(``custody_state``).

Concurrency: every event stores ``previous_event_id`` = the item's latest event when it was
recorded; the column is unique (and one first event per item is allowed), so two stations that
move the same item at once cannot both succeed; the loser gets a ``Conflict`` naming the item.
A station that validated a scan passes ``expected_previous_event_id`` so that a move made by
someone else between scan and confirmation is refused instead of silently chained.

Idempotency: a client-supplied ``event_key`` is unique; a retried request returns the event
recorded the first time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from labtrack.core import custody_rules, ids, lifecycle
from labtrack.core.errors import Conflict, DomainError, InputProblem, ValidationFailed
from labtrack.core.messages import message_of, msg, nmsg
from labtrack.models import CustodyEvent, CustodyItem, Sample, StorageLocation, User
from labtrack.models.custody import CAPTURE_METHODS, CUSTODY_ACTIONS
from labtrack.services import samples
from labtrack.services.custody_state import as_location, as_person, get_item, state_of
from labtrack.services.transaction import write


@dataclass(frozen=True)
class EventRequest:
    """One custody event to record. ``to_user`` is a User, or give ``to_badge`` (USR-…)."""

    item_accession: str
    action: str
    to_user: User | None = None
    to_badge: str = ""
    to_location: str = ""
    to_party: str = ""
    seal_number: str = ""
    seal_intact: bool | None = None
    shipment_ref: str = ""
    reason: str = ""
    from_location: str = ""  # where the station says the item is (refused when it is not there)
    expected_previous_event_id: int | None = None
    corrects_event_id: int | None = None
    event_key: str | None = None
    method: str = "typed"


@dataclass
class BatchResult:
    """The events of a batch, in request order; ``replayed``: recorded before under the same key."""

    events: list[CustodyEvent]
    replayed: list[bool] = field(default_factory=list)
    batch_ref: str = ""

    @property
    def all_replayed(self) -> bool:
        return bool(self.replayed) and all(self.replayed)


@dataclass(frozen=True)
class Targets:
    """The rows a request's destination and station location name (None: not named, or unknown)."""

    to_user: User | None
    to_location: StorageLocation | None
    from_location: StorageLocation | None


def as_move(request: EventRequest, targets: Targets) -> custody_rules.Move:
    """The move ``request`` asks for, its destination resolved, as the custody rules take it."""
    return custody_rules.Move(
        request.action, to_user=as_person(targets.to_user), to_location=as_location(targets.to_location),
        from_location=as_location(targets.from_location), to_party=request.to_party,
        seal_number=request.seal_number, reason=request.reason, corrects_event_id=request.corrects_event_id)


def resolve_targets(session: Session, request: EventRequest, row: int,
                    problems: list[InputProblem]) -> Targets:
    """The person (user or badge) and the storage locations ``request`` names, as rows; each one
    that is unknown, mistyped or inactive adds a problem (of ``row``) and stays None."""
    to_user = request.to_user
    if to_user is None and request.to_badge.strip():
        try:
            badge = ids.validate(request.to_badge)
            to_user = session.exec(select(User).where(User.badge == badge)).first()
            if to_user is None:
                problems.append(InputProblem(message=msg("no person has badge %(badge)s", badge=badge),
                                             field="to_badge", row=row))
        except ids.InvalidAccession as error:
            problems.append(InputProblem(message=msg("badge: %(problem)s", problem=message_of(error)), field="to_badge",
                                         row=row))
    if to_user is not None and not to_user.active:
        problems.append(InputProblem(message=msg("%(username)s is not an active user", username=to_user.username),
                                     field="to_badge", row=row))
    locations = []
    for name in ("to_location", "from_location"):
        value = getattr(request, name).strip()
        location = None
        if value:
            try:
                location = session.exec(select(StorageLocation).where(
                    StorageLocation.accession == ids.validate(value))).first()
                if location is None:
                    problems.append(InputProblem(message=msg("no storage location %(location)s", location=value),
                                                 field=name, row=row))
            except ids.InvalidAccession as error:
                problems.append(InputProblem(message=msg("location: %(problem)s", problem=message_of(error)),
                                             field=name,
                                             row=row))
        locations.append(location)
    return Targets(to_user, locations[0], locations[1])


def _find_by_key(session: Session, key: str | None) -> CustodyEvent | None:
    if not key:
        return None
    return session.exec(select(CustodyEvent).where(CustodyEvent.event_key == key)).first()


def _build(session: Session, request: EventRequest, row: int, by: User, batch_ref: str,
           problems: list[InputProblem], conflicts: list[InputProblem]) -> CustodyEvent | None:
    if request.action not in CUSTODY_ACTIONS:
        problems.append(InputProblem(
            message=msg("unknown action %(action)s; one of %(actions)s", action=repr(request.action),
                        actions=", ".join(CUSTODY_ACTIONS)), field="action", row=row))
        return None
    if request.method not in CAPTURE_METHODS:
        problems.append(InputProblem(
            message=msg("method must be one of %(methods)s", methods=", ".join(CAPTURE_METHODS)),
            field="method", row=row))
        return None
    try:
        item = get_item(session, request.item_accession)
    except DomainError as error:
        problems.append(InputProblem(message=error.message, field="item", row=row))
        return None
    targets = resolve_targets(session, request, row, problems)
    state = state_of(session, item)
    if request.corrects_event_id is not None:
        corrected = session.get(CustodyEvent, request.corrects_event_id)
        if corrected is None or corrected.item_id != item.id:
            problems.append(InputProblem(message=msg("event %(event)s is not an event of %(accession)s",
                                                     event=request.corrects_event_id, accession=item.accession),
                                         field="corrects_event_id", row=row))
            return None
    if (request.expected_previous_event_id is not None and state.last_event is not None
            and state.last_event.id != request.expected_previous_event_id):
        conflicts.append(InputProblem(
            message=msg("%(accession)s was moved by another station since it was scanned: it is now %(where)s",
                        accession=item.accession, where=state.describe()),
            field="item", row=row))
        return None
    move = as_move(request, targets)
    message = custody_rules.problem(state.standing, move)
    if message:
        conflicts.append(InputProblem(message=message, field="item", row=row))
        return None
    last = state.last_event
    return CustodyEvent(
        event_key=request.event_key or None, item_id=item.id or 0,
        previous_event_id=last.id if last else None, action=request.action,
        from_user_id=last.to_user_id if last else None,
        from_location_id=last.to_location_id if last else None,
        to_user_id=(targets.to_user.id if targets.to_user else
                    by.id if custody_rules.recorder_takes_it(move) else None),
        to_location_id=targets.to_location.id if targets.to_location else None,
        to_party=request.to_party.strip(), reason=request.reason.strip(),
        seal_number=custody_rules.seal_recorded(state.standing, move), seal_intact=request.seal_intact,
        shipment_ref=request.shipment_ref.strip(), batch_ref=batch_ref,
        corrects_event_id=request.corrects_event_id, recorded_by_id=by.id or 0, method=request.method,
    )


def _key_reused(session: Session, earlier: CustodyEvent, request: EventRequest, row: int) -> InputProblem | None:
    """A retry sends the same event again; the same key on a different item or action is a
    different event that must not be answered "replayed" and dropped."""
    item = session.get(CustodyItem, earlier.item_id)
    accession = item.accession if item is not None else "?"
    if accession == ids.normalise(request.item_accession) and earlier.action == request.action:
        return None
    return InputProblem(
        message=msg(
            "event key %(key)s was used already for event #%(event)s (%(earlier_action)s of %(earlier_item)s at "
            "%(at)s UTC); this %(action)s of %(item)s needs a new key: nothing was recorded",
            key=repr(request.event_key), event=earlier.id, earlier_action=earlier.action, earlier_item=accession,
            at=earlier.at.strftime("%Y-%m-%d %H:%M"), action=request.action,
            item=ids.normalise(request.item_accession)),
        field="event_key", row=row)


def new_batch_ref() -> str:
    return f"B-{uuid.uuid4().hex[:12].upper()}"


def _record(session: Session, requests: list[EventRequest], by: User, batch_ref: str) -> BatchResult:
    with write(session, actor=by, reason=f"custody batch {batch_ref}"):
        events: list[CustodyEvent] = []
        replayed: list[bool] = []
        problems: list[InputProblem] = []
        conflicts: list[InputProblem] = []
        seen: dict[str, int] = {}
        for row, request in enumerate(requests, start=1):
            earlier = _find_by_key(session, request.event_key)
            if earlier is not None:
                reused = _key_reused(session, earlier, request, row)
                if reused is not None:
                    conflicts.append(reused)
                    continue
                events.append(earlier)
                replayed.append(True)
                continue
            accession = ids.normalise(request.item_accession)
            if accession in seen:
                problems.append(InputProblem(
                    message=msg("%(accession)s is twice in this batch (rows %(first)s and %(row)s)",
                                accession=accession, first=seen[accession], row=row),
                    field="item", row=row))
                continue
            seen[accession] = row
            event = _build(session, request, row, by, batch_ref, problems, conflicts)
            if event is not None:
                events.append(event)
                replayed.append(False)
        if problems:
            everything = problems + conflicts
            raise ValidationFailed(everything[0].message if len(everything) == 1 else
                                   nmsg("Nothing was recorded: one problem", "Nothing was recorded: %(num)d problems",
                                        len(everything)), everything)
        if conflicts:
            raise Conflict(conflicts[0].message if len(conflicts) == 1 else
                           nmsg("Nothing was recorded: one item is not where the action needs it",
                                "Nothing was recorded: %(num)d items are not where the action needs them",
                                len(conflicts)),
                           conflicts)
        if replayed and all(replayed):
            batch_ref = events[0].batch_ref  # a retried batch: answer with the batch as first recorded
        fresh = [event for event, again in zip(events, replayed, strict=True) if not again]
        try:
            session.add_all(fresh)
            session.flush()
        except IntegrityError as error:
            raise _concurrency_conflict(session, fresh, error) from error
        _move_samples(session, fresh, by)
    return BatchResult(events, replayed, batch_ref)


def _move_samples(session: Session, events: list[CustodyEvent], by: User) -> None:
    """Samples follow their custody: shipping a sealed sample puts it in transit, receiving a
    sample in transit makes it received (``lifecycle.CUSTODY_MOVES``), in the same transaction."""
    moving = {action for action, _state in lifecycle.CUSTODY_MOVES}
    for event in events:
        if event.action not in moving:
            continue
        item = session.get(CustodyItem, event.item_id)
        if item is None or item.kind != "sample" or item.sample_id is None:
            continue
        sample = session.get(Sample, item.sample_id)
        target = lifecycle.state_after_custody(event.action, sample.state) if sample else None
        if sample is not None and target is not None:
            samples.transition(session=session, accession=sample.accession, to_state=target, by=by,
                               reason=f"custody event {event.id}: {event.action}")


def _concurrency_conflict(session: Session, events: list[CustodyEvent], error: IntegrityError) -> Conflict:
    text = str(error.orig)
    items = ", ".join(sorted({str(e.item_id) for e in events}))
    if "event_key" in text:
        return Conflict(msg("the same event key was sent twice at once; retry to get the recorded event"))
    return Conflict(msg("another station recorded a custody event for the same item at the same moment "
                        "(item ids %(items)s); nothing was recorded, scan again to see where it is now", items=items))


def record_batch(*, session: Session, requests: list[EventRequest], by: User,
                 batch_ref: str = "") -> BatchResult:
    """Record several events in one transaction: all are recorded, or none (every problem listed).

    Requests whose ``event_key`` was recorded before return that event (``replayed``)."""
    if not requests:
        raise ValidationFailed(msg("no items to record"))
    batch_ref = batch_ref.strip() or new_batch_ref()
    try:
        return _record(session, requests, by, batch_ref)
    except Conflict:
        keys = [r.event_key for r in requests]
        if all(keys):
            session.rollback()
            earlier = [_find_by_key(session, key) for key in keys]
            if all(e is not None and _key_reused(session, e, r, 0) is None  # a concurrent retry won the race
                   for e, r in zip(earlier, requests, strict=True)):
                return BatchResult([e for e in earlier if e is not None], [True] * len(earlier),
                                   batch_ref)
        raise


def record_event(*, session: Session, item_accession: str, action: str, by: User,
                 to_user: User | None = None, to_location: str = "", to_party: str = "",
                 seal_number: str = "", reason: str = "", batch_ref: str = "",
                 **more: object) -> CustodyEvent:
    """Record one custody event (e.g. ``action="release", to_party="family of MP-2025-0001"``).

    Further keyword arguments are the fields of ``EventRequest`` (``seal_intact``, ``event_key``,
    ``corrects_event_id``, ``from_location``, ``expected_previous_event_id``, ``method``, ...).
    """
    request = EventRequest(item_accession=item_accession, action=action, to_user=to_user,
                           to_location=to_location, to_party=to_party, seal_number=seal_number,
                           reason=reason)
    request = replace(request, **more)  # type: ignore[arg-type]
    return record_batch(session=session, requests=[request], by=by, batch_ref=batch_ref).events[0]
