"""Staffing searches return the least number of servers meeting the target."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.theory import (
    erlang_a,
    min_servers_erlang_a,
    min_servers_for_mean_wait,
    min_servers_for_service_level,
    mmc_mean_wait,
    mmc_service_level,
)

targets = st.floats(0.05, 0.99)
loads = st.floats(0.05, 300.0)


def test_call_centre_worked_example() -> None:
    """Call Centre Helper's worked example (see test_erlang): 80/20 at 10 Erlangs needs 14."""
    assert min_servers_for_service_level(100 / 1800, 1 / 180, 20, 0.8) == 14


def test_large_centre_is_fast_and_near_square_root_rule() -> None:
    """10 000 Erlangs: the answer is a + O(√a) (Halfin–Whitt), found without a linear scan."""
    c = min_servers_for_service_level(10_000.0, 1.0, 0.05, 0.8)
    assert 10_000 < c < 10_000 + 3 * 100
    assert (
        mmc_service_level(10_000.0, 1.0, c, 0.05)
        >= 0.8
        > mmc_service_level(10_000.0, 1.0, c - 1, 0.05)
    )


@given(a=loads, t=st.floats(0.0, 2.0), target=targets)
def test_service_level_staffing_is_least(a: float, t: float, target: float) -> None:
    """c meets the target, c − 1 does not (or would be unstable)."""
    c = min_servers_for_service_level(a, 1.0, t, target)
    assert c > a
    assert mmc_service_level(a, 1.0, c, t) >= target
    assert c - 1 <= a or mmc_service_level(a, 1.0, c - 1, t) < target


@given(a=loads, max_wait=st.floats(0.001, 10.0))
def test_mean_wait_staffing_is_least(a: float, max_wait: float) -> None:
    """c keeps Wq within the bound, c − 1 does not (or would be unstable)."""
    c = min_servers_for_mean_wait(a, 1.0, max_wait)
    assert c > a
    assert mmc_mean_wait(a, 1.0, c) <= max_wait
    assert c - 1 <= a or mmc_mean_wait(a, 1.0, c - 1) > max_wait


@settings(deadline=None, max_examples=60)
@given(a=st.floats(0.05, 60.0), theta=st.floats(0.05, 5.0), t=st.floats(0.0, 2.0), target=targets)
def test_erlang_a_staffing_is_least(a: float, theta: float, t: float, target: float) -> None:
    """c answers the target fraction within t, c − 1 does not."""
    c = min_servers_erlang_a(a, 1.0, theta, t, target)
    assert erlang_a(a, 1.0, c, theta, t).service_level >= target
    assert c == 1 or erlang_a(a, 1.0, c - 1, theta, t).service_level < target


def test_erlang_a_may_staff_below_the_load() -> None:
    """Abandonment keeps an overloaded pool stable, so c <= λ/μ can meet a modest target."""
    assert min_servers_erlang_a(20.0, 1.0, 2.0, 1.0, 0.5) <= 20


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: min_servers_for_service_level(0, 1, 20, 0.8), "arrival rate lam must be"),
        (lambda: min_servers_for_service_level(1, -1, 20, 0.8), "service rate mu must be"),
        (lambda: min_servers_for_service_level(1, 1, 20, 1.0), "strictly between 0 and 1"),
        (lambda: min_servers_for_service_level(1, 1, 20, 0.0), "strictly between 0 and 1"),
        (lambda: min_servers_for_mean_wait(1, 1, 0), "max_wait must be"),
        (lambda: min_servers_erlang_a(1, 1, 0, 1, 0.8), "abandonment rate theta must be"),
        (lambda: min_servers_erlang_a(1, 1, 1, 1, 1.5), "strictly between 0 and 1"),
    ],
)
def test_impossible_inputs_raise(call, message: str) -> None:
    """Impossible targets and rates raise ValueError with the reason."""
    with pytest.raises(ValueError, match=message):
        call()
