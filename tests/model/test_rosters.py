"""On-duty rosters, working-time overhead and staff counts (sim/model/resource.py,
sim/model/worker.py, sim/metrics/kpis.py)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.arrivals.poisson import URGENCIES
from sim.model.clock import ALWAYS
from sim.model.resource import Roster
from sim.model.worker import overhead_share
from sim.runner import simulate
from tests.model.conftest import small_scenario

# emergencies go straight to the township centre under Jiangsu's rules (000 第三十条)
NO_DUTY = "staffing.duty={}"


@pytest.fixture(scope="module")
def duty_runs() -> dict[str, object]:
    return {name: simulate(small_scenario("jiangsu", *sets), days=28, seed=8)
            for name, sets in (("duty", ()), ("none", (NO_DUTY,)))}


def _emergency_waits(r) -> np.ndarray:
    c, a = r.record.cases, r.record.arrivals
    rows = np.flatnonzero(np.isfinite(c.accepted) & (a.urgency == URGENCIES.index("emergency")))
    return c.accepted[rows] - c.reported[rows]


def test_an_on_duty_roster_takes_emergencies_out_of_hours(duty_runs) -> None:
    with_duty, without = _emergency_waits(duty_runs["duty"]), _emergency_waits(duty_runs["none"])
    assert with_duty.size == without.size > 10  # the same emergencies (common numbers)
    assert with_duty.mean() < without.mean() / 3
    e = duty_runs["none"].kpis["emergencies"]
    assert e["waited_for_shift"] > 0 and "township" in e["without_duty"]
    assert duty_runs["duty"].kpis["emergencies"]["waited_for_shift"] == 0
    # the duty officer's own busy share is reported apart from office hours
    util = duty_runs["duty"].kpis["utilisation"]["centre.township"]
    assert 0 < util["on_duty"] < 1 and "on_duty" not in duty_runs["none"].kpis["utilisation"][
        "centre.township"]


def test_routine_work_waits_for_office_hours_even_with_an_officer_on_duty(duty_runs) -> None:
    r = duty_runs["duty"]
    c, a = r.record.cases, r.record.arrivals
    routine = np.flatnonzero(np.isfinite(c.dispatch_done) & ~c.reached_worker
                             & (a.urgency == URGENCIES.index("routine")))
    assert routine.size > 10
    start = c.dispatch_done[routine]  # the township's routing ends within office hours
    hour = start % 24
    assert ((hour > 8.5) & (hour <= 17.5 + 1e-9)).all()


def test_admin_and_training_are_a_fixed_share_not_stretched_jobs() -> None:
    s = small_scenario("qingdao")
    r = simulate(s, days=14, seed=2)
    share = overhead_share(s, "full_time")
    util = r.kpis["utilisation"]["full_time"]
    assert util["admin"] == pytest.approx(s.staffing.admin_share)
    assert util["admin"] + util["training"] == pytest.approx(share)
    jobs = sum(v for k, v in util.items() if k not in ("admin", "training", "total"))
    assert util["total"] == pytest.approx(jobs + share)
    # the job shares are the work the pools logged over their full shifts, and fit in the
    # time the shifts leave for jobs
    pools = [p for p in r.record.pools if p.kind == "full_time"]
    work, avail = sum(sum(p.work.values()) for p in pools), sum(p.available for p in pools)
    assert jobs == pytest.approx(work / avail)
    assert work <= avail * (1 - share) + 1e-6


def test_a_roster_without_staff_is_refused_and_a_unit_without_staff_is_passed_over() -> None:
    with pytest.raises(ValueError, match="at least one server"):
        Roster(0, ALWAYS)
    r = simulate(small_scenario("jiangsu", "staffing.departments.township=0"), days=10, seed=1)
    handlers = set(r.record.cases.handler)
    assert not any(h.startswith("dept:") and h.endswith("@township") for h in handlers)
    assert "township" in handlers  # what a township department would take, its centre does
