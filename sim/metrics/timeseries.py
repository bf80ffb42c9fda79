"""Hourly samples per tier: backlog (waiting + in service), in service, utilisation."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyarrow as pa

from sim.model.clock import Calendar
from sim.model.engine import Model
from sim.model.resource import Pool, Tally

SERIES_TIERS = ("grid", "township", "county", "city", "department")


def _series_tier(p: Pool) -> str:
    return "department" if p.kind == "department" else p.tier


class Sampler:
    """Called hourly by the model; keeps one row per (hour, tier). Made before the run (it
    sets up the pools' shared tallies)."""

    def __init__(self, m: Model) -> None:
        self.m = m
        groups: dict[str, list[Pool]] = defaultdict(list)
        for p in m.all_pools():
            groups[_series_tier(p)].append(p)
        tiers = [t for t in SERIES_TIERS if groups.get(t)]
        self.capacity = {t: sum(r.capacity for p in groups[t] for r in p.rosters)
                         for t in tiers}
        # a tier's pools share a queue tally, and its rosters working on one calendar a busy
        # tally: a sample costs a few reads per tier
        self.queues: dict[str, Tally] = {}
        self.tallies: dict[str, list[tuple[Calendar, Tally]]] = {}
        for tier in tiers:
            queue = self.queues[tier] = Tally()
            busy: dict[int, Tally] = {}
            cals: dict[int, Calendar] = {}
            for p in groups[tier]:
                p.share_tally(queue, busy)
                cals.update((id(r.work_cal), r.work_cal) for r in p.rosters)
            self.tallies[tier] = [(cals[k], busy[k]) for k in busy]
        self.rows: dict[str, list[float]] = defaultdict(list)

    def __call__(self, t: float) -> None:
        open_cases = float(self.m.open_cases)
        for tier, tallies in self.tallies.items():
            queue = self.queues[tier].queue
            # a server holding a job off shift is not working: count it only on shift
            busy = sum(tally.busy for cal, tally in tallies if cal.is_open(t))
            self.rows["t_hours"].append(t)
            self.rows["tier"].append(tier)  # type: ignore[arg-type]
            self.rows["backlog"].append(float(queue + busy))
            self.rows["queue"].append(float(queue))
            self.rows["in_service"].append(float(busy))
            self.rows["utilisation"].append(busy / self.capacity[tier])
            self.rows["open_cases"].append(open_cases)

    def table(self) -> pa.Table:
        """The samples as a table (schema fixed)."""
        return pa.table({
            "t_hours": pa.array(self.rows["t_hours"], pa.float64()),
            "tier": pa.array(self.rows["tier"], pa.string()),
            "backlog": pa.array(np.asarray(self.rows["backlog"], dtype=np.int32)),
            "queue": pa.array(np.asarray(self.rows["queue"], dtype=np.int32)),
            "in_service": pa.array(np.asarray(self.rows["in_service"], dtype=np.int32)),
            "utilisation": pa.array(self.rows["utilisation"], pa.float64()),
            "open_cases": pa.array(np.asarray(self.rows["open_cases"], dtype=np.int32)),
        })
