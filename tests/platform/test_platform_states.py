"""The pure state machine: table sanity and property tests over arbitrary operation sequences."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtest.platform.states import (
    IN_HAND,
    TRANSITIONS,
    HolderChange,
    IllegalTransition,
    Role,
    State,
    allowed_ops,
    reachable_states,
    transition,
)

OPS = sorted(TRANSITIONS)


def test_every_state_is_reachable_and_can_reach_closed() -> None:
    assert reachable_states() == set(State)
    for start in State:
        seen, frontier = {start}, [start]
        while frontier:
            s = frontier.pop()
            for op in allowed_ops(s):
                nxt = TRANSITIONS[op].target_from(s)
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        assert State.CLOSED in seen, f"{start} cannot reach closed"


def test_closed_is_terminal_and_reported_only_accepts() -> None:
    assert allowed_ops(State.CLOSED) == []
    assert allowed_ops(State.REPORTED) == ["accept", "supervise"]


def test_residents_may_do_nothing_but_report() -> None:
    assert all(Role.RESIDENT not in t.roles for t in TRANSITIONS.values())


def test_only_assignments_move_the_case_to_another_unit_except_return() -> None:
    for t in TRANSITIONS.values():
        moves = t.holder is not HolderChange.SAME
        assert moves == (t.assigns or t.holder is HolderChange.SENDER), t.op


def test_illegal_transition_names_state_and_op() -> None:
    with pytest.raises(IllegalTransition) as info:
        transition(State.CLOSED, "handle")
    assert info.value.state is State.CLOSED and info.value.op == "handle"
    assert "closed" in str(info.value) and "handle" in str(info.value)
    with pytest.raises(IllegalTransition):
        transition(State.ACCEPTED, "no-such-op")


@settings(database=None)  # no example database in the source tree
@given(st.lists(st.sampled_from(OPS), max_size=60))
def test_any_sequence_stays_within_the_table(ops: list[str]) -> None:
    """Applying arbitrary operations, skipping the illegal ones, never leaves the known states,
    never changes a closed case, and every applied step is one the table allows."""
    state = State.REPORTED
    for op in ops:
        legal = op in allowed_ops(state)
        try:
            t = transition(state, op)
        except IllegalTransition:
            assert not legal
            continue
        assert legal and state is not State.CLOSED
        nxt = t.target_from(state)
        assert nxt in State
        if t.target is None:
            assert nxt is state
        if op in {"dispatch", "escalate", "assign", "handle", "handle_on_spot"}:
            assert state in IN_HAND
        state = nxt
