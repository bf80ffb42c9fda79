"""Run a scenario: generate its world, simulate, and collect cases, time series and KPIs."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.config.scenario import Scenario
from sim.metrics.kpis import compute_kpis
from sim.metrics.records import case_table
from sim.metrics.timeseries import Sampler
from sim.model.engine import Model
from sim.model.partition import run_partitioned
from sim.model.record import RunRecord
from sim.world import World, generate_world


@dataclass
class RunResult:
    """What one run produced; ``model`` is the live model of a single-process run."""

    record: RunRecord
    kpis: dict[str, Any]
    cases: pa.Table
    timeseries: pa.Table
    model: Model | None = None


def simulate(scenario: Scenario, days: float | None = None, seed: int | None = None,
             world: World | None = None, trace: bool = False,
             progress: Callable[[float], None] | None = None,
             processes: int = 1, warmup: float | None = None) -> RunResult:
    """Simulate ``scenario`` for a warm-up of ``warmup`` days, then ``days`` measured
    (defaults: the scenario's ``warmup_days`` and ``days``) with ``seed``.

    The world is generated from the scenario's seed (so replications vary the dynamics on one
    world) unless given — a given world must come from the same scenario, staffing included.
    The run's randomness comes from ``seed``. With ``processes`` > 1 the counties are split
    across processes (see :mod:`sim.model.partition`; not with ``trace``).
    """
    days = scenario.meta.days if days is None else days
    seed = scenario.meta.seed if seed is None else seed
    warmup = scenario.meta.warmup_days if warmup is None else warmup
    model = None
    if processes > 1 and scenario.world.county_count > 1 and not trace:
        record, timeseries = run_partitioned(scenario, days, seed, processes, progress, warmup)
    else:
        world = generate_world(scenario) if world is None else world
        model = Model(scenario, world, days, seed, trace=trace, warmup=warmup)
        sampler = Sampler(model)
        model.run(progress=progress, sample=sampler)
        record, timeseries = model.record(), sampler.table()
    kpis = compute_kpis(record, timeseries)
    kpis["seed"] = seed
    kpis["world_seed"] = record.world.seed
    kpis["processes"] = processes if model is None else 1
    return RunResult(record, kpis, case_table(record), timeseries, model)


def write_outputs(result: RunResult, out: Path) -> dict[str, Path]:
    """Write ``cases.parquet``, ``timeseries.parquet`` and ``kpis.json`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"cases": out / "cases.parquet", "timeseries": out / "timeseries.parquet",
             "kpis": out / "kpis.json"}
    pq.write_table(result.cases, paths["cases"], compression="zstd")
    pq.write_table(result.timeseries, paths["timeseries"], compression="zstd")
    paths["kpis"].write_text(json.dumps(result.kpis, ensure_ascii=False, indent=2,
                                        sort_keys=True) + "\n", encoding="utf-8")
    return paths
