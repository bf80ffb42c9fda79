"""A straightforward SimPy model of the same district, as the speed baseline.

It models what the gridsim model models, written the way one first writes it in SimPy: one
process per household (its problems, and its door visits if it is a special household), one
process per case walking worker → centre (accept, then dispatch) → department → feedback →
verification through ``simpy.PriorityResource`` pools, watcher processes for each handling
deadline (yellow, then red), a patrol process per grid, and shifts as a blocker process per
server that holds it from the end of its shift to the next start. Rates, routing shares,
handling times and shifts come from the same scenario. It is a baseline for speed, not a second
model to trust: routing is reduced to worker → township centre → department.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from sim.config.scenario import Scenario
from sim.config.staffing import Shift
from sim.model.arrivals.profile import weekly_intensity
from sim.world import World
from sim.world.codes import KIND_EXCLUSIVE
from sim.world.tables import SPECIAL_KINDS

URGENCY_PRIORITY = {"routine": 2, "urgent": 1, "emergency": 0}
OFF_SHIFT = -1  # blockers go before every job


class NaiveModel:
    """The baseline model; ``run(days)`` returns the number of cases closed."""

    def __init__(self, scenario: Scenario, world: World, seed: int) -> None:
        self.s, self.w = scenario, world
        self.env = simpy.Environment()
        self.rng = random.Random(seed)
        self.types = [scenario.workload.types[k] for k in sorted(scenario.workload.types)]
        self.rates = [t.rate_per_1000_households_per_day / 1000 / 24 for t in self.types]
        self.weekly = weekly_intensity(scenario.workload.profile).tolist()
        self.peak = max(self.weekly)
        staff = scenario.staffing
        workers = np.bincount(world.cover_grid, minlength=world.grid_code.shape[0])
        self.workers = [self._pool(max(1, int(n)), staff.shifts["full_time"]) for n in workers]
        self.centres = [self._pool(staff.centres.township, staff.shifts["centre"])
                        for _ in range(world.township_code.shape[0])]
        handlers = max(1, int(np.ceil(staff.departments.county * world.n_households / 10_000)))
        self.departments = {t.department: self._pool(handlers, staff.shifts["department"])
                            for t in self.types if t.department}
        self.grid_township = world.grid_township.tolist()
        self.comprehensive = np.flatnonzero(world.grid_kind != KIND_EXCLUSIVE).tolist()
        self.closed = 0

    def _pool(self, capacity: int, shift: Shift) -> simpy.PriorityResource:
        res = simpy.PriorityResource(self.env, capacity=capacity)
        for _ in range(capacity):
            self.env.process(self._blocker(res, shift))
        return res

    def _blocker(self, res: simpy.PriorityResource, shift: Shift) -> Generator[Any, Any, None]:
        """One server's shifts: from each shift's end to the next start it is held."""
        env = self.env
        while True:
            day = int(env.now // 24)
            start = day * 24 + shift.start_hour
            end = start + shift.hours_per_day
            if env.now < start and day % 7 in shift.workdays:
                hold_until = start
            elif env.now < end and day % 7 in shift.workdays:
                yield env.timeout(end - env.now)
                continue
            else:
                nxt = day + 1
                while nxt % 7 not in shift.workdays:
                    nxt += 1
                hold_until = nxt * 24 + shift.start_hour
            with res.request(priority=OFF_SHIFT) as req:
                yield req
                if env.now < hold_until:
                    yield env.timeout(hold_until - env.now)

    def household(self, hh: int, grid: int, flags: int) -> Generator[Any, Any, None]:
        """One household: its problems (Poisson, thinned by the weekly profile) and, if it is
        special, its door visits."""
        for k, kind in enumerate(SPECIAL_KINDS):
            rate = self.s.rules.patrol.visits_per_month.get(kind, 0.0)
            if flags & (1 << k) and rate > 0:
                self.env.process(self.visits(grid, 30 * 24 / rate))
        total = sum(self.rates)
        while True:
            yield self.env.timeout(self.rng.expovariate(total * self.peak))
            hour = int(self.env.now) % 168
            if self.rng.random() * self.peak < self.weekly[hour]:
                k = self.rng.choices(range(len(self.types)), weights=self.rates)[0]
                self.env.process(self.case(grid, k))

    def visits(self, grid: int, period: float) -> Generator[Any, Any, None]:
        """Door visits to one special household every ``period`` hours."""
        yield self.env.timeout(self.rng.random() * period)
        while True:
            yield from self._serve(self.workers[grid], self.s.rules.patrol.visit_hours, 3)
            yield self.env.timeout(period)

    def _serve(self, res: simpy.PriorityResource, hours: float,
               priority: int) -> Generator[Any, Any, None]:
        with res.request(priority=priority) as req:
            yield req
            yield self.env.timeout(hours)

    def _lognormal(self, mean: float, cv: float) -> float:
        sigma2 = np.log1p(cv * cv)
        return self.rng.lognormvariate(np.log(max(mean, 1e-9)) - sigma2 / 2, sigma2**0.5)

    def watcher(self, deadline: float, state: dict[str, Any]) -> Generator[Any, Any, None]:
        """A deadline watcher: yellow at the deadline, red at half as long again."""
        yield self.env.timeout(deadline)
        if not state["done"]:
            state["level"] = 1
            yield self.env.timeout(deadline / 2)
            if not state["done"]:
                state["level"] = 2

    def case(self, grid: int, k: int) -> Generator[Any, Any, None]:
        """A case's life."""
        t = self.types[k]
        steps = self.s.workload.steps
        urgency = self.rng.choices(list(t.urgency), weights=list(t.urgency.values()))[0]
        prio = URGENCY_PRIORITY[urgency]
        state: dict[str, Any] = {"done": False, "level": 0}
        if not t.barred:
            yield from self._serve(self.workers[grid],
                                   self._lognormal(t.worker_minutes.mean, t.worker_minutes.cv)
                                   / 60, prio)
            if self.rng.random() < t.self_resolve:
                self.closed += 1
                return
        centre = self.centres[self.grid_township[grid]]
        yield from self._serve(centre, steps.accept_minutes / 60, prio)
        yield from self._serve(centre, steps.dispatch_minutes / 60, prio)
        self.env.process(self.watcher(t.deadline_hours, state))
        handler = self.departments.get(t.department, centre)
        yield from self._serve(handler, self._lognormal(t.handling_hours.mean,
                                                        t.handling_hours.cv), prio)
        state["done"] = True
        yield from self._serve(centre, steps.feedback_minutes / 60, prio)
        yield from self._serve(self.workers[grid], steps.verify_minutes / 60, prio)
        self.closed += 1

    def patrol(self, grid: int) -> Generator[Any, Any, None]:
        """Daily patrol of one grid, from the start of the day."""
        hours = self.s.rules.patrol.patrol_hours
        while True:
            yield from self._serve(self.workers[grid], hours, 3)
            yield self.env.timeout(24 - self.env.now % 24)

    def run(self, days: float) -> int:
        """Simulate ``days`` days; the number of cases closed."""
        w = self.w
        for hh, (g, flags) in enumerate(zip(w.hh_grid.tolist(), w.hh_flags.tolist(),
                                            strict=True)):
            self.env.process(self.household(hh, g, flags))
        for g in self.comprehensive:
            self.env.process(self.patrol(g))
        self.env.run(until=days * 24)
        return self.closed

    @property
    def events(self) -> int:
        """SimPy events scheduled so far."""
        return int(next(self.env._eid))  # type: ignore[attr-defined]
