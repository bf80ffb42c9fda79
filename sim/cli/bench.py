"""`gridsim bench`: world generation, model speed against a naive SimPy model, whole runs."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from sim.bench.suite import bench_model, bench_run, bench_world
from sim.cli import app
from sim.cli.common import JsonOpt, console, print_json, table


class Which(StrEnum):
    """What to measure."""

    world = "world"
    model = "model"
    run = "run"


@app.command("bench")
def bench_cmd(
    which: Annotated[Which, typer.Argument(
        help="world: generate SCENARIO's world in a fresh process (time, peak memory); "
        "model: this model against a straightforward SimPy model on SCENARIO (same run); "
        "run: a whole simulation of SCENARIO end to end.")],
    scenario: Annotated[Path | None, typer.Option(
        "--scenario", help="Scenario file (default: city for world, the district otherwise).")
    ] = None,
    days: Annotated[float | None, typer.Option(
        "--days", help="Days to simulate (model: default 30; run: the scenario's).")] = None,
    processes: Annotated[int, typer.Option(
        "--processes", min=1, help="run: counties on this many processes.")] = 1,
    json_out: JsonOpt = False,
) -> None:
    """Measure and print figures; nothing is asserted. See README 'Benchmarks'."""
    root = Path("scenarios")
    if which is Which.world:
        result = bench_world(scenario or root / "city-qingdao.toml")
    elif which is Which.model:
        result = bench_model(scenario or root / "district-jiangsu.toml", days or 30)
    else:
        result = bench_run(scenario or root / "district-jiangsu.toml", days, processes)
    if json_out:
        print_json(result)
        return
    flat = []
    for k, v in result.items():
        if isinstance(v, dict):
            flat += [{"figure": f"{k}.{kk}", "value": vv} for kk, vv in v.items()]
        else:
            flat.append({"figure": k, "value": v})
    console.print(table(f"bench {which.value}", flat, ["figure", "value"]))
