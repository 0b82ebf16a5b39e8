"""Sample lifecycle as data plus guards (pure: no I/O).

collected → sealed → in_transit → received → prepared → extracted → quantified → amplified →
profiled; any working step may end in ``failed`` (with a reason) or ``consumed``. A failed sample
may be re-sampled: that creates a new sample of the same remains (see services), it is not a
transition of the failed one. Every other transition is refused with the list of allowed ones.
"""

from __future__ import annotations

from collections.abc import Mapping

from labtrack.core.messages import Message, msg, term, terms

SAMPLE_STATES: tuple[str, ...] = (
    "collected",
    "sealed",
    "in_transit",
    "received",
    "prepared",
    "extracted",
    "quantified",
    "amplified",
    "profiled",
    "failed",
    "consumed",
)

_MAIN_PATH = SAMPLE_STATES[:9]
_TERMINAL = frozenset({"failed", "consumed"})

TRANSITIONS: Mapping[str, frozenset[str]] = {
    **{
        state: frozenset({_MAIN_PATH[i + 1], "failed", "consumed"})
        for i, state in enumerate(_MAIN_PATH[:-1])
    },
    # a profiled sample may still be used up (e.g. re-typing consumed the extract)
    "profiled": frozenset({"consumed"}),
    "failed": frozenset(),
    "consumed": frozenset(),
}

STATES_NEEDING_REASON = frozenset({"failed"})


class TransitionRefused(ValueError):
    """A transition outside the lifecycle graph, or one whose guard failed."""

    def __init__(self, current: str, target: str, message: Message) -> None:
        super().__init__(message)
        self.current = current
        self.target = target
        self.allowed = sorted(TRANSITIONS.get(current, frozenset()))


def allowed_transitions(current: str) -> list[str]:
    """States a sample in ``current`` may move to, in lifecycle order."""
    allowed = TRANSITIONS.get(current, frozenset())
    return [state for state in SAMPLE_STATES if state in allowed]


def guard_transition(current: str, target: str, *, reason: str | None = None) -> None:
    """Refuse a transition outside the graph; ``failed`` needs a reason.

    >>> guard_transition("received", "prepared")
    >>> guard_transition("collected", "profiled")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    labtrack.core.lifecycle.TransitionRefused: cannot go from 'collected' to 'profiled'; allowed: sealed, ...
    """
    if current not in TRANSITIONS:
        raise TransitionRefused(current, target, msg("unknown sample state %(state)s", state=repr(current)))
    if target not in SAMPLE_STATES:
        raise TransitionRefused(current, target, msg("unknown sample state %(state)s", state=repr(target)))
    if target not in TRANSITIONS[current]:
        allowed = allowed_transitions(current)
        if not allowed:
            raise TransitionRefused(current, target, msg(
                "cannot go from %(current)s to %(target)s; allowed: none (final state)",
                current=term(current), target=term(target)))
        raise TransitionRefused(current, target, msg(
            "cannot go from %(current)s to %(target)s; allowed: %(allowed)s",
            current=term(current), target=term(target), allowed=terms(allowed)))
    if target in STATES_NEEDING_REASON and not (reason and reason.strip()):
        raise TransitionRefused(current, target, msg("moving a sample to %(target)s needs a reason",
                                                     target=term(target)))


def guard_resample(current: str) -> None:
    """Only a failed sample may be re-sampled (a new sample of the same remains)."""
    if current != "failed":
        raise TransitionRefused(current, "resample", msg(
            "only a failed sample can be re-sampled (this one is %(state)s)", state=term(current)))


def is_terminal(state: str) -> bool:
    return state in _TERMINAL


#: Custody actions that also move a sample along its lifecycle, when it stands in the state named:
#: a sealed sample sent out is in transit; a sample in transit that is received is received.
CUSTODY_MOVES: Mapping[tuple[str, str], str] = {
    ("ship", "sealed"): "in_transit",
    ("receive", "in_transit"): "received",
}


def state_after_custody(action: str, current: str) -> str | None:
    """The lifecycle state a custody ``action`` moves a sample in ``current`` to (None: no change).

    >>> state_after_custody("ship", "sealed"), state_after_custody("receive", "in_transit")
    ('in_transit', 'received')
    >>> state_after_custody("ship", "extracted") is None  # an extract sent out keeps its state
    True
    """
    return CUSTODY_MOVES.get((action, current))
