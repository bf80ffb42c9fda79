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
from sim.world import World, generate_world


@dataclass
class RunResult:
    """What one run produced."""

    model: Model
    kpis: dict[str, Any]
    cases: pa.Table
    timeseries: pa.Table


def simulate(scenario: Scenario, days: float | None = None, seed: int | None = None,
             world: World | None = None, trace: bool = False,
             progress: Callable[[float], None] | None = None) -> RunResult:
    """Simulate ``scenario`` for ``days`` (default: the scenario's) with ``seed``.

    The world is generated from the scenario's seed (so replications vary the dynamics on one
    world) unless given; the run's randomness comes from ``seed``.
    """
    days = scenario.meta.days if days is None else days
    seed = scenario.meta.seed if seed is None else seed
    world = generate_world(scenario) if world is None else world
    model = Model(scenario, world, days, seed, trace=trace)
    sampler = Sampler(model)
    model.run(progress=progress, sample=sampler)
    kpis = compute_kpis(model)
    kpis["seed"] = seed
    kpis["world_seed"] = world.seed
    return RunResult(model, kpis, case_table(model), sampler.table())


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
