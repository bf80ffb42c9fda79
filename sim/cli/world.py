"""`gridsim world`: generate a scenario's world, summarise it and check it against its rules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli import app
from sim.cli.common import (
    JsonOpt,
    RulesOpt,
    ScenarioArg,
    SeedOpt,
    SetOpt,
    console,
    kv_table,
    load,
    print_json,
    table,
)
from sim.world import generate_world
from sim.world.export import export_world
from sim.world.summary import summarise


@app.command("world")
def world_cmd(
    scenario: ScenarioArg,
    json_out: JsonOpt = False,
    export: Annotated[Path | None, typer.Option(
        "--export", help="Write grids, households, workers and units as Parquet (plus the "
        "platform's directory.json) into this folder.")] = None,
    names: Annotated[bool, typer.Option(
        "--names", help="With --export: add synthetic Faker zh_CN names, phones and "
        "addresses (slow for millions of households).")] = False,
    sets: SetOpt = None,
    rules: RulesOpt = None,
    seed: SeedOpt = None,
) -> None:
    """Generate the world of SCENARIO and show units per tier, grids, households, special
    households, workers by role, and every violation of the jurisdiction's rules."""
    s = load(scenario, sets, rules, seed)
    with console.status("generating world…"):
        w = generate_world(s)
        summary = summarise(w, s.rules)
    if export:
        with console.status(f"exporting to {export}…"):
            paths = export_world(w, export, names=names)
        summary["exported"] = {k: str(v) for k, v in paths.items()}
    if json_out:
        print_json(summary)
        return
    j = s.rules.jurisdiction
    console.print(f"[bold]{s.meta.name}[/]: world [bold]{w.name}[/] under "
                  f"[bold]{j.name_zh}[/] rules ({j.instrument}), seed {w.seed}")
    rows = [{"tier": r["tier"], "units": r["units"], "grids/unit": r["grids_per_unit"],
             "households/unit": r["households_per_unit"],
             "residents/unit": r["residents_per_unit"], "staff": r["staff_at_tier"],
             "detail": r["detail"]} for r in summary["tiers"]]
    console.print(table("Units per tier (means per unit; staff based at the tier)", rows))
    console.print(f"Households: {summary['households']:,}; residents: {summary['residents']:,}")
    console.print(kv_table("Grids by kind", summary["grids"]))
    hh = summary["grid_households"]
    console.print(f"Households per comprehensive grid: min {hh['min']}, mean {hh['mean']}, "
                  f"max {hh['max']}")
    console.print(kv_table("Special households", summary["special_households"]))
    console.print(kv_table("Workers by role", summary["workers"], "role"))
    if summary["exclusive_units_without_grid"]:
        console.print(kv_table("Exclusive units these rules give no grid of their own",
                               summary["exclusive_units_without_grid"]))
    violations = summary["violations"]
    if violations:
        console.print(table(f"Rule compliance: {len(violations)} kind(s) of violation",
                            [{**v, "examples": ", ".join(v["examples"][:2])} for v in violations],
                            ["check", "count", "detail", "rule", "examples"]))
    else:
        console.print("[green]Rule compliance: no violations[/]")
    if export:
        console.print(f"Exported to {export}: " + ", ".join(Path(p).name
                                                           for p in summary["exported"].values()))
