"""Split a run across processes by county, and merge the partitions back into one record.

Counties are independent up to the county tier; what they share is the city tier (centre and
city departments). Each partition gets the city-tier staff in proportion to its households
(at least one per pool), so a partitioned run approximates the shared city queue by one queue
per partition. Arrivals and per-case draws are made for the whole city in every partition
(they are cheap and vectorised), so case ids, seeds and every county's dynamics below the city
tier are the same however many processes run.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sim.config.scenario import Scenario
from sim.metrics.timeseries import Sampler
from sim.model.case import CaseTable
from sim.model.engine import Model
from sim.model.record import RunRecord
from sim.world import World, generate_world


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


@dataclass
class Part:
    """What a partition ships back: its rows of the case table and its measurements."""

    rows: np.ndarray
    cases: CaseTable
    record: RunRecord
    timeseries: pa.Table
    capacity: dict[str, int]


def _run_part(scenario: Scenario, days: float, seed: int, counties: list[int], share: float,
              queue: mp.Queue | None, warmup: float) -> Part:
    world = generate_world(scenario)
    m = Model(scenario, world, days, seed, counties=counties, city_share=share, warmup=warmup)
    sampler = Sampler(m)
    m.run(progress=(lambda d: queue.put(1)) if queue is not None else None, sample=sampler)
    rec = m.record()
    rows = np.flatnonzero(m.grid_mask[m.arrivals.grid])
    part_cases = rec.cases.take(rows)
    # the parent has the world and the whole-city arrays; ship only this partition's rows
    slim = replace(rec, world=None, cases=None)  # type: ignore[arg-type]
    return Part(rows, part_cases, slim, sampler.table(), sampler.capacity)


def run_partitioned(scenario: Scenario, days: float, seed: int, processes: int,
                    progress: Callable[[int], None] | None = None, warmup: float = 0.0,
                    ) -> tuple[RunRecord, pa.Table]:
    """Run ``scenario`` on ``processes`` processes, one group of counties each, for a
    warm-up of ``warmup`` days and then ``days`` measured."""
    world = generate_world(scenario)
    groups = county_groups(world, processes)
    households = np.bincount(world.township_county[world.community_township],
                             weights=world.community_households,
                             minlength=world.county_code.shape[0])
    total = households.sum()
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager, ProcessPoolExecutor(len(groups), mp_context=ctx) as pool:
        queue = manager.Queue() if progress is not None else None
        futures = [pool.submit(_run_part, scenario, days, seed, g,
                               float(households[g].sum() / total), queue, warmup)
                   for g in groups]
        done_days = 0
        while progress is not None and not all(f.done() for f in futures):
            try:
                done_days += queue.get(timeout=0.2)  # type: ignore[union-attr]
                progress(done_days)
            except queue_mod.Empty:
                continue
        parts = [f.result() for f in futures]
    return merge(world, parts), merge_timeseries(parts)


def merge(world: World, parts: list[Part]) -> RunRecord:
    """One record from the partitions' records."""
    first = parts[0].record
    cases = CaseTable(len(first.arrivals))
    for p in parts:
        cases.put(p.rows, p.cases)
    rec = parts[0].record
    return replace(
        rec, world=world, cases=cases,
        pools=[s for p in parts for s in p.record.pools],
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
