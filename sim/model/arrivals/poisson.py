"""Non-homogeneous Poisson arrivals at locations, by thinning, drawn day by day.

Day ``d`` has its own generator, seeded from ``(run seed, ARRIVALS_STREAM, d)``; nothing it
draws depends on the rules (locations, not grids), the staffing, or the run length. So a
shorter run's problems are the prefix of a longer run's, and every rule set or staffing of a
world sees the same problems with the same per-case numbers (see docs/arrivals.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, TypeVar

import numpy as np

from sim.config.workload import CaseType, WorkloadSpec
from sim.model.arrivals.draws import CaseDraws, Draws
from sim.model.arrivals.locations import Locations
from sim.model.arrivals.profile import intensity_at, weekly_intensity
from sim.model.arrivals.surge import Surges

URGENCIES = ("routine", "urgent", "emergency")
DIFFICULTIES = ("normal", "hard")
SOURCES = ("patrol", "resident", "hotline", "department")
ARRIVALS_STREAM = 0x61727276  # "arrv": the run seed's branch for arrivals, one child per day


@dataclass
class Arrivals:
    """Problems as columns, sorted by the time they occur (hours from the start).

    ``type`` indexes the workload's types in sorted key order; ``urgency``, ``difficulty`` and
    ``source`` index :data:`URGENCIES`, :data:`DIFFICULTIES`, :data:`SOURCES`; ``location`` is
    a row of :class:`~sim.model.arrivals.locations.Locations`, ``household`` its household row
    (-1 for an exclusive unit) and ``grid`` its grid under the run's rules.
    """

    t: np.ndarray
    grid: np.ndarray
    type: np.ndarray
    urgency: np.ndarray
    difficulty: np.ndarray
    source: np.ndarray
    household: np.ndarray
    location: np.ndarray

    def __len__(self) -> int:
        return int(self.t.shape[0])


Columns = TypeVar("Columns", Arrivals, Draws)


def _concat(parts: list[Columns], n: int) -> Columns:
    """The first ``n`` rows of ``parts`` stacked, column by column."""
    cls: Any = type(parts[0])
    return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])[:n]
                  for f in fields(cls)})


def _cumulative_shares(names: tuple[str, ...], types: list[CaseType], attr: str) -> np.ndarray:
    """Cumulative shares of ``names`` per type, shape (types, names)."""
    p = np.array([[getattr(ct, attr).get(k, 0.0) for k in names] for ct in types])
    return np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)


def _categorical(cumulative: np.ndarray, kind: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Category of each case from its uniform ``u`` and its type's cumulative shares: how many
    boundaries (all but the last, 1) lie at or below ``u``."""
    out = np.zeros(kind.shape[0], np.int8)
    for bounds in cumulative[:, :-1].T:
        out += bounds[kind] <= u
    return out


def draw_arrivals(workload: WorkloadSpec, places: Locations, days: float, seed: int
                  ) -> tuple[Arrivals, Draws]:
    """Every problem arising in the first ``days`` days at ``places``, with its numbers.

    Day by day, each day from its own generator: for all types at once (in sorted key order),
    Poisson counts of candidates at the thinning bound over the whole city (total weight ×
    rate × the profile's peak × the surge bound), uniform times in the day, acceptance by the
    weekly profile, locations by weight for those accepted, acceptance by the surges at the
    location's township; then, for the problems left in time order, their urgency,
    difficulty, source and :class:`~sim.model.arrivals.draws.Draws`.
    """
    types = [workload.types[k] for k in sorted(workload.types)]
    weekly = weekly_intensity(workload.profile)
    peak = float(weekly.max())
    surges = Surges(workload.surges, [t.surge_tag for t in types], places.township_code)
    rate = np.array([t.rate_per_1000_households_per_day for t in types]) / 1000.0
    candidates = rate * places.total * peak * surges.bound  # per day, per type
    shares = [_cumulative_shares(URGENCIES, types, "urgency"),
              _cumulative_shares(DIFFICULTIES, types, "difficulty"),
              _cumulative_shares(SOURCES, types, "sources")]
    numbers = CaseDraws(types, workload.steps)
    arrivals, draws = [], []
    for day in range(max(1, math.ceil(days))):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(ARRIVALS_STREAM, day)))
        kind = np.repeat(np.arange(len(types), dtype=np.int16), rng.poisson(candidates))
        t = day * 24.0 + rng.random(kind.shape[0]) * 24.0
        keep = rng.random(kind.shape[0]) * peak < intensity_at(weekly, t)
        kind, t = kind[keep], t[keep]
        location = places.pick(rng.random(kind.shape[0]) * places.total)
        keep = (rng.random(kind.shape[0]) * surges.bound[kind]
                < surges.factor(kind, t, places.township[location]))
        order = np.flatnonzero(keep)
        order = order[np.argsort(t[order], kind="stable")]
        kind, t, location = kind[order], t[order], location[order]
        u = rng.random((3, kind.shape[0]))
        arrivals.append(Arrivals(
            t=t, grid=places.grid[location], type=kind,
            urgency=_categorical(shares[0], kind, u[0]),
            difficulty=_categorical(shares[1], kind, u[1]),
            source=_categorical(shares[2], kind, u[2]),
            household=places.household(location), location=location))
        draws.append(numbers.draw(rng, kind))
    n = int(sum(np.searchsorted(a.t, days * 24.0) for a in arrivals))
    return _concat(arrivals, n), _concat(draws, n)
