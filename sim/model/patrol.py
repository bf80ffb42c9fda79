"""Patrols (001 五.1): a daily routine patrol of each grid, a full sweep once a month, and door
visits to special households at a cadence per kind. Patrols discover latent problems.

Each team runs one process that works through its grids' patrols and visits every working
day; cases of any urgency take priority over this routine work in the team's queue.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.resource import PRIORITY
from sim.world.tables import SPECIAL_KINDS, World

if TYPE_CHECKING:
    from sim.model.engine import Model

MONTH_DAYS = 30


@dataclass
class VisitPlan:
    """Door visits due per (grid, day, kind), and each kind's period in days."""

    due: np.ndarray  # shape (grids, days, kinds), visits falling due that day
    period: np.ndarray  # days per kind (inf where no visits are required)


def plan_visits(w: World, visits_per_month: dict[str, float], days: int,
                rng: np.random.Generator) -> VisitPlan:
    """Each special household of a kind is due every ``30 / rate`` days from a random phase."""
    n_grids = w.grid_code.shape[0]
    due = np.zeros((n_grids, days, len(SPECIAL_KINDS)), np.int32)
    period = np.full(len(SPECIAL_KINDS), np.inf)
    for k, kind in enumerate(SPECIAL_KINDS):
        rate = visits_per_month.get(kind, 0.0)
        if rate <= 0:
            continue
        period[k] = MONTH_DAYS / rate
        rows = np.flatnonzero(w.hh_flags & np.uint8(1 << k))
        phase = rng.random(rows.shape[0]) * period[k]
        n = np.maximum(0, np.ceil((days - phase) / period[k])).astype(np.int64)
        day = np.floor(np.repeat(phase, n) + _ranks(n) * period[k]).astype(np.int64)
        grid = np.repeat(w.hh_grid[rows], n)
        keep = day < days
        np.add.at(due[:, :, k], (grid[keep], day[keep]), 1)
    return VisitPlan(due, period)


def _ranks(n: np.ndarray) -> np.ndarray:
    """0, 1, …, n[i]-1 for each i, concatenated."""
    total = int(n.sum())
    return np.arange(total) - np.repeat(np.cumsum(n) - n, n)


def team_routine(m: Model, team: int) -> Generator[Any, Any, None]:
    """Every working day: patrol each grid, sweep it monthly, and make the visits due."""
    env = m.env
    pool = m.teams.pools[team]
    grids = m.teams.team_grids[team]
    patrol = m.rules.patrol
    prio = PRIORITY["patrol"]
    for day in range(m.days):
        day_start = day * 24.0
        if pool.cal.next_open(day_start) >= day_start + 24:
            continue  # not a working day for this team
        if env.now < day_start:
            yield m.day_bell(day)  # one shared event per day wakes every team
        for g in grids.tolist():
            if patrol.daily_patrol:
                m.patrol_due[g] += 1
                m.emit_patrol("patrol.start", g)
                yield from pool.serve(patrol.patrol_hours, prio, "patrol")
                m.emit_patrol("patrol.checkin", g)
                m.emit_patrol("patrol.end", g)
                if env.now <= day_start + 24:
                    m.patrol_done[g] += 1
                m.discover(g)
            if patrol.monthly_sweep and day % MONTH_DAYS == g % MONTH_DAYS:
                m.sweep_due[g] += 1
                yield from pool.serve(patrol.sweep_hours, prio, "sweep")
                if env.now <= day_start + MONTH_DAYS * 24:
                    m.sweep_done[g] += 1
                m.discover(g)
            due = m.visits.due[g, day]
            n = int(due.sum())
            if n:
                yield from _visit(m, g, day, due, n)


def _visit(m: Model, g: int, day: int, due: np.ndarray, n: int) -> Generator[Any, Any, None]:
    """Make ``n`` visits due at grid ``g`` on ``day``: helpers take their share of them."""
    hours = m.rules.patrol.visit_hours
    helpers = int(m.teams.grid_helpers[g])
    share = m.helper_share[g] if helpers >= 0 else 0.0
    n_help = round(n * share)
    done_at = m.env.now
    if n_help:
        # the helpers' batch runs alongside the team's work, on their own shifts
        done = m.teams.pools[helpers].book(n_help * hours, "visit")
        _record_visits(m, g, day, due, n_help / n, done)
    if n - n_help:
        yield from m.teams.pools[int(m.teams.grid_team[g])].serve(
            (n - n_help) * hours, PRIORITY["patrol"], "visit")
        done_at = m.env.now
        _record_visits(m, g, day, due, (n - n_help) / n, done_at)


def _record_visits(m: Model, g: int, day: int, due: np.ndarray, fraction: float,
                   done_at: float) -> None:
    """Log a batch (a ``fraction`` of the visits due); coverage is tallied after the run."""
    m.visit_log.append((g, day, fraction, done_at))
    m.emit_visits(g, round(float(due.sum()) * fraction))


def visit_coverage(plan: VisitPlan, log: list[tuple[int, int, float, float]]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Visits due and visits made within their window, per special kind."""
    if not log:
        return np.zeros(plan.period.shape[0]), np.zeros(plan.period.shape[0])
    g, day, frac, done = (np.asarray(x) for x in zip(*log, strict=True))
    due = plan.due[g, day] * frac[:, None]
    on_time = done[:, None] <= (day[:, None] + plan.period[None, :]) * 24.0
    return due.sum(axis=0), np.where(on_time, due, 0.0).sum(axis=0)
