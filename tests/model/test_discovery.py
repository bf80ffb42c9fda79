"""Latent problems found by patrols by effort, at the moment the round passes them
(sim/model/discovery.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.model import Model
from sim.model.arrivals.poisson import SOURCES
from sim.runner import simulate
from sim.world import generate_world
from tests.model.conftest import small_scenario


class _Round:
    """What a Route reads of a job: its hours and the work it has left."""

    def __init__(self, hours: float) -> None:
        self.hours, self.left = hours, hours


def _passes(m: Model, rounds: int, minutes_per_household: float) -> dict[int, int]:
    """Put every patrol-found problem latent on grid 0, walk ``rounds`` whole rounds over it
    at ``minutes_per_household``, and return the round that found each problem."""
    d = m.discovery
    latent = np.flatnonzero(m.arrivals.source == SOURCES.index("patrol")).tolist()
    d.latent[0] = list(latent)
    d.latent_set.update(latent)
    found: dict[int, int] = {}
    current = [0]
    m.found = lambda i: found.setdefault(i, current[0])  # type: ignore[method-assign]
    route = d.route(0, 2.0, 2.0 * 60 / minutes_per_household)
    for k in range(1, rounds + 1):
        current[0] = k
        job = _Round(2.0)
        start = m.env.now
        route.begin(job, start, start + 2.0)  # type: ignore[arg-type]
        m.env.run(until=start + 2.0)
        route.end(job, m.env.now)  # type: ignore[arg-type]
    return found


def test_one_pass_at_the_reference_intensity_finds_with_the_types_chance() -> None:
    s = small_scenario()
    m = Model(s, generate_world(s), 60, seed=3)
    found = _passes(m, 40, s.workload.steps.reference_patrol_minutes)
    latent = np.flatnonzero(m.arrivals.source == SOURCES.index("patrol"))
    p = np.array([t.patrol_discovery for t in m.types])[m.arrivals.type[latent]]
    assert not any(i in found for i in latent[p == 0])  # what patrols never find stays hidden
    n = np.array([found.get(i, 99) for i in latent[p > 0]])
    q = p[p > 0]
    bins = np.arange(1, 7)  # found on round 1 … 5, later
    expected = np.array([np.sum(q * (1 - q) ** (k - 1)) for k in bins[:-1]])
    expected = np.r_[expected, q.size - expected.sum()]
    observed = np.r_[[np.sum(n == k) for k in bins[:-1]], np.sum(n >= bins[-1])]
    assert q.size > 500
    assert stats.chisquare(observed, expected).pvalue > 0.001


def _walk(cut_at: float | None) -> tuple[Model, dict[int, float]]:
    """One 2-hour round from time 0 over every patrol-found problem put latent on grid 0, with
    an effort that finds whatever it passes; cut short at ``cut_at`` if given. Returns when
    each problem was found."""
    s = small_scenario()
    m = Model(s, generate_world(s), 60, seed=3)
    d = m.discovery
    latent = np.flatnonzero(m.arrivals.source == SOURCES.index("patrol")).tolist()
    d.latent[0] = list(latent)
    d.latent_set.update(latent)
    seen: dict[int, float] = {}
    m.found = lambda i: seen.setdefault(i, m.env.now)  # type: ignore[method-assign]
    route = d.route(0, 2.0, 1e-6)
    job = _Round(2.0)
    route.begin(job, 0.0, 2.0)  # type: ignore[arg-type]
    m.env.run(until=2.0 if cut_at is None else cut_at)
    if cut_at is not None:
        route.end(job, cut_at)  # type: ignore[arg-type]
    m.env.run(until=3.0)
    return m, seen


def test_a_problem_is_found_when_the_round_passes_it() -> None:
    """A round walks its grid in route order: a problem at position x is found x of the way
    through the round, not when the round ends."""
    m, seen = _walk(None)
    assert len(seen) > 100
    assert all(t == pytest.approx(2.0 * m.discovery.position[i]) for i, t in seen.items())
    assert len({round(t, 6) for t in seen.values()}) > 10
    # a round cut short (pre-empted) at 1 h finds only what lies in its first half
    m, cut = _walk(1.0)
    assert cut and all(m.discovery.position[i] <= 0.5 + 1e-12 for i in cut)
    assert len(cut) < len(seen)


def test_discovery_rises_with_patrol_time_per_household() -> None:
    shares = []
    for hours in (0.25, 1.0, 3.0):
        r = simulate(small_scenario("qingdao", f"rules.patrol.patrol_hours={hours}",
                                    "rules.patrol.monthly_sweep=false"), days=21, seed=6)
        c, a = r.record.cases, r.record.arrivals
        hidden = (a.source == SOURCES.index("patrol")) & np.isfinite(c.reported)
        shares.append(np.mean(c.entry_source[hidden] == SOURCES.index("patrol")))
    off = simulate(small_scenario("qingdao", "rules.patrol.daily_patrol=false",
                                  "rules.patrol.monthly_sweep=false"), days=21, seed=6)
    c, a = off.record.cases, off.record.arrivals
    hidden = (a.source == SOURCES.index("patrol")) & np.isfinite(c.reported)
    assert np.mean(c.entry_source[hidden] == SOURCES.index("patrol")) == 0.0
    assert shares[0] < shares[1] < shares[2], shares
    assert shares[2] - shares[0] > 0.1, shares
