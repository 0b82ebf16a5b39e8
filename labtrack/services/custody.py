"""Chain of custody: record hand-overs (append-only), derive where an item is and who holds it.

Public entry points for other areas: ``record_event`` (one event) and ``record_batch`` (several,
all or nothing). Both take the same keyword arguments as ``EventRequest``.

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
from sqlmodel import Session, col, select

from labtrack.core import custody_rules, ids, lifecycle
from labtrack.core.errors import Conflict, DomainError, InputProblem, NotFound, ValidationFailed
from labtrack.core.messages import Message, message_of, msg, nmsg
from labtrack.core.scanning import duplicate_in_batch, read_scan
from labtrack.models import CustodyEvent, CustodyItem, Sample, StorageLocation, User
from labtrack.models.custody import CAPTURE_METHODS, CUSTODY_ACTIONS
from labtrack.services.transaction import write

STATION_ACTIONS = custody_rules.STATION_ACTIONS


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
            location=_location(self.location), holder=_person(self.holder))

    @property
    def registered(self) -> bool:
        return self.last_event is not None

    @property
    def in_transit(self) -> bool:
        return self.standing.in_transit

    @property
    def released(self) -> bool:
        return self.standing.released

    def describe(self) -> Message:
        return self.standing.describe()


def _location(location: StorageLocation | None) -> custody_rules.Location | None:
    return None if location is None else custody_rules.Location(location.id or 0, location.accession, location.name)


def _person(user: User | None) -> custody_rules.Person | None:
    return None if user is None else custody_rules.Person(user.id or 0, user.full_name)


@dataclass
class BatchResult:
    events: list[CustodyEvent]
    replayed: list[bool] = field(default_factory=list)
    batch_ref: str = ""

    @property
    def all_replayed(self) -> bool:
        return bool(self.replayed) and all(self.replayed)


# ---------------------------------------------------------------- reading


def get_item(session: Session, accession: str) -> CustodyItem:
    """The custody item of a valid accession ID (check characters verified first)."""
    try:
        full = ids.validate(accession)
    except ids.InvalidAccession as error:
        raise ValidationFailed(message_of(error), [InputProblem(message_of(error), field="item")]) from error
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


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class Targets:
    to_user: User | None
    to_location: StorageLocation | None
    from_location: StorageLocation | None


def rule_problem(state: ItemState, request: EventRequest, targets: Targets, *,
                 partial: bool = False) -> Message | None:
    """Why ``request`` cannot be applied to an item in ``state`` (None when it can): the pure
    ``custody_rules.problem`` on the stored rows' values. ``partial``: the station checks a scan
    before the destination is chosen."""
    move = custody_rules.Move(
        request.action, to_user=_person(targets.to_user), to_location=_location(targets.to_location),
        from_location=_location(targets.from_location), to_party=request.to_party,
        seal_number=request.seal_number, reason=request.reason, corrects_event_id=request.corrects_event_id)
    return custody_rules.problem(state.standing, move, partial=partial)


def _resolve_targets(session: Session, request: EventRequest, row: int,
                     problems: list[InputProblem]) -> Targets:
    to_user = request.to_user
    if to_user is None and request.to_badge.strip():
        try:
            badge = ids.validate(request.to_badge)
            to_user = session.exec(select(User).where(User.badge == badge)).first()
            if to_user is None:
                problems.append(InputProblem(msg("no person has badge %(badge)s", badge=badge),
                                             field="to_badge", row=row))
        except ids.InvalidAccession as error:
            problems.append(InputProblem(msg("badge: %(problem)s", problem=message_of(error)), field="to_badge",
                                         row=row))
    if to_user is not None and not to_user.active:
        problems.append(InputProblem(msg("%(username)s is not an active user", username=to_user.username),
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
                    problems.append(InputProblem(msg("no storage location %(location)s", location=value),
                                                 field=name, row=row))
            except ids.InvalidAccession as error:
                problems.append(InputProblem(msg("location: %(problem)s", problem=message_of(error)), field=name,
                                             row=row))
        locations.append(location)
    return Targets(to_user, locations[0], locations[1])


# ---------------------------------------------------------------- writing


def _find_by_key(session: Session, key: str | None) -> CustodyEvent | None:
    if not key:
        return None
    return session.exec(select(CustodyEvent).where(CustodyEvent.event_key == key)).first()


def _build(session: Session, request: EventRequest, row: int, by: User, batch_ref: str,
           problems: list[InputProblem], conflicts: list[InputProblem]) -> CustodyEvent | None:
    if request.action not in CUSTODY_ACTIONS:
        problems.append(InputProblem(msg("unknown action %(action)s; one of %(actions)s", action=repr(request.action),
                                         actions=", ".join(CUSTODY_ACTIONS)), field="action", row=row))
        return None
    if request.method not in CAPTURE_METHODS:
        problems.append(InputProblem(msg("method must be one of %(methods)s", methods=", ".join(CAPTURE_METHODS)),
                                     field="method", row=row))
        return None
    try:
        item = get_item(session, request.item_accession)
    except DomainError as error:
        problems.append(InputProblem(error.message, field="item", row=row))
        return None
    targets = _resolve_targets(session, request, row, problems)
    state = state_of(session, item)
    if request.corrects_event_id is not None:
        corrected = session.get(CustodyEvent, request.corrects_event_id)
        if corrected is None or corrected.item_id != item.id:
            problems.append(InputProblem(msg("event %(event)s is not an event of %(accession)s",
                                             event=request.corrects_event_id, accession=item.accession),
                                         field="corrects_event_id", row=row))
            return None
    if (request.expected_previous_event_id is not None and state.last_event is not None
            and state.last_event.id != request.expected_previous_event_id):
        conflicts.append(InputProblem(
            msg("%(accession)s was moved by another station since it was scanned: it is now %(where)s",
                accession=item.accession, where=state.describe()),
            field="item", row=row))
        return None
    message = rule_problem(state, request, targets)
    if message:
        conflicts.append(InputProblem(message, field="item", row=row))
        return None
    last = state.last_event
    seal = request.seal_number.strip()
    if not seal and state.in_transit and last is not None:
        seal = last.seal_number  # receiving a shipment: the seal that was checked is the one it was sent under
    return CustodyEvent(
        event_key=request.event_key or None, item_id=item.id or 0,
        previous_event_id=last.id if last else None, action=request.action,
        from_user_id=last.to_user_id if last else None,
        from_location_id=last.to_location_id if last else None,
        to_user_id=(targets.to_user.id if targets.to_user else
                    by.id if request.action in ("receive", "return") and targets.to_location is None else None),
        to_location_id=targets.to_location.id if targets.to_location else None,
        to_party=request.to_party.strip(), reason=request.reason.strip(),
        seal_number=seal, seal_intact=request.seal_intact,
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
        msg("event key %(key)s was used already for event #%(event)s (%(earlier_action)s of %(earlier_item)s at "
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
                problems.append(InputProblem(msg("%(accession)s is twice in this batch (rows %(first)s and %(row)s)",
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
    from labtrack.services import samples

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


def add_first_event(*, session: Session, accession: str, by: User | str, to_user: User | None = None,
                    to_party: str = "", to_location: StorageLocation | None = None) -> CustodyEvent:
    """The ``register`` event of a new item, inside an open write (intake, sampling, demo data)."""
    item = session.exec(select(CustodyItem).where(CustodyItem.accession == accession)).one()
    recorder = by if isinstance(by, User) else to_user
    if recorder is None or recorder.id is None:
        raise ValidationFailed(msg("a first custody event needs the user who registers the item"))
    event = CustodyEvent(item_id=item.id or 0, action="register", to_user_id=to_user.id if to_user else None,
                         to_party=to_party, to_location_id=to_location.id if to_location else None,
                         recorded_by_id=recorder.id, method="system", reason="label attached")
    session.add(event)
    session.flush()
    return event


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


# ---------------------------------------------------------------- scanning station


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
    if action not in STATION_ACTIONS:
        return ScanAnswer(False, "error", msg("choose an action first (%(actions)s)",
                                              actions=", ".join(STATION_ACTIONS)), accession)
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
    targets = _resolve_targets(session, request, 1, problems)
    if problems:
        return ScanAnswer(False, "error", problems[0].message, accession)
    state = state_of(session, item)
    message = rule_problem(state, request, targets, partial=True)
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
