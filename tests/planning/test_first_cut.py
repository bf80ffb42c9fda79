"""The Erlang C first cut against the textbook M/M/c formulas (factorial form)."""

from __future__ import annotations

import math

import pytest

from sim.config import load_scenario
from sim.planning.size import (
    CentreLadder,
    GridLadder,
    UnitLoad,
    allowed_hours,
    erlang_measures,
    first_cut,
    parse_target,
)
from tests.planning.conftest import DISTRICT


def textbook_c(c: int, a: float) -> float:
    """Erlang C, P(wait), in the factorial form of Gross et al. §2.3."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def load(lam: float, service: float, unit: int = 0, tier: str = "county") -> UnitLoad:
    """A queue with ``lam`` jobs per open hour of ``service`` hours each."""
    open_hours = 200.0
    return UnitLoad(tier, unit, open_hours, 0.25, lam * open_hours, lam * open_hours * service)


@pytest.fixture(scope="module")
def county() -> CentreLadder:
    return CentreLadder(load_scenario(DISTRICT), "county")


def _no_world():  # centre ladders never need the world
    raise AssertionError("not needed")


@pytest.mark.parametrize(("lam", "service", "c", "t"), [
    (2.0, 1.0, 3, 0.5),     # a = 2 on 3 servers: C = 4/9
    (10.0, 0.5, 7, 0.25),   # a = 5 on 7
    (30.0, 1 / 6, 6, 0.1),  # a = 5 on 6, short jobs
    (0.5, 2.0, 2, 1.0),     # a = 1 on 2
])
def test_one_queue_is_textbook(county: CentreLadder, lam: float, service: float, c: int,
                               t: float) -> None:
    (q,) = county.queues(c, [load(lam, service)], _no_world)
    # the allowed time covers the job's own service, so the wait allowed is t
    m = erlang_measures([q], allowed=t + service, clock_hours=False)
    a, mu = lam * service, 1 / service
    big_c = textbook_c(c, a)
    assert m.p_wait == pytest.approx(big_c, rel=1e-9)
    assert m.mean_wait == pytest.approx(big_c / (c * mu - lam), rel=1e-9)
    assert m.service_level == pytest.approx(1 - big_c * math.exp(-(c * mu - lam) * t), rel=1e-9)


def test_known_value_four_ninths(county: CentreLadder) -> None:
    (q,) = county.queues(3, [load(2.0, 1.0)], _no_world)
    assert erlang_measures([q], 1.0, False).p_wait == pytest.approx(4 / 9)


def test_queues_are_averaged_over_jobs(county: CentreLadder) -> None:
    loads = [load(2.0, 1.0, 0), load(6.0, 0.5, 1)]
    queues = county.queues(4, loads, _no_world)
    m = erlang_measures(queues, 1.0, False)
    each = [erlang_measures([q], 1.0, False).service_level for q in queues]
    assert m.service_level == pytest.approx((2 * each[0] + 6 * each[1]) / 8)


def test_unstable_queue_serves_nobody_in_time(county: CentreLadder) -> None:
    (q,) = county.queues(2, [load(3.0, 1.0)], _no_world)
    m = erlang_measures([q], 1.0, False)
    assert (m.service_level, m.p_wait, m.mean_wait) == (0.0, 1.0, math.inf)


def test_first_cut_is_the_least_level_by_the_textbook(county: CentreLadder) -> None:
    target = parse_target("on_time.accept=0.9")
    allowed = allowed_hours(target, county.base)
    lam, service = 12.0, 0.75
    fc = first_cut(county, [load(lam, service)], target, lambda *_: _no_world())

    def textbook_sl(c: int) -> float:
        if lam * service >= c:
            return 0.0
        return 1 - textbook_c(c, lam * service) * math.exp(-(c / service - lam)
                                                           * (allowed - service))

    least = next(c for c in range(1, 100) if textbook_sl(c) >= 0.9)
    assert fc.level == least and fc.reachable
    assert textbook_sl(least - 1) < 0.9 <= fc.erlang.service_level


def test_grid_workers_lose_routine_time_to_cases() -> None:
    ladder = GridLadder(load_scenario(DISTRICT))
    # 40 % of the open hours go to patrols and visits: cases see 60 % of a server
    u = UnitLoad("grid", 0, 100.0, 0.3, 50.0, 25.0, routine_hours=40.0)
    (q,) = ladder.queues(ladder.current(), [u], _no_world)
    assert (q.servers, q.lam) == (1, 0.5)
    assert q.mu == pytest.approx(0.6 / 0.5)
