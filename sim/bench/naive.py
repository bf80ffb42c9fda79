"""A straightforward SimPy model of the same district, as the speed baseline.

It models what the gridsim model models, written the way one first writes it in SimPy: one
process per household (its problems, and its door visits if it is a special household), one
process per case walking worker → centre (accept, then dispatch) → department → feedback →
verification through ``simpy.PreemptiveResource`` pools, watcher processes for each handling
deadline (yellow, then red), a patrol process per grid (daily patrol, monthly sweep) that
urgent cases pre-empt and that resumes, shifts (with public holidays) as a blocker process per
server that holds it from the end of its shift to the next start, and an on-duty officer per
township centre for emergencies out of hours. Rates, routing shares, handling times, shifts and
calendars come from the same scenario. It is a baseline for speed, not a second model to trust:
routing is reduced to worker → township centre → department.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from sim.config.scenario import Scenario
from sim.model.arrivals.profile import weekly_intensity
from sim.model.clock import Calendar, calendar, holidays_of
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
        self.holidays = holidays_of(scenario.holidays)
        staff = scenario.staffing
        workers = np.bincount(world.cover_grid, minlength=world.grid_code.shape[0])
        self.workers = [self._pool(max(1, int(n)), self._cal("full_time")) for n in workers]
        office = self._cal("centre")
        self.centres = [self._pool(staff.centres.township, office)
                        for _ in range(world.township_code.shape[0])]
        duty = staff.duty.get("township")
        self.office = office
        self.duty = ([self._pool(duty.staff, office.complement())
                      for _ in range(world.township_code.shape[0])] if duty else None)
        handlers = max(1, int(np.ceil(staff.departments.county * world.n_households / 10_000)))
        self.departments = {t.department: self._pool(handlers, self._cal("department"))
                            for t in self.types if t.department}
        self.grid_township = world.grid_township.tolist()
        self.comprehensive = np.flatnonzero(world.grid_kind != KIND_EXCLUSIVE).tolist()
        self.closed = 0

    def _cal(self, role: str) -> Calendar:
        shift = self.s.staffing.shifts[role]  # type: ignore[index]
        return calendar(shift.start_hour, shift.start_hour + shift.hours_per_day,
                        tuple(shift.workdays), self.holidays if shift.observes_holidays else None)

    def _pool(self, capacity: int, cal: Calendar) -> simpy.PreemptiveResource:
        res = simpy.PreemptiveResource(self.env, capacity=capacity)
        for _ in range(capacity):
            self.env.process(self._blocker(res, cal))
        return res

    def _blocker(self, res: simpy.PreemptiveResource, cal: Calendar
                 ) -> Generator[Any, Any, None]:
        """One server's shifts: from each shift's end to the next start it is held."""
        env = self.env
        while True:
            opens = cal.next_open(env.now)
            if opens == env.now:  # on shift: wait for its end
                yield env.timeout(cal.next_close(env.now) - env.now)
                opens = cal.next_open(env.now)
            with res.request(priority=OFF_SHIFT, preempt=False) as req:
                yield req
                if env.now < opens:
                    yield env.timeout(opens - env.now)

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

    def _serve(self, res: simpy.PreemptiveResource, hours: float,
               priority: int) -> Generator[Any, Any, None]:
        """Hold a server for ``hours``; urgent work pre-empts routine work (priority 3), which
        then queues again for what it has left."""
        left = hours
        while left > 1e-9:
            with res.request(priority=priority, preempt=priority < 2) as req:
                yield req
                start = self.env.now
                try:
                    yield self.env.timeout(left)
                    left = 0.0
                except simpy.Interrupt:
                    left -= self.env.now - start

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
        township = self.grid_township[grid]
        centre = self.centres[township]
        if urgency == "emergency" and self.duty and not self.office.is_open(self.env.now):
            centre = self.duty[township]  # out of hours the officer on duty takes it
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
        """Daily patrol of one grid from the start of the day, a full sweep every 30 days."""
        patrol = self.s.rules.patrol
        day = 0
        while True:
            yield from self._serve(self.workers[grid], patrol.patrol_hours, 3)
            if patrol.monthly_sweep and day % 30 == grid % 30:
                yield from self._serve(self.workers[grid], patrol.sweep_hours, 3)
            day += 1
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
