"""Deadlines in working time everywhere (sim/model/deadline.py, sim/model/supervision.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config import load_scenario
from sim.model.clock import holidays_of
from sim.model.deadline import DeadlinePolicy
from sim.runner import simulate
from tests.conftest import SCENARIOS
from tests.model.conftest import small_scenario

RULES = load_scenario(SCENARIOS / "district-jiangsu.toml")


@settings(max_examples=200, deadline=None)
@given(t=st.floats(0, 24 * 400), hours=st.floats(0.1, 120), urban=st.booleans(),
       urgency=st.sampled_from(["routine", "urgent"]),
       yellow=st.floats(0, 1), more=st.floats(0, 2))
def test_cards_come_at_the_same_working_time_after_the_miss(t, hours, urban, urgency, yellow,
                                                            more) -> None:
    """The same working-hours deadline gets its yellow and red cards at the same working-time
    offsets after it, whenever it was set (holidays and weekends in between or not)."""
    rules = RULES.rules.model_copy(update={"deadlines": RULES.rules.deadlines.model_copy(
        update={"supervision": RULES.rules.deadlines.supervision.model_copy(
            update={"yellow_after": yellow, "red_after": yellow + more})})})
    policy = DeadlinePolicy(rules, holidays_of(RULES.holidays))
    clock = policy.clock(urban, urgency)
    due = clock.add(t, hours)
    (_, y), (_, r) = policy.levels(t, due, clock)
    allowed = clock.worked(due) - clock.worked(t)
    assert allowed == pytest.approx(hours, abs=1e-6)
    assert clock.worked(y) - clock.worked(due) == pytest.approx(yellow * hours, abs=1e-6)
    assert clock.worked(r) - clock.worked(due) == pytest.approx((yellow + more) * hours,
                                                                abs=1e-6)
    assert due <= y <= r


STARVED = ("staffing.departments.township=0.3", "staffing.departments.county=0.3",
           "staffing.departments.overrides={}")


@pytest.fixture(scope="module")
def starved() -> object:
    return simulate(small_scenario("liaocheng", *STARVED), days=14, seed=4, warmup=0)


def test_every_late_step_is_flagged_at_any_tier(starved) -> None:
    """Every step finished after its deadline, or undone at the end past it, is late; none
    on time is."""
    c, end = starved.record.cases, starved.record.horizon
    rep = np.isfinite(c.reported)
    for step, done, due in (("accept", c.accepted, c.accept_due),
                            ("dispatch", c.dispatch_done, c.dispatch_due),
                            ("verify", c.verified, c.verify_due)):
        late = getattr(c, f"late_{step}")
        assert (late[rep & (done > due)]).all(), step
        assert (late[rep & np.isnan(done) & (due < end)]).all(), step
        assert late.sum() > 0, step  # with teeth
    # handling: the handler's, and the grid worker's own (the case closed by the worker late)
    worker = rep & c.self_resolved
    assert c.late_handle[worker & (c.handled > c.handle_due)].all()
    assert (worker & c.late_handle).sum() > 0
    assert c.late_handle[rep & np.isnan(c.handled) & (c.handle_due < end)].all()
    # overdue handling is what the explanation and supervision follow (no case limit here)
    assert (c.overdue == c.late_handle).all()
    assert (c.supervision[c.overdue] >= 1).all() and (c.supervision[~c.overdue] == 0).all()


def test_open_cases_past_due_are_counted(starved) -> None:
    k = starved.kpis
    c, end = starved.record.cases, starved.record.horizon
    window = np.isfinite(c.reported) & (c.reported >= starved.record.window_start)
    undone_late = window & np.isnan(c.handled) & (c.handle_due < end)
    assert undone_late.sum() > 0
    # the handling rate judges them (late), and only steps not yet due (and not late at an
    # earlier handler) are left out
    assert k["on_time"]["handle"]["censored"] == int(
        (window & np.isnan(c.handled) & (c.handle_due >= end) & ~c.late_handle).sum())
    assert k["overdue"]["count"] == int(c.overdue[window].sum())


def test_a_case_limit_from_report_to_close_is_settled_where_the_rules_set_one() -> None:
    limit = "rules.deadlines.case_limit_hours={routine=16.0, urgent=8.0, emergency=24.0}"
    r = simulate(small_scenario("liaocheng", *STARVED, limit), days=10, seed=4, warmup=0)
    c, end = r.record.cases, r.record.horizon
    rep = np.isfinite(c.reported)
    assert np.isfinite(c.close_due[rep]).all()
    late = rep & ((c.closed > c.close_due) | (np.isnan(c.closed) & (c.close_due < end)))
    assert late.sum() > 0
    assert (c.late_close == late).all()
    assert c.overdue[late].all()  # a missed limit is overdue, explained under 002 第十九条
    taken_up = late & np.isfinite(c.accepted)
    assert np.isfinite(c.explained[taken_up]).all()
    none = simulate(small_scenario("liaocheng", *STARVED), days=3, seed=4, warmup=0)
    assert np.isnan(none.record.cases.close_due).all()
