"""Custody rules on plain values: every rule of ``labtrack.core.custody_rules`` without a database."""

from __future__ import annotations

import doctest
from datetime import datetime

import pytest

from labtrack.core import custody_rules
from labtrack.core.custody_rules import Location, Move, Person, Standing, problem

ACC = "QTF-00042-IQ"
FREEZER = Location(1, "LOC-F01-S01-B01-XX", "freezer 1")
SHELF = Location(2, "LOC-F02-S01-B01-XX", "shelf 2")
LINA = Person(3, "Lina Haddad")
OMAR = Person(4, "Omar Saleh")


def standing(action: str | None, **more: object) -> Standing:
    return Standing(ACC, last_action=action, last_event_id=None if action is None else 10, **more)  # type: ignore[arg-type]


def test_doctests() -> None:
    assert doctest.testmod(custody_rules).failed == 0


def test_describe_says_where_the_item_is() -> None:
    assert standing(None).describe() == "not registered"
    assert standing("ship", to_party="ICMP", seal_number="S-9").describe() == "in transit to ICMP under seal S-9"
    assert standing("ship").describe().startswith("in transit to an outside party")
    assert standing("release", to_party="the family").describe() == "released to the family"
    assert standing("store", location=FREEZER).describe() == f"at {FREEZER.accession} (freezer 1)"
    assert standing("handover", holder=LINA).describe() == "with Lina Haddad"
    assert standing("store", location=FREEZER, holder=LINA).describe() == (
        f"at {FREEZER.accession} (freezer 1), with Lina Haddad")
    assert standing("register", to_party="site team").describe() == "with site team"
    assert standing("register").describe() == "place unknown"


def test_an_item_is_registered_once_and_first() -> None:
    assert problem(standing(None), Move("register")) is None
    assert problem(standing("store", location=FREEZER), Move("register")) == (
        f"{ACC} is registered already (first event 10)")
    assert "must be registered" in (problem(standing(None), Move("store", to_location=FREEZER)) or "")


def test_released_is_final() -> None:
    released = standing("release", to_party="the family", last_at=datetime(2026, 3, 1, 9, 30))
    for action in ("receive", "store", "handover", "ship", "return", "correction"):
        assert problem(released, Move(action)) == (
            f"{ACC} was released to the family on 2026-03-01; no further custody events")


def test_the_station_must_find_the_item_where_it_says() -> None:
    at_freezer = standing("store", location=FREEZER)
    assert problem(at_freezer, Move("handover", to_user=LINA, from_location=FREEZER)) is None
    refused = problem(at_freezer, Move("handover", to_user=LINA, from_location=SHELF))
    assert refused == f"{ACC} is not at {SHELF.accession}: it is at {FREEZER.accession} (freezer 1)"
    assert "is not at" in (problem(standing("handover", holder=LINA), Move("store", to_location=SHELF,
                                                                           from_location=FREEZER)) or "")


def test_receive_only_what_comes_in() -> None:
    assert problem(standing("ship", to_party="ICMP", seal_number="S1"), Move("receive")) is None
    assert problem(standing("register"), Move("receive")) is None
    assert problem(standing("handover", holder=LINA), Move("receive")) is None  # from a colleague at the bench
    assert problem(standing("receive", holder=LINA), Move("receive")) is None
    refused = problem(standing("store", location=FREEZER), Move("receive"))
    assert refused is not None and "already in the lab" in refused
    assert "already in the lab" in (problem(standing("return", holder=LINA, location=FREEZER), Move("receive")) or "")


def test_in_transit_blocks_everything_but_receive_and_return() -> None:
    shipped = standing("ship", to_party="ICMP", seal_number="S1")
    for action, extra in (("store", {"to_location": FREEZER}), ("handover", {"to_user": LINA}),
                          ("ship", {"to_party": "X", "seal_number": "S2"})):
        assert problem(shipped, Move(action, **extra)) == (  # type: ignore[arg-type]
            f"{ACC} is in transit to ICMP under seal S1: receive it before any other action")
    assert problem(shipped, Move("return")) is None


def test_return_only_what_went_out() -> None:
    assert problem(standing("handover", holder=LINA), Move("return")) is None
    refused = problem(standing("store", location=FREEZER), Move("return"))
    assert refused is not None and "only a shipped or handed-over item can be returned" in refused


def test_store_not_inside_itself_nor_where_it_is() -> None:
    box = Standing(FREEZER.accession, last_action="store", location=SHELF)
    assert problem(box, Move("store", to_location=FREEZER)) == f"{FREEZER.accession} cannot be stored inside itself"
    assert problem(standing("store", location=FREEZER), Move("store", to_location=FREEZER)) == (
        f"{ACC} is already at {FREEZER.accession}")
    assert problem(standing("store", location=FREEZER), Move("store", to_location=SHELF)) is None


def test_no_handover_to_the_holder() -> None:
    with_lina = standing("handover", holder=LINA)
    assert problem(with_lina, Move("handover", to_user=LINA)) == f"{ACC} is already with Lina Haddad"
    assert problem(with_lina, Move("handover", to_user=OMAR)) is None
    # stored and signed out to Lina at the same time: handing it to her is a real step
    assert problem(standing("store", location=FREEZER, holder=LINA), Move("handover", to_user=LINA)) is None


@pytest.mark.parametrize(("move", "message"), [
    (Move("store"), "moving to storage needs a destination location (scan or choose it)"),
    (Move("handover"), "a hand-over needs the person who takes the item (scan their badge)"),
    (Move("ship", to_party="ICMP"), "sending out needs the seal number"),
    (Move("ship", seal_number="S1"), "sending out needs the receiving party"),
    (Move("release"), "release needs the receiving party"),
    (Move("correction", reason="wrong shelf"), "a correction must name the event it corrects"),
    (Move("correction", corrects_event_id=4, reason="  "), "a correction needs a reason"),
])
def test_what_each_action_needs(move: Move, message: str) -> None:
    at_freezer = standing("store", location=FREEZER)
    assert problem(at_freezer, move) == message
    assert problem(at_freezer, move, partial=True) is None  # the station checks before choosing


def test_complete_moves_pass() -> None:
    at_freezer = standing("store", location=FREEZER)
    assert problem(at_freezer, Move("ship", to_party="ICMP", seal_number="S1")) is None
    assert problem(at_freezer, Move("release", to_party="the family")) is None
    assert problem(at_freezer, Move("correction", corrects_event_id=4, reason="wrong shelf")) is None


def test_the_seal_checked_on_arrival_is_the_one_it_travelled_under() -> None:
    shipped = standing("ship", to_party="ICMP", seal_number="S-1")
    assert custody_rules.seal_recorded(shipped, Move("receive")) == "S-1"
    assert custody_rules.seal_recorded(shipped, Move("receive", seal_number=" S-2 ")) == "S-2"
    assert custody_rules.seal_recorded(standing("store", location=FREEZER, seal_number="S-1"), Move("handover")) == ""
    assert custody_rules.seal_recorded(standing("store", location=FREEZER), Move("ship", seal_number="S-3")) == "S-3"


def test_what_is_received_or_returned_to_nobody_goes_to_the_recorder() -> None:
    assert custody_rules.recorder_takes_it(Move("receive"))
    assert custody_rules.recorder_takes_it(Move("return"))
    assert not custody_rules.recorder_takes_it(Move("receive", to_user=LINA))
    assert not custody_rules.recorder_takes_it(Move("return", to_location=FREEZER))
    for action in ("store", "handover", "ship", "release", "correction", "register"):
        assert not custody_rules.recorder_takes_it(Move(action))
