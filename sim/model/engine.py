"""The model: a SimPy environment wiring the world's teams, centres and departments to the
cases that arise, the patrols that find them and the deadlines that watch them.

Households stay numpy rows; arrivals are drawn vectorised before the run; SimPy processes
exist only for what waits: team routines, cases in flight, helper visit batches.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
import simpy

from sim.config.scenario import Scenario
from sim.model.arrivals import draw_arrivals, locate, patrol_effort
from sim.model.arrivals.poisson import SOURCES
from sim.model.case import CaseRun, CaseTable
from sim.model.centre import build_centres
from sim.model.citylink import CityDesk, PartitionLink, shortest_last_job
from sim.model.clock import Calendar, holidays_of
from sim.model.deadline import DeadlinePolicy
from sim.model.department import build_departments
from sim.model.discovery import Discovery
from sim.model.patrol import plan_visits, team_routine
from sim.model.record import RunRecord
from sim.model.resource import Pool
from sim.model.supervision import Supervision
from sim.model.trace import Tracer
from sim.model.worker import build_teams
from sim.world import World
from sim.world.codes import KIND_EXCLUSIVE, KIND_URBAN

SOURCE_INDEX = {s: i for i, s in enumerate(SOURCES)}


def _route_position(household: np.ndarray, grid: np.ndarray, first_hh: np.ndarray,
                    grid_households: np.ndarray) -> np.ndarray:
    """Where on its grid's patrol route each problem lies: its household's place among the
    grid's households (route order), or halfway for a problem without a household."""
    own = grid_households[grid]
    pos = (household - first_hh[grid] + 0.5) / np.maximum(own, 1)
    return np.where((household >= 0) & (own > 0), np.clip(pos, 0.0, 1.0), 0.5)


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Run without the cyclic garbage collector, restoring it after.

    The run makes no reference cycles (a test checks it), so reference counting frees
    everything and the collector would only rescan the live cases and events over and
    over: about a sixth of the run's time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Model:
    """One run of a scenario's world: a warm-up of ``warmup`` days, then ``days`` measured."""

    def __init__(self, scenario: Scenario, world: World, days: float, seed: int,
                 trace: bool = False, counties: Sequence[int] | None = None,
                 warmup: float = 0.0, part: Literal["counties", "city"] | None = None) -> None:
        """Set up a run of ``warmup + days`` days; statistics cover the window after the
        warm-up. A run split across processes (:mod:`sim.model.partition`) has ``part``
        "counties" (the ``counties`` given, sending what climbs to the city tier to the city
        process) or "city" (the shared city tier alone)."""
        self.scenario, self.world, self.rules = scenario, world, scenario.rules
        self.window_start = warmup * 24.0
        self.days = int(np.ceil(warmup + days))
        self.horizon = (warmup + days) * 24.0
        self.env = simpy.Environment()
        self.steps = scenario.workload.steps
        self.type_keys = sorted(scenario.workload.types)
        self.types = [scenario.workload.types[k] for k in self.type_keys]
        self.barred = [bool(t.barred and t.barred in self.rules.matters.barred)
                       for t in self.types]
        self.off_list = [t.off_list or t.category not in self.rules.matters.categories
                         for t in self.types]
        self.approved_at: dict[tuple[int, int], float] = {}
        fb = self.rules.feedback
        self.feedback_rate = 1.0 if fb.to_requester else fb.target_rate
        s_visit = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])

        self.grid_township = world.grid_township
        self.grid_county = world.grid_county
        owned = np.ones(world.county_code.shape[0], bool)
        if part == "city":
            counties = []
        if counties is not None:
            owned[:] = False
            owned[list(counties)] = True
        self.county_owned = owned
        self.township_owned = owned[world.township_county]
        self.grid_mask = owned[self.grid_county]
        self.grid_urban = (world.grid_kind == KIND_URBAN) | (
            (world.grid_kind == KIND_EXCLUSIVE) & world.community_urban[world.grid_community])
        self.deadlines = DeadlinePolicy(self.rules, holidays_of(scenario.holidays))
        self.supervision = Supervision(self)
        self.teams = build_teams(self.env, world, scenario, self.grid_mask)
        self.centres = build_centres(self.env, world, scenario)
        self.departments = build_departments(self.env, world, scenario)
        self.helper_share = self._helper_share()

        # problems at households and exclusive units, the same under any rules and staffing
        self.arrivals, self.draw = draw_arrivals(
            scenario.workload, locate(world, scenario.world.exclusive_equivalent_households),
            self.horizon / 24.0, seed)
        self.cases = CaseTable(len(self.arrivals))
        self.cases.occurred[:] = self.arrivals.t
        self.cases.entry_source[:] = self.arrivals.source
        self.visits = plan_visits(world, self.rules.patrol.visits_per_month, self.days, s_visit)
        n_grids = world.grid_code.shape[0]
        self.patrol_due = np.zeros(n_grids, np.int64)
        self.patrol_done = np.zeros(n_grids, np.int64)
        self.sweep_due = np.zeros(n_grids, np.int64)
        self.sweep_done = np.zeros(n_grids, np.int64)
        self.visit_log: list[tuple[int, int, float, float]] = []
        # a grid's patrol route walks its households in order (an exclusive grid counts as
        # its equivalent households)
        first_hh = np.zeros(n_grids, np.int64)
        comp = world.grid_households > 0
        first_hh[comp] = np.cumsum(world.grid_households[comp]) - world.grid_households[comp]
        self.route_households = np.where(
            world.grid_kind == KIND_EXCLUSIVE, scenario.world.exclusive_equivalent_households,
            world.grid_households).astype(float).tolist()
        self.discovery = Discovery(
            self, _route_position(self.arrivals.household, self.arrivals.grid, first_hh,
                                  world.grid_households),
            np.asarray(patrol_effort(self.types)) / self.steps.reference_patrol_minutes,
            self.draw.discovery_effort)
        self._bells: dict[float, simpy.Event] = {}
        self.open_cases = 0
        self.closed_count = 0
        self.tracer = Tracer(self) if trace else None
        self.part = part
        # a partition sends what climbs to the city tier away; the city process runs it
        self.city_link = PartitionLink(self) if part == "counties" else None
        self.desk = CityDesk(self, shortest_last_job(self)) if part == "city" else None

    # --- set-up -------------------------------------------------------------------------
    def _helper_share(self) -> np.ndarray:
        """Share of a grid's visits its part-time helpers make, by weekly working hours."""
        share = np.zeros(self.world.grid_code.shape[0])
        for g in np.flatnonzero(self.teams.grid_helpers >= 0).tolist():
            h: Pool = self.teams.pools[int(self.teams.grid_helpers[g])]
            team = int(self.teams.grid_team[g])
            t: Pool = self.teams.pools[team]
            team_hours = t.capacity * t.cal.per_week / len(self.teams.team_grids[team])
            helper_hours = h.capacity * h.cal.per_week
            share[g] = helper_hours / (helper_hours + team_hours)
        return share

    # --- processes ----------------------------------------------------------------------
    def _feeder(self) -> Generator[Any, Any, None]:
        """Problems arise: resident/hotline/department reports start a case at once;
        problems only a patrol would notice wait, latent, until found or reported."""
        env, a, c = self.env, self.arrivals, self.cases
        patrol = SOURCE_INDEX["patrol"]
        has_team = (self.teams.grid_team >= 0).tolist()
        delay = self.draw.report_delay.tolist()
        mine = np.flatnonzero(self.grid_mask[a.grid])  # a partition's own grids' problems
        for i, t, g, src in zip(mine.tolist(), a.t[mine].tolist(), a.grid[mine].tolist(),
                                a.source[mine].tolist(), strict=True):
            if t > env.now:
                yield env.timeout(t - env.now)
            if src == patrol and has_team[g]:
                self.discovery.arise(i, g, delay[i])
            else:
                if src == patrol:
                    c.entry_source[i] = SOURCE_INDEX["resident"]
                self._start(i)

    def _start(self, i: int) -> None:
        self.open_cases += 1
        CaseRun(self, i).start()

    def found(self, i: int) -> None:
        """A round found latent problem ``i``: the worker reports it now."""
        self._start(i)

    def reported_by_resident(self, i: int) -> None:
        """No round found latent problem ``i`` in time: a resident reports it."""
        self.cases.entry_source[i] = SOURCE_INDEX["resident"]
        self._start(i)

    def bell(self, t: float) -> simpy.Event:
        """An event at time ``t`` shared by everyone waiting for it (shift openings)."""
        bell = self._bells.get(t)
        if bell is None or bell.processed:
            bell = self._bells[t] = self.env.timeout(t - self.env.now)
        return bell

    def awaiting_approval(self, k: int, g: int) -> bool:
        """Whether off-list matters of type ``k`` in grid ``g``'s county still wait for
        approval."""
        return self.approved_at.get((self.grid_county.item(g), k), np.inf) > self.env.now

    def await_approval(self, k: int, g: int) -> Generator[Any, Any, None]:
        """Off-list matters wait for approval (001 四.2; 003 第十一条), once per type in each
        county (the county institution adjusts its matter list)."""
        key = (self.grid_county.item(g), k)
        if key not in self.approved_at:
            self.approved_at[key] = (self.env.now
                                     + self.rules.matters.off_list_approval_days * 24)
        wait = self.approved_at[key] - self.env.now
        if wait > 0:
            yield self.env.timeout(wait)

    def closed_case(self, i: int) -> None:
        """Book-keeping when case ``i`` closes."""
        self.open_cases -= 1
        self.closed_count += 1

    # --- tracing (free when off) ----------------------------------------------------------
    def emit(self, op: str, case: int, **fields: Any) -> None:
        """Record a case operation for the trace, if tracing."""
        if self.tracer is not None:
            self.tracer.case_op(op, case, fields)

    def emit_patrol(self, grid: int, cal: Calendar, start: float, end: float) -> None:
        """Record a patrol of ``grid`` worked from ``start`` to ``end`` on ``cal``, if
        tracing."""
        if self.tracer is not None:
            self.tracer.patrol(grid, cal, start, end)

    def emit_visits(self, grid: int, due: np.ndarray, fraction: float, at: float) -> None:
        """Record a ``fraction`` of the door visits ``due`` (per kind) as done by ``at``, if
        tracing."""
        if self.tracer is not None:
            self.tracer.visits(grid, round(float(due.sum()) * fraction), at)

    # --- run ----------------------------------------------------------------------------
    def all_pools(self) -> list[Pool]:
        """Every pool this run owns: all of them, or a partition's counties' (the city tier
        belongs to the city process)."""
        owned = {"township": self.township_owned, "county": self.county_owned,
                 "city": np.array([self.part != "counties"])}
        pools = list(self.teams.pools)
        for tier, lst in self.centres.pools.items():
            pools += [p for p in lst if owned[tier][p.unit]]
        for (_, tier, parent), p in self.departments.pools.items():
            if owned[tier][parent]:
                pools.append(p)
        return pools

    def record(self) -> RunRecord:
        """The run's measurements, detached from SimPy."""
        return RunRecord(
            scenario=self.scenario, world=self.world, horizon=self.horizon,
            arrivals=self.arrivals, cases=self.cases, window_start=self.window_start,
            pools=[p.stats(self.horizon) for p in self.all_pools()],
            patrol_due=self.patrol_due, patrol_done=self.patrol_done,
            sweep_due=self.sweep_due, sweep_done=self.sweep_done, visits=self.visits,
            visit_log=self.visit_log, open_cases=self.open_cases)

    def run(self, progress: Callable[[float], None] | None = None,
            sample: Callable[[float], None] | None = None) -> None:
        """Run to the horizon, a day at a time (``progress`` gets days done; ``sample`` is
        called hourly for time series)."""
        with no_cycle_collection():
            self.start(sample)
            for day in range(1, self.days + 1):
                self.advance(min(day * 24.0, self.horizon))
                if progress is not None:
                    progress(day)
        self.finish()

    def start(self, sample: Callable[[float], None] | None = None) -> None:
        """Set the run going: problems arising, teams' rounds, hourly samples, the warm-up."""
        env = self.env
        if self.part != "city":  # the city process has no grids: its cases come from others
            env.process(self._feeder())
            for team in range(len(self.teams.team_grids)):
                if self.teams.team_grids[team].size:
                    env.process(team_routine(self, team))
        if sample is not None:
            env.process(self._sampler(sample))
        if self.window_start > 0:
            env.timeout(self.window_start).callbacks.append(self._open_window)

    def advance(self, until: float) -> None:
        """Simulate up to (not including) time ``until`` (under :func:`no_cycle_collection`,
        which the caller holds over the whole run)."""
        self.env.run(until=until)

    def finish(self) -> None:
        """The run has reached its horizon: settle what is late and close the monitors."""
        self.supervision.at_end(self.horizon)
        for p in self.all_pools():
            p.close()

    def _open_window(self, _event: simpy.Event | None = None) -> None:
        """The warm-up ends: every pool's statistics restart (cases keep their times; the
        metrics select those reported in the window)."""
        for p in self.all_pools():
            p.reset_stats()

    def _sampler(self, sample: Callable[[float], None]) -> Generator[Any, Any, None]:
        t = 0.0
        while t <= self.horizon:
            sample(t)
            t += 1.0
            yield self.env.timeout(1.0)
