"""Custody rules on plain values (pure: no I/O): where an item stands, and whether an action may
be applied to it there.

``Standing`` is what an item's latest custody event says (the services build it from the stored
rows); ``Move`` is the action a station or a person asks for, with its destination resolved.
``problem(standing, move)`` answers with the reason the move is refused, or None;
``seal_recorded`` and ``recorder_takes_it`` say what an accepted move records.

>>> bench = Standing("QTF-00042-IQ", last_action="receive", last_event_id=7,
...                  holder=Person(3, "Lina Haddad"))
>>> bench.describe()
'with Lina Haddad'
>>> problem(bench, Move("ship", to_party="ICMP", seal_number="S-1")) is None
True
>>> problem(bench, Move("store"))
'moving to storage needs a destination location (scan or choose it)'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from labtrack.core.messages import Message, msg

#: Actions a scanning station offers (registration, correction and release happen elsewhere).
STATION_ACTIONS: tuple[str, ...] = ("receive", "store", "handover", "ship", "return")


@dataclass(frozen=True)
class Location:
    """A storage location: its row id, accession ID and name."""

    id: int
    accession: str
    name: str = ""


@dataclass(frozen=True)
class Person:
    """A person who can hold an item: their user id and full name."""

    id: int
    full_name: str


@dataclass(frozen=True)
class Standing:
    """Where an item stands, from its latest custody event (``last_action`` None: not registered).

    ``location`` and ``holder`` are the event's destination; ``to_party`` the outside party it
    went to; ``seal_number`` the seal it travels under; ``last_at`` when the event was recorded.
    """

    accession: str
    last_action: str | None = None
    last_event_id: int | None = None
    last_at: datetime | None = None
    to_party: str = ""
    seal_number: str = ""
    location: Location | None = None
    holder: Person | None = None

    @property
    def registered(self) -> bool:
        return self.last_action is not None

    @property
    def in_transit(self) -> bool:
        return self.last_action == "ship"

    @property
    def released(self) -> bool:
        return self.last_action == "release"

    def describe(self) -> Message:
        """Where the item is, in a few words (for pages, forms and refusals)."""
        if self.last_action is None:
            return msg("not registered")
        if self.last_action == "ship":
            if self.to_party:
                return msg("in transit to %(party)s under seal %(seal)s", party=self.to_party, seal=self.seal_number)
            return msg("in transit to an outside party under seal %(seal)s", seal=self.seal_number)
        if self.last_action == "release":
            return msg("released to %(party)s", party=self.to_party)
        location, holder = self.location, self.holder
        if location is not None and holder is not None:
            return msg("at %(location)s (%(name)s), with %(person)s", location=location.accession,
                       name=location.name, person=holder.full_name)
        if location is not None:
            return msg("at %(location)s (%(name)s)", location=location.accession, name=location.name)
        if holder is not None:
            return msg("with %(person)s", person=holder.full_name)
        if self.to_party:
            return msg("with %(person)s", person=self.to_party)
        return msg("place unknown")


@dataclass(frozen=True)
class Move:
    """A custody action asked for, its destination resolved (``to_user``, ``to_location``) and,
    when the station says where the item is, ``from_location``."""

    action: str
    to_user: Person | None = None
    to_location: Location | None = None
    from_location: Location | None = None
    to_party: str = ""
    seal_number: str = ""
    reason: str = ""
    corrects_event_id: int | None = None


def problem(standing: Standing, move: Move, *, partial: bool = False) -> Message | None:
    """Why ``move`` cannot be applied to an item that stands as ``standing`` (None when it can).

    Rules: an item is registered once, and nothing else happens before; a released item takes
    no further event; the station's ``from_location`` must be where the item is; only an item in
    transit (or just registered, or handed to someone at the bench) is received; an item in
    transit must be received (or returned) before anything else; only a shipped or handed-over
    item is returned; an item is not stored inside itself or where it already is, nor handed to
    the person who holds it. ``partial``: the station checks a scan before the destination is
    chosen, so the checks that need the destination are skipped.
    """
    acc, action = standing.accession, move.action
    if action == "register":
        if not standing.registered:
            return None
        return msg("%(accession)s is registered already (first event %(event)s)", accession=acc,
                   event=standing.last_event_id)
    if not standing.registered:
        return msg("%(accession)s has no custody record yet: it must be registered (labelled) first", accession=acc)
    if standing.released:
        if standing.last_at is None:
            return msg("%(accession)s was released to %(party)s; no further custody events",
                       accession=acc, party=standing.to_party)
        return msg("%(accession)s was released to %(party)s on %(day)s; no further custody events",
                   accession=acc, party=standing.to_party, day=standing.last_at.strftime("%Y-%m-%d"))
    if move.from_location is not None and (
            standing.location is None or standing.location.id != move.from_location.id):
        return msg("%(accession)s is not at %(location)s: it is %(where)s", accession=acc,
                   location=move.from_location.accession, where=standing.describe())
    if action == "correction":
        return None if partial else destination_problem(move)
    return _place_problem(standing, move) or (None if partial else destination_problem(move))


def _place_problem(standing: Standing, move: Move) -> Message | None:
    acc, action, holder = standing.accession, move.action, standing.holder
    if action == "receive" and not (standing.in_transit or standing.last_action == "register"):
        if holder is not None and standing.location is None and standing.last_action in ("handover", "receive"):
            return None  # received at the bench from a colleague
        return msg("%(accession)s is already in the lab (%(where)s); use move or hand-over instead",
                   accession=acc, where=standing.describe())
    if standing.in_transit and action not in ("receive", "return"):
        return msg("%(accession)s is %(where)s: receive it before any other action", accession=acc,
                   where=standing.describe())
    if action == "return" and not (standing.in_transit or (holder and standing.location is None)):
        return msg("%(accession)s is %(where)s: only a shipped or handed-over item can be returned",
                   accession=acc, where=standing.describe())
    if action == "store" and move.to_location is not None:
        if move.to_location.accession == acc:
            return msg("%(accession)s cannot be stored inside itself", accession=acc)
        if standing.location is not None and standing.location.id == move.to_location.id:
            return msg("%(accession)s is already at %(location)s", accession=acc, location=move.to_location.accession)
    if (action == "handover" and move.to_user is not None and holder is not None
            and holder.id == move.to_user.id and standing.location is None):
        return msg("%(accession)s is already with %(person)s", accession=acc, person=move.to_user.full_name)
    return None


def destination_problem(move: Move) -> Message | None:
    """What the action still needs: a storage place, the person who takes it, a seal, a party,
    or (a correction) the event it corrects and a reason."""
    action = move.action
    if action == "store" and move.to_location is None:
        return msg("moving to storage needs a destination location (scan or choose it)")
    if action == "handover" and move.to_user is None:
        return msg("a hand-over needs the person who takes the item (scan their badge)")
    if action == "ship" and not move.seal_number.strip():
        return msg("sending out needs the seal number")
    if action == "ship" and not move.to_party.strip():
        return msg("sending out needs the receiving party")
    if action == "release" and not move.to_party.strip():
        return msg("release needs the receiving party")
    if action == "correction":
        if move.corrects_event_id is None:
            return msg("a correction must name the event it corrects")
        if not move.reason.strip():
            return msg("a correction needs a reason")
    return None


def seal_recorded(standing: Standing, move: Move) -> str:
    """The seal number the new event records: the one given or, when an item in transit arrives
    with none given, the seal it was sent under (the one that was checked on arrival).

    >>> shipped = Standing("QTF-00042-IQ", last_action="ship", to_party="ICMP", seal_number="S-1")
    >>> seal_recorded(shipped, Move("receive"))
    'S-1'
    """
    return move.seal_number.strip() or (standing.seal_number if standing.in_transit else "")


def recorder_takes_it(move: Move) -> bool:
    """Whether the person who records ``move`` becomes the item's holder: an item received or
    returned with no person and no storage location named comes into the recorder's hands."""
    return move.action in ("receive", "return") and move.to_user is None and move.to_location is None


#: Reasons the system writes on custody events: stored as their English text (the events are
#: append-only), said in the reader's language wherever an event is shown (``said_reason``).
LABEL_ATTACHED = msg("label attached")
RETURNED_TO_FAMILY = msg("return of identified remains to the family")
_SYSTEM_REASONS: dict[str, Message] = {str(reason): reason for reason in (LABEL_ATTACHED, RETURNED_TO_FAMILY)}


def said_reason(reason: str) -> str:
    """An event's reason as shown: the system's own reasons as messages, people's words as written."""
    return _SYSTEM_REASONS.get(reason, reason)
