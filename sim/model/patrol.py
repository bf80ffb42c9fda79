"""Patrols (001 五.1): a daily routine patrol of each grid, a full sweep once a month, and door
visits to special households at a cadence per kind. Patrols discover latent problems.

Each team runs one process that requests its grids' rounds at the start of every shift; the
rounds are pre-emptible routine jobs that cases go before (see :func:`team_routine`).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.resource import PRIORITY, Job
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
    """Each special household of a kind is due every ``30 / rate`` days from a random phase.

    The phases do not depend on ``days`` (a shorter plan is a longer one cut short) and are
    drawn for every kind, visited or not, as a share of the period: every rule set sees the
    same households' visits fall at the same point of their cycle.
    """
    n_grids = w.grid_code.shape[0]
    due = np.zeros((n_grids, days, len(SPECIAL_KINDS)), np.int32)
    period = np.full(len(SPECIAL_KINDS), np.inf)
    for k, kind in enumerate(SPECIAL_KINDS):
        rows = np.flatnonzero(w.hh_flags & np.uint8(1 << k))
        share = rng.random(rows.shape[0])
        rate = visits_per_month.get(kind, 0.0)
        if rate <= 0:
            continue
        period[k] = MONTH_DAYS / rate
        phase = share * period[k]
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
    """At the start of each of the team's shifts, its rounds for every grid it covers: the
    routine patrol, the monthly sweep when one fell due since the last shift, and the door
    visits that fell due (part-time helpers take their share on their own shifts).

    Each is a separate pre-emptible routine job on the team's queue (see
    :mod:`sim.model.resource`): cases go first by priority and ageing, emergencies and urgent
    cases interrupt a round, which resumes where it stopped. A day's patrol not begun by the
    next shift is missed: the new one replaces it.
    """
    env, cal = m.env, m.teams.pools[team].cal
    pool = m.teams.pools[team]
    patrol = m.rules.patrol
    ageing = patrol.ageing_hours
    pending: dict[int, Job] = {}
    last_day = -1
    t = cal.next_open(0.0)
    while t < m.horizon:
        if env.now < t:
            yield m.bell(t)
        day = int(t // 24)
        days = range(last_day + 1, min(day, m.days - 1) + 1)
        measured = int(t >= m.window_start)  # coverage counts the window's rounds only
        for g in m.teams.team_grids[team].tolist():
            if patrol.daily_patrol:
                old = pending.get(g)
                if old is not None:
                    pool.cancel(old)
                m.patrol_due[g] += measured
                job = pool.request(
                    patrol.patrol_hours, PRIORITY["patrol"], "patrol", routine=True,
                    ageing=ageing,
                    watcher=m.discovery.route(g, patrol.patrol_hours, m.route_households[g]))
                job.callbacks.append(lambda j, g=g, due=(day + 1) * 24.0, k=measured:
                                     _patrolled(m, g, j, due, k))
                pending[g] = job
            # a sweep falls due on the days congruent to the grid's number, month by month
            if patrol.monthly_sweep and days and (g - days.start) % MONTH_DAYS < len(days):
                m.sweep_due[g] += measured
                job = pool.request(
                    patrol.sweep_hours, PRIORITY["patrol"], "sweep", routine=True, ageing=ageing,
                    watcher=m.discovery.route(g, patrol.sweep_hours, m.route_households[g]))
                job.callbacks.append(
                    lambda j, g=g, due=(day + MONTH_DAYS) * 24.0, k=measured: _swept(m, g, due, k))
            _request_visits(m, pool, g, days, ageing)
        last_day = days[-1] if days else last_day
        # the next shift's start
        t = t + 24.0 if cal.always else cal.next_open(cal.next_close(t))


def _patrolled(m: Model, g: int, job: Any, due: float, measured: int) -> None:
    if m.env.now <= due:
        m.patrol_done[g] += measured
    m.emit_patrol(g, job.cal, job.value, m.env.now)


def _swept(m: Model, g: int, due: float, measured: int) -> None:
    if m.env.now <= due:
        m.sweep_done[g] += measured


def _request_visits(m: Model, pool: Any, g: int, days: range, ageing: float) -> None:
    """Door visits due on ``days`` at grid ``g``: the helpers' share booked, the team's
    share one routine job; each day's batch is logged when its job is done."""
    batches = []
    team_hours = 0.0
    for day in days:
        n = m.visits.total.item(g, day)
        if not n:
            continue
        due = m.visits.due[g, day]
        n_team = n - _helpers_visit(m, g, day, due, n)
        if n_team:
            batches.append((day, due, n_team / n))
            team_hours += n_team * m.rules.patrol.visit_hours
    if not batches:
        return
    job = pool.request(team_hours, PRIORITY["patrol"], "visit", routine=True, ageing=ageing)
    job.callbacks.append(lambda _j: [_record_visits(m, g, day, due, frac, m.env.now)
                                     for day, due, frac in batches])


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
                   first_day: float, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """Door visits judged and visits made within their period, per special kind, for the
    visits falling due from ``first_day`` on (the measured window).

    A visit is judged once its outcome is known at ``horizon``: made (on time or not), or its
    period over without it; a visit neither made nor yet overdue is censored.
    """
    n_days = plan.due.shape[1]
    first = min(int(np.ceil(first_day)), n_days)
    kinds = plan.period.shape[0]
    closed_by = (np.arange(n_days)[:, None] + plan.period[None, :]) * 24.0 <= horizon
    due = np.where(closed_by[first:], plan.due[:, first:].sum(axis=0), 0.0).sum(axis=0)
    made = np.zeros(kinds)
    made_early = np.zeros(kinds)  # made, of visits whose period is still running
    log = [entry for entry in log if entry[1] >= first]
    if log:
        g, day, frac, done = (np.asarray(x) for x in zip(*log, strict=True))
        share = plan.due[g, day] * frac[:, None]
        on_time = done[:, None] <= (day[:, None] + plan.period[None, :]) * 24.0
        made = np.where(on_time, share, 0.0).sum(axis=0)
        made_early = np.where(~closed_by[day], share, 0.0).sum(axis=0)
    return due + made_early, made
