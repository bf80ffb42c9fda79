"""The benchmarks behind `gridsim bench`: each returns its figures as a dict.

Times are wall-clock seconds of this machine; ratios are measured in one run against a
baseline so that machine load affects both sides alike. Nothing here is asserted.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sim.bench.naive import NaiveModel
from sim.config import load_scenario
from sim.model import Model
from sim.runner import simulate
from sim.world import generate_world

_WORLD_CHILD = """
import json, resource, sys, time
from sim.config import load_scenario
from sim.world import generate_world
s = load_scenario(sys.argv[1])
t = time.perf_counter()
w = generate_world(s)
wall = time.perf_counter() - t
print(json.dumps({"seconds": wall, "households": w.n_households, "grids": len(w.grid_code),
                  "workers": len(w.worker_role),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_world(scenario: Path) -> dict[str, Any]:
    """World generation time and peak memory, in a fresh process (so the peak is its own)."""
    out = subprocess.run([sys.executable, "-c", _WORLD_CHILD, str(scenario)], check=True,
                         capture_output=True, text=True)
    return {"benchmark": "world", "scenario": str(scenario), **json.loads(out.stdout)}


def bench_model(scenario: Path, days: float, seed: int = 1) -> dict[str, Any]:
    """This model against the straightforward SimPy model, same district and days, one run."""
    s = load_scenario(scenario)
    world = generate_world(s)
    rows = {}
    for name, make in (("naive", lambda: NaiveModel(s, world, seed)),
                       ("gridsim", lambda: Model(s, world, days, seed))):
        model = make()
        t = time.perf_counter()
        if isinstance(model, NaiveModel):
            closed = model.run(days)
            events = model.events
        else:
            model.run()
            closed = model.closed_count
            events = int(next(model.env._eid))  # type: ignore[attr-defined]
        wall = time.perf_counter() - t
        rows[name] = {"seconds": wall, "simpy_events": events, "events_per_second":
                      events / wall, "cases_closed": closed,
                      "case_days_per_second": closed / wall}
    return {
        "benchmark": "model", "scenario": str(scenario), "days": days, **rows,
        "speedup": rows["naive"]["seconds"] / rows["gridsim"]["seconds"],
        "note": "speedup = naive wall time / gridsim wall time for the same district and days",
    }


def bench_run(scenario: Path, days: float | None, processes: int) -> dict[str, Any]:
    """A whole `gridsim run` (world, simulation, metrics) timed end to end."""
    s = load_scenario(scenario)
    t = time.perf_counter()
    r = simulate(s, days=days, processes=processes)
    wall = time.perf_counter() - t
    return {"benchmark": "run", "scenario": str(scenario), "days": r.kpis["days"],
            "warmup_days": r.kpis["warmup"]["used_days"], "processes": processes,
            "seconds": wall, "households": r.record.world.n_households,
            "cases_reported": r.kpis["cases"]["reported"],
            "peak_rss_mb_this_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
