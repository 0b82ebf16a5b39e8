"""The sample lifecycle state machine."""

from __future__ import annotations

import pytest

from labtrack.core import lifecycle


def test_main_path_is_allowed_step_by_step() -> None:
    path = ["collected", "sealed", "in_transit", "received", "prepared", "extracted",
            "quantified", "amplified", "profiled"]
    for current, target in zip(path, path[1:], strict=False):
        lifecycle.guard_transition(current, target)


def test_skipping_a_step_is_refused_and_lists_allowed() -> None:
    with pytest.raises(lifecycle.TransitionRefused) as info:
        lifecycle.guard_transition("received", "extracted")
    assert info.value.allowed == ["consumed", "failed", "prepared"]
    assert "allowed: prepared, failed, consumed" in str(info.value)


def test_failed_needs_a_reason_and_is_final() -> None:
    with pytest.raises(lifecycle.TransitionRefused, match="needs a reason"):
        lifecycle.guard_transition("extracted", "failed")
    lifecycle.guard_transition("extracted", "failed", reason="no DNA")
    with pytest.raises(lifecycle.TransitionRefused, match="none"):
        lifecycle.guard_transition("failed", "extracted")


def test_only_failed_samples_can_be_resampled() -> None:
    lifecycle.guard_resample("failed")
    with pytest.raises(lifecycle.TransitionRefused):
        lifecycle.guard_resample("profiled")


def test_unknown_states_are_refused() -> None:
    with pytest.raises(lifecycle.TransitionRefused, match="unknown"):
        lifecycle.guard_transition("lost", "received")
    with pytest.raises(lifecycle.TransitionRefused, match="unknown"):
        lifecycle.guard_transition("received", "teleported")


def test_custody_moves_stay_inside_the_lifecycle() -> None:
    import doctest

    assert doctest.testmod(lifecycle).failed == 0
    for (action, current), target in lifecycle.CUSTODY_MOVES.items():
        lifecycle.guard_transition(current, target)  # every move is an allowed transition
        assert action in ("ship", "receive")
    assert lifecycle.state_after_custody("store", "received") is None
    assert lifecycle.state_after_custody("receive", "sealed") is None  # no skipping "in transit"
