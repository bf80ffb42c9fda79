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
    total: np.ndarray  # shape (grids, days): visits due that day, all kinds


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
    return VisitPlan(due, period, due.sum(axis=2))


def _ranks(n: np.ndarray) -> np.ndarray:
    """0, 1, …, n[i]-1 for each i, concatenated."""
    total = int(n.sum())
    return np.arange(total) - np.repeat(np.cumsum(n) - n, n)


def team_routine(m: Model, team: int) -> Generator[Any, Any, None]:
    """Every working day, grid by grid: the routine patrol, the monthly sweep when it falls
    due, and the door visits due (part-time helpers take their share on their own shifts).

    A grid's round is one job on the team's queue: cases waiting when it starts go first;
    those arriving during it wait for the round to end (a worker finishes the street first).
    """
    env = m.env
    pool = m.teams.pools[team]
    grids = m.teams.team_grids[team]
    patrol = m.rules.patrol
    prio = PRIORITY["patrol"]
    visit_hours = patrol.visit_hours
    for day in range(m.days):
        day_start = day * 24.0
        if pool.cal.next_open(day_start) >= day_start + 24:
            continue  # not a working day for this team
        if env.now < day_start:
            yield m.day_bell(day)  # one shared event per day wakes every team
        measured = int(day_start >= m.window_start)  # coverage counts the window's days only
        for g in grids.tolist():
            work: dict[str, float] = {}
            if patrol.daily_patrol:
                m.patrol_due[g] += measured
                work["patrol"] = patrol.patrol_hours
            sweep = patrol.monthly_sweep and day % MONTH_DAYS == g % MONTH_DAYS
            if sweep:
                m.sweep_due[g] += measured
                work["sweep"] = patrol.sweep_hours
            n = m.visits.total.item(g, day)
            due = m.visits.due[g, day] if n else None
            n_team = n - _helpers_visit(m, g, day, due, n) if n else 0
            if n_team:
                work["visit"] = n_team * visit_hours
            if not work:
                continue
            start = yield pool.request(sum(work.values()), prio, work)
            if patrol.daily_patrol:
                m.emit_patrol(g, pool, start)
                if env.now <= day_start + 24:
                    m.patrol_done[g] += measured
            if sweep and env.now <= day_start + MONTH_DAYS * 24:
                m.sweep_done[g] += measured
            if n_team:
                _record_visits(m, g, day, due, n_team / n, env.now)
            m.discover(g)


def _helpers_visit(m: Model, g: int, day: int, due: np.ndarray, n: int) -> int:
    """Book the helpers' share of the ``n`` visits due; returns how many they make."""
    helpers = int(m.teams.grid_helpers[g])
    if helpers < 0:
        return 0
    n_help = round(n * m.helper_share[g])
    if n_help:
        done = m.teams.pools[helpers].book(n_help * m.rules.patrol.visit_hours, "visit")
        _record_visits(m, g, day, due, n_help / n, done)
    return n_help


def _record_visits(m: Model, g: int, day: int, due: np.ndarray, fraction: float,
                   done_at: float) -> None:
    """Log a batch (a ``fraction`` of the visits due); coverage is tallied after the run."""
    m.visit_log.append((g, day, fraction, done_at))
    m.emit_visits(g, due, fraction, done_at)


def visit_coverage(plan: VisitPlan, log: list[tuple[int, int, float, float]],
                   first_day: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Visits due from ``first_day`` on (the measured window) and visits made within their
    period, per special kind."""
    log = [entry for entry in log if entry[1] >= first_day]
    if not log:
        return np.zeros(plan.period.shape[0]), np.zeros(plan.period.shape[0])
    g, day, frac, done = (np.asarray(x) for x in zip(*log, strict=True))
    due = plan.due[g, day] * frac[:, None]
    on_time = done[:, None] <= (day[:, None] + plan.period[None, :]) * 24.0
    return due.sum(axis=0), np.where(on_time, due, 0.0).sum(axis=0)
