"""Arrivals per location and per day: common random numbers across rule sets, staffings and run
lengths, and the rates, profile, surges and discovery law they must keep."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.config import Scenario, load_scenario
from sim.model import Model
from sim.model.arrivals import Arrivals, Draws, Locations, draw_arrivals, locate
from sim.model.arrivals.draws import CaseDraws
from sim.model.arrivals.profile import weekly_intensity
from sim.model.case import TIMES
from sim.runner import simulate
from sim.world import generate_world
from sim.world.codes import KIND_EXCLUSIVE
from tests.conftest import SCENARIOS
from tests.model.conftest import small_scenario

ALPHA = 1e-3  # seeded, so deterministic; a real error in a law fails by many orders


def _model(s: Scenario, days: float, seed: int = 7) -> Model:
    return Model(s, generate_world(s), days, seed)


def _keys(a: Arrivals) -> dict[tuple[int, float, int], int]:
    """Each problem's row by (location, time, type)."""
    return {k: i for i, k in enumerate(zip(a.location.tolist(), a.t.tolist(), a.type.tolist(),
                                           strict=True))}


def _same_rows(a: Arrivals | Draws, b: Arrivals | Draws, rows_a: np.ndarray,
               rows_b: np.ndarray, skip: tuple[str, ...] = ()) -> None:
    for f in fields(a):
        if f.name not in skip:
            assert np.array_equal(getattr(a, f.name)[rows_a], getattr(b, f.name)[rows_b]), f.name


@pytest.mark.parametrize("make", [
    lambda r: small_scenario(r),
    lambda r: load_scenario(SCENARIOS / "district-jiangsu.toml", parts={"rules": r}),
], ids=["small", "district"])
def test_rule_sets_share_their_problems(make) -> None:
    a, b = _model(make("jiangsu"), 7), _model(make("qingdao"), 7)
    assert not np.array_equal(a.world.hh_grid, b.world.hh_grid)  # the grids do differ
    ka, kb = _keys(a.arrivals), _keys(b.arrivals)
    shared = ka.keys() & kb.keys()
    assert len(shared) >= 0.95 * max(len(ka), len(kb))
    rows_a = np.array([ka[k] for k in shared])
    rows_b = np.array([kb[k] for k in shared])
    # a shared problem is the same problem: household, urgency, … and every per-case number
    _same_rows(a.arrivals, b.arrivals, rows_a, rows_b, skip=("grid",))
    _same_rows(a.draw, b.draw, rows_a, rows_b)
    # and sits in the grid of its location under each rule set
    for m, rows in ((a, rows_a), (b, rows_b)):
        hh = m.arrivals.household[rows]
        assert np.array_equal(m.arrivals.grid[rows][hh >= 0], m.world.hh_grid[hh[hh >= 0]])


def test_staffings_share_their_problems() -> None:
    a = _model(small_scenario(), 7)
    b = _model(small_scenario("jiangsu", "staffing.grid_workers.part_time_per_rural_grid=3"), 7)
    every = np.arange(len(a.arrivals))
    assert len(a.arrivals) == len(b.arrivals)
    _same_rows(a.arrivals, b.arrivals, every, every)
    _same_rows(a.draw, b.draw, every, every)


def test_a_shorter_run_is_the_first_days_of_a_longer_one() -> None:
    s = small_scenario()
    short, long_ = _model(s, 7), _model(s, 14)
    n = len(short.arrivals)
    assert 0 < n < len(long_.arrivals) and long_.arrivals.t[n] >= 7 * 24 > short.arrivals.t[-1]
    _same_rows(short.arrivals, long_.arrivals, np.arange(n), np.arange(n))
    _same_rows(short.draw, long_.draw, np.arange(n), np.arange(n))
    assert np.array_equal(short.visits.due, long_.visits.due[:, :7])
    # the model is causal: what closed within 7 days closed the same way in 14
    a, b = simulate(s, days=7, seed=7).record.cases, simulate(s, days=14, seed=7).record.cases
    closed = np.flatnonzero(np.isfinite(a.closed))
    assert closed.size > 100
    for name in TIMES:
        assert np.array_equal(getattr(a, name)[closed], getattr(b, name)[closed],
                              equal_nan=True), name
    assert [a.path[i] for i in closed] == [b.path[i] for i in closed]


@settings(max_examples=200, deadline=None)
@given(weights=st.lists(st.sampled_from([0.0, 1e-3, 1.0, 1.0, 1.0, 150.0, 1e6]), min_size=1,
                        max_size=300).filter(any),
       u=st.lists(st.floats(0.0, 1.0, exclude_max=True), min_size=1, max_size=50))
def test_picking_a_location_is_a_search_of_the_running_weights(weights, u) -> None:
    cumulative = np.cumsum(weights)
    n = cumulative.shape[0]
    places = Locations(0, cumulative, np.zeros(n, np.int32), np.zeros(n, np.int32), np.array([]))
    # every location's end, just below it, and uniform points
    x = np.r_[np.array(u) * places.total, cumulative, np.nextafter(cumulative, 0)]
    x = x[x < places.total]
    want = np.minimum(np.searchsorted(cumulative, x, side="right"), n - 1)
    assert np.array_equal(places.pick(x), want)


def _city_draw(s: Scenario, days: float, seed: int = 3) -> tuple[Arrivals, float, int]:
    """Arrivals alone (no run) and the world's total location weight and households."""
    w = generate_world(s)
    places = locate(w, s.world.exclusive_equivalent_households)
    return draw_arrivals(s.workload, places, days, seed)[0], places.total, w.n_households


def _poisson_p(observed: int, mean: float) -> float:
    """Two-sided exact Poisson test."""
    return min(1.0, 2 * min(stats.poisson.cdf(observed, mean),
                            stats.poisson.sf(observed - 1, mean)))


def test_counts_match_the_rates() -> None:
    s = small_scenario()
    days = 364  # whole weeks: the weekly profile averages to 1
    a, total, _ = _city_draw(s, days)
    keys = sorted(s.workload.types)
    rate = np.array([s.workload.types[k].rate_per_1000_households_per_day for k in keys])
    expected = rate / 1000 * total * days
    counts = np.bincount(a.type, minlength=len(keys))
    assert _poisson_p(int(counts.sum()), float(expected.sum())) > ALPHA
    assert stats.chisquare(counts, expected * counts.sum() / expected.sum()).pvalue > ALPHA
    # the same test has teeth: a rate 5% off is rejected
    assert _poisson_p(int(counts.sum()), 1.05 * float(expected.sum())) < ALPHA


def test_weekly_and_hourly_profile_is_reproduced() -> None:
    s = small_scenario()
    a, _, _ = _city_draw(s, 7 * 52)
    hour = np.floor(a.t).astype(np.int64) % 168
    observed = np.bincount(hour, minlength=168)
    weekly = weekly_intensity(s.workload.profile)
    assert stats.chisquare(observed, observed.sum() * weekly / weekly.sum()).pvalue > ALPHA
    assert stats.chisquare(observed).pvalue < ALPHA  # not flat: the test can tell


@pytest.mark.parametrize("equivalent", [150, 600])
def test_an_exclusive_unit_weighs_its_equivalent_households(equivalent: int) -> None:
    s = small_scenario("jiangsu", f"world.exclusive_equivalent_households={equivalent}")
    w = generate_world(s)
    a, _, n_hh = _city_draw(s, 364)
    units = w.unit_community.shape[0]
    at_unit = int(np.count_nonzero(a.household < 0))
    share = equivalent * units / (equivalent * units + n_hh)
    assert stats.binomtest(at_unit, len(a), share).pvalue > ALPHA
    # a unit's problems are its exclusive grid's, or its community's first comprehensive grid's
    unit = a.location[a.household < 0] - n_hh
    grid = a.grid[a.household < 0]
    own = w.unit_grid[unit] >= 0
    assert np.array_equal(grid[own], w.unit_grid[unit[own]])
    assert own.any() and (~own).any()
    first = {int(c): int(np.flatnonzero((w.grid_community == c)
                                        & (w.grid_kind != KIND_EXCLUSIVE))[0])
             for c in np.unique(w.unit_community)}
    assert grid[~own].tolist() == [first[int(c)] for c in w.unit_community[unit[~own]]]


def test_a_declared_surge_multiplies_its_types_in_its_township() -> None:
    base = small_scenario()
    town = generate_world(base).township_code[0]
    s = small_scenario("jiangsu", f'workload.surges=[{{tag="hazard", factor=3.0, start_day=7, '
                                  f'days=14, townships=["{town}"]}}]')
    a, _, _ = _city_draw(s, 35)
    places = locate(generate_world(s), s.world.exclusive_equivalent_households)
    tagged = np.array([s.workload.types[k].surge_tag == "hazard"
                       for k in sorted(s.workload.types)])[a.type]
    there = places.township[a.location] == 0
    weeks = (a.t // (7 * 24)).astype(int)

    def ratio_p(mask: np.ndarray, factor: float) -> float:
        # the two surge weeks against the two after (same profile): Binomial(n, f / (f + 1))
        inside = int(np.sum(mask & (weeks >= 1) & (weeks <= 2)))
        after = int(np.sum(mask & (weeks >= 3)))
        return stats.binomtest(inside, inside + after, factor / (factor + 1)).pvalue

    assert ratio_p(tagged & there, 3.0) > ALPHA
    assert ratio_p(tagged & there, 1.0) < ALPHA
    assert ratio_p(tagged & ~there, 1.0) > ALPHA
    assert ratio_p(~tagged & there, 1.0) > ALPHA


def test_durations_follow_their_laws() -> None:
    s = small_scenario()
    ct = s.workload.types[sorted(s.workload.types)[0]]
    expo = ct.model_copy(update={"handling_hours": ct.handling_hours.model_copy(
        update={"dist": "exponential", "min": 0.5, "mean": 2.5})})
    logn = ct.model_copy(update={"handling_hours": ct.handling_hours.model_copy(
        update={"dist": "lognormal", "min": 0.0, "mean": 3.0, "cv": 0.8})})
    kind = np.repeat([0, 1], 20_000)
    d = CaseDraws([expo, logn], s.workload.steps).draw(np.random.default_rng(1), kind)
    x = d.handle_hours
    assert stats.kstest(x[kind == 0] - 0.5, stats.expon(scale=2.0).cdf).pvalue > ALPHA
    sigma = np.sqrt(np.log1p(0.8**2))
    law = stats.lognorm(s=sigma, scale=3.0 * np.exp(-sigma**2 / 2))
    assert stats.kstest(x[kind == 1], law.cdf).pvalue > ALPHA
    assert stats.kstest(d.discovery_effort, stats.expon.cdf).pvalue > ALPHA
