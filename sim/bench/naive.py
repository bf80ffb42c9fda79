"""A straightforward SimPy model of the same district, as the speed baseline.

It is what one writes first: one process per household drawing its own arrivals, one process
per case walking worker → township centre → department → feedback → verification through
``simpy.PriorityResource`` pools, a watcher process per deadline, per-event random draws and a
patrol process per grid. It keeps the gridsim model's rates, routing shares and handling
times but not its calendars or rule details, so it does no more work than the real model.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from sim.config.scenario import Scenario
from sim.model.arrivals.profile import weekly_intensity
from sim.world import World
from sim.world.codes import KIND_EXCLUSIVE

URGENCY_PRIORITY = {"routine": 2, "urgent": 1, "emergency": 0}


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
        comp = world.grid_kind != KIND_EXCLUSIVE
        ft = np.bincount(world.cover_grid, minlength=world.grid_code.shape[0])
        self.workers = [simpy.PriorityResource(self.env, capacity=max(1, int(n))) for n in ft]
        staff = scenario.staffing
        self.centres = [simpy.PriorityResource(self.env, capacity=staff.centres.township)
                        for _ in range(world.township_code.shape[0])]
        handlers = max(1, int(np.ceil(staff.departments.county * world.n_households / 10_000)))
        self.departments = {t.department: simpy.PriorityResource(self.env, capacity=handlers)
                            for t in self.types if t.department}
        self.grid_township = world.grid_township.tolist()
        self.hh_grid = world.hh_grid.tolist()
        self.comprehensive = np.flatnonzero(comp).tolist()
        self.closed = 0

    def household(self, grid: int) -> Generator[Any, Any, None]:
        """One household's problems: a Poisson process thinned by the weekly profile."""
        total = sum(self.rates)
        while True:
            yield self.env.timeout(self.rng.expovariate(total * self.peak))
            hour = int(self.env.now) % 168
            if self.rng.random() * self.peak < self.weekly[hour]:
                k = self.rng.choices(range(len(self.types)), weights=self.rates)[0]
                self.env.process(self.case(grid, k))

    def _serve(self, res: simpy.PriorityResource, hours: float,
               priority: int) -> Generator[Any, Any, None]:
        with res.request(priority=priority) as req:
            yield req
            yield self.env.timeout(hours)

    def _lognormal(self, mean: float, cv: float) -> float:
        sigma2 = np.log1p(cv * cv)
        return self.rng.lognormvariate(np.log(max(mean, 1e-9)) - sigma2 / 2, sigma2**0.5)

    def watcher(self, deadline: float, state: dict[str, bool]) -> Generator[Any, Any, None]:
        """A deadline watcher process: wakes at the deadline and checks."""
        yield self.env.timeout(deadline)
        state["late"] = not state["done"]

    def case(self, grid: int, k: int) -> Generator[Any, Any, None]:
        """A case's life."""
        t = self.types[k]
        urgency = self.rng.choices(list(t.urgency), weights=list(t.urgency.values()))[0]
        prio = URGENCY_PRIORITY[urgency]
        state = {"done": False, "late": False}
        self.env.process(self.watcher(t.deadline_hours, state))
        yield from self._serve(self.workers[grid],
                               self._lognormal(t.worker_minutes.mean, t.worker_minutes.cv) / 60,
                               prio)
        if not t.barred and self.rng.random() < t.self_resolve:
            state["done"] = True
            self.closed += 1
            return
        centre = self.centres[self.grid_township[grid]]
        steps = self.s.workload.steps
        yield from self._serve(centre, (steps.accept_minutes + steps.dispatch_minutes) / 60, prio)
        handler = self.departments.get(t.department, centre)
        hours = self._lognormal(t.handling_hours.mean, t.handling_hours.cv)
        yield from self._serve(handler, hours, prio)
        yield from self._serve(centre, steps.feedback_minutes / 60, prio)
        yield from self._serve(self.workers[grid], steps.verify_minutes / 60, prio)
        state["done"] = True
        self.closed += 1

    def patrol(self, grid: int) -> Generator[Any, Any, None]:
        """Daily patrol of one grid."""
        hours = self.s.rules.patrol.patrol_hours
        while True:
            yield from self._serve(self.workers[grid], hours, 3)
            yield self.env.timeout(24 - hours)

    def run(self, days: float) -> int:
        """Simulate ``days`` days; the number of cases closed."""
        for g in self.hh_grid:
            self.env.process(self.household(g))
        for g in self.comprehensive:
            self.env.process(self.patrol(g))
        self.env.run(until=days * 24)
        return self.closed

    @property
    def events(self) -> int:
        """SimPy events scheduled so far."""
        return int(next(self.env._eid))  # type: ignore[attr-defined]
