"""Split a run across processes by county, and merge the partitions back into one record.

Counties are independent up to the county tier; what they share is the city tier (centre and
city departments). Each partition runs a group of counties; the parent runs the city tier
once, with its real staff, and the processes advance together in windows of simulated time
(:mod:`sim.model.citylink`). Where no case can climb to the city tier (the routing rules say
so up front, :func:`reaches_city`), the partitions run to the end in one window. Arrivals and
per-case draws are made for the whole city in every process (they are cheap and vectorised),
so case ids, seeds and every county's dynamics are the same however many processes run.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sim.config.scenario import Scenario
from sim.metrics.timeseries import Sampler
from sim.model.case import CaseTable
from sim.model.citylink import PartitionLink
from sim.model.engine import Model, no_cycle_collection
from sim.model.record import RunRecord
from sim.model.routing import decide
from sim.world import World, generate_world

# the longest window: progress and the partitions' hourly samples keep pace
MAX_WINDOW = 24.0


def county_groups(world: World, parts: int) -> list[list[int]]:
    """Counties into ``parts`` groups of near-equal households (largest first, greedy)."""
    households = np.bincount(world.township_county[world.community_township],
                             weights=world.community_households,
                             minlength=world.county_code.shape[0])
    groups: list[list[int]] = [[] for _ in range(min(parts, households.shape[0]))]
    load = np.zeros(len(groups))
    for c in np.argsort(-households, kind="stable").tolist():
        g = int(np.argmin(load))
        groups[g].append(c)
        load[g] += households[c]
    return [sorted(g) for g in groups]


def reaches_city(scenario: Scenario) -> bool:
    """Whether any case type's routing can climb to the city tier (from the entry centre,
    by the rules' routing decisions; a department unit without staff only keeps a case at
    its centre, it never sends it higher)."""
    tiers = [t for t in ("township", "county", "city") if t in scenario.rules.centres.tiers]
    if "city" not in tiers:
        return False
    depts = scenario.rules.departments
    for ct in scenario.workload.types.values():
        for i, tier in enumerate(tiers[:-1]):
            dept = ct.department
            d = decide(tier, ct.resolve_tier, dept,
                       tuple(depts[dept].tiers) if dept in depts else ("county",),
                       dept in depts, scenario.rules.routing.lateral_before_escalation,
                       tiers[i + 1])
            if d.action != "escalate":
                break
        else:
            return True
    return False


@dataclass
class Part:
    """What a partition ships back: its rows of the case table and its measurements."""

    rows: np.ndarray
    cases: CaseTable
    record: RunRecord
    timeseries: pa.Table
    capacity: dict[str, int]


def _partition(conn: Connection, scenario: Scenario, days: float, seed: int,
               counties: list[int], warmup: float) -> None:
    """A partition's process: run window by window as the parent says, then ship a Part."""
    try:
        world = generate_world(scenario)
        m = Model(scenario, world, days, seed, counties=counties, warmup=warmup,
                  part="counties")
        link = m.city_link
        assert link is not None
        sampler = Sampler(m)
        m.start(sampler)
        with no_cycle_collection():
            _follow(conn, m, link)
        m.finish()
        rec = m.record()
        rows = np.flatnonzero(m.grid_mask[m.arrivals.grid])
        # the parent has the world and the whole-city arrays: ship this partition's rows
        slim = replace(rec, world=None, cases=None)  # type: ignore[arg-type]
        conn.send(("part", Part(rows, rec.cases.take(rows), slim, sampler.table(),
                                sampler.capacity)))
    except BaseException:  # the parent re-raises it with the partition's traceback
        conn.send(("error", traceback.format_exc()))
        raise


def _follow(conn: Connection, m: Model, link: PartitionLink) -> None:
    """Run window by window as the parent says, until it says the run is over; a window of
    several days is run a day at a time, each day reported (for the parent's progress)."""
    while True:
        msg = conn.recv()
        if msg[0] != "run":
            link.deliver([], msg[1])
            return
        _, until, returns, rows = msg
        link.deliver(returns, rows)
        day = np.floor(m.env.now / 24.0) + 1
        while day * 24.0 < until:
            m.advance(day * 24.0)
            conn.send(("day", int(day)))
            day += 1
        m.advance(until)
        conn.send(("sent", link.take_outbox()))


def _receive(conn: Connection, expect: str,
             day: Callable[[int], None] | None = None) -> Any:
    """The partition's next message of kind ``expect`` (days done on the way go to ``day``;
    a partition's failure is raised here with its traceback)."""
    while True:
        kind, payload = conn.recv()
        if kind == "day":
            if day is not None:
                day(payload)
            continue
        if kind == "error":
            raise RuntimeError(f"a partition failed:\n{payload}")
        assert kind == expect, kind
        return payload


class _Split:
    """The parent's view of a split run: the city process's model and who owns each case."""

    def __init__(self, city: Model, groups: list[list[int]]) -> None:
        self.city = city
        desk = city.desk
        assert desk is not None
        self.desk = desk
        self.groups = groups
        owner = np.full(city.world.county_code.shape[0], -1)
        for k, g in enumerate(groups):
            owner[g] = k
        self.case_owner = owner[city.world.grid_county[city.arrivals.grid]]

    def by_partition(self, items: list, case: Callable[[Any], int]) -> list[list]:
        """``items`` (each about the case ``case(item)``) into one list per partition."""
        out: list[list] = [[] for _ in self.groups]
        for item in items:
            out[self.case_owner[case(item)]].append(item)
        return out

    def lead(self, conns: list[Connection], coupled: bool,
             progress: Callable[[int], None] | None) -> None:
        """Advance every process window by window to the horizon (see the module docstring
        and :mod:`sim.model.citylink`). Uncoupled partitions run in one window, reporting
        their days."""
        city, desk = self.city, self.desk
        t, horizon = 0.0, city.horizon
        days = [0] * len(conns)
        shown = [0]

        def day_done(k: int) -> Callable[[int], None]:
            def done(d: int) -> None:
                days[k] = d
                if progress is not None and min(days) > shown[0]:
                    shown[0] = min(days)
                    progress(shown[0])
            return done

        while t < horizon:
            w = min(horizon, t + MAX_WINDOW, (np.floor(t / 24.0) + 1) * 24.0) if coupled \
                else horizon
            if coupled:
                w = min(w, desk.safe_until(t))
            returns = self.by_partition(desk.returns_before(w), lambda r: r[1])
            rows = self.by_partition(desk.finished_rows(), lambda r: r[0])
            for k, conn in enumerate(conns):
                conn.send(("run", w, returns[k], rows[k]))
            inbox = sorted((m for k, conn in enumerate(conns)
                            for m in _receive(conn, "sent", day_done(k))),
                           key=lambda m: (m[1], m[2]))
            desk.receive(inbox)
            city.advance(w)
            t = w
            for k in range(len(conns)):
                day_done(k)(int(t // 24))


def run_partitioned(scenario: Scenario, days: float, seed: int, processes: int,
                    progress: Callable[[int], None] | None = None, warmup: float = 0.0,
                    ) -> tuple[RunRecord, pa.Table]:
    """Run ``scenario`` on ``processes`` processes, one group of counties each, with the
    city tier in this one, for a warm-up of ``warmup`` days and then ``days`` measured."""
    world = generate_world(scenario)
    city = Model(scenario, world, days, seed, warmup=warmup, part="city")
    split = _Split(city, county_groups(world, processes))
    city_sampler = Sampler(city)
    city.start(city_sampler)
    ctx = mp.get_context("spawn")
    conns, procs = [], []
    try:
        for g in split.groups:
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(target=_partition, daemon=True,
                               args=(theirs, scenario, days, seed, g, warmup))
            proc.start()
            theirs.close()
            conns.append(mine)
            procs.append(proc)
        with no_cycle_collection():
            split.lead(conns, reaches_city(scenario), progress)
        desk = split.desk
        rows = split.by_partition(desk.finished_rows() + desk.open_rows(), lambda r: r[0])
        for k, conn in enumerate(conns):
            conn.send(("end", rows[k]))
        parts = [_receive(conn, "part") for conn in conns]
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
    city.finish()
    city_part = Part(np.zeros(0, np.int64), CaseTable(0), city.record(), city_sampler.table(),
                     city_sampler.capacity)
    return merge(world, parts, city_part), merge_timeseries([*parts, city_part])


def merge(world: World, parts: list[Part], city: Part) -> RunRecord:
    """One record from the partitions' records and the city process's pools."""
    first = parts[0].record
    cases = CaseTable(len(first.arrivals))
    for p in parts:
        cases.put(p.rows, p.cases)
    rec = parts[0].record
    return replace(
        rec, world=world, cases=cases,
        pools=[s for p in parts for s in p.record.pools] + city.record.pools,
        patrol_due=sum(p.record.patrol_due for p in parts),
        patrol_done=sum(p.record.patrol_done for p in parts),
        sweep_due=sum(p.record.sweep_due for p in parts),
        sweep_done=sum(p.record.sweep_done for p in parts),
        visit_log=[v for p in parts for v in p.record.visit_log],
        open_cases=sum(p.record.open_cases for p in parts),
    )


def merge_timeseries(parts: list[Part]) -> pa.Table:
    """Sum the partitions' hourly samples per (hour, tier); utilisation over total staff."""
    table = pa.concat_tables([p.timeseries for p in parts])
    summed = table.group_by(["t_hours", "tier"], use_threads=False).aggregate([
        ("backlog", "sum"), ("queue", "sum"), ("in_service", "sum"), ("open_cases", "sum")])
    capacity: dict[str, int] = {}
    for p in parts:
        for tier, c in p.capacity.items():
            capacity[tier] = capacity.get(tier, 0) + c
    tiers = summed.column("tier").to_pylist()
    busy = summed.column("in_service_sum").to_numpy()
    util = busy / np.array([capacity[t] for t in tiers], dtype=float)
    out = pa.table({
        "t_hours": summed.column("t_hours"),
        "tier": summed.column("tier"),
        "backlog": pc.cast(summed.column("backlog_sum"), pa.int32()),
        "queue": pc.cast(summed.column("queue_sum"), pa.int32()),
        "in_service": pc.cast(summed.column("in_service_sum"), pa.int32()),
        "utilisation": pa.array(util, pa.float64()),
        "open_cases": pc.cast(summed.column("open_cases_sum"), pa.int32()),
    })
    return out.sort_by([("t_hours", "ascending"), ("tier", "ascending")])
