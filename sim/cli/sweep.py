"""`gridsim sweep`: any scenario keys over a grid of values, replicated, in one table."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from sim.cli import app
from sim.cli.common import (
    DaysOpt,
    JsonOpt,
    RulesOpt,
    ScenarioArg,
    SeedOpt,
    SetOpt,
    console,
    print_json,
    table,
)
from sim.planning.cli import DaskOpt, OutOpt, ProcessesOpt, RepsOpt, deliver, open_runner
from sim.planning.experiment import Design, Source, run_variants
from sim.planning.measures import lookup
from sim.planning.reporting import ci_text, design_text
from sim.planning.sweep import grid_variants, parse_vary, sweep_report


@app.command("sweep")
def sweep_cmd(
    scenario: ScenarioArg,
    vary: Annotated[list[str], typer.Option(
        "--vary", metavar="KEY=V1,V2,...", show_default=False,
        help="A scenario key (as for --set) and the values to try, comma-separated TOML "
        "literals, e.g. staffing.centres.county=6,8,10 or scenario.rules=jiangsu,qingdao. "
        "Repeatable: every combination runs.")],
    out: OutOpt,
    kpi: Annotated[list[str] | None, typer.Option(
        "--kpi", help="KPI to show on the terminal and chart, e.g. on_time, on_time.accept, "
        "time_to_close.p90, utilisation.centre.county; repeatable (default: on_time, "
        "time_to_close.p90). The report's table has every KPI.")] = None,
    reps: RepsOpt = 4,
    days: DaysOpt = None,
    processes: ProcessesOpt = None,
    dask: DaskOpt = None,
    json_out: JsonOpt = False,
    sets: SetOpt = None,
    rules: RulesOpt = None,
    seed: SeedOpt = None,
) -> None:
    """Run SCENARIO at every combination of the --vary values, each replicated with the same
    seeds, and tabulate the KPIs with 95% CIs (a chart per --kpi when one key varies). Writes
    the report, the table and every run to --out."""
    axes = [parse_vary(v) for v in vary]
    shown = [lookup(k) for k in kpi or ["on_time", "time_to_close.p90"]]
    source = Source.of(scenario, sets, rules, seed)
    variants = grid_variants(source, axes)
    design = Design.of(source.load(), reps, days)
    with open_runner(processes, dask, quiet=json_out) as runner:
        results = run_variants(runner, variants, design)
        report = sweep_report(results, axes, shown, runner)
    if json_out:
        html = deliver(report, out, None)
        print_json({"seeds": list(design.seeds), "days": design.days, "report": str(html),
                    "points": [{"settings": dict(v.settings),
                                "kpis": {m.key: vars(results.summary(i, m))
                                         for m in results.measures()}}
                               for i, v in enumerate(variants)]})
        return
    console.print(f"[bold]{escape(variants[0].scenario.meta.name)}[/]: {len(variants)} grid "
                  f"points × {design_text(design, runner)}")
    console.print(table("Sweep (mean [95% CI])", [
        {**{k: escape(x) for k, x in v.settings.items()},
         **{m.key: ci_text(m, results.summary(i, m)) for m in shown}}
        for i, v in enumerate(variants)]))
    deliver(report, out, console)
