"""`gridsim deadlines`: the tightest handling deadline per case type and urgency that the
current staffing keeps at a given on-time rate."""

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
from sim.planning.deadlines import analyse, check_on_time, deadlines_report, handling_times
from sim.planning.experiment import Design, Source, run_variants
from sim.planning.reporting import design_text


@app.command("deadlines")
def deadlines_cmd(
    scenario: ScenarioArg,
    out: OutOpt,
    on_time: Annotated[float, typer.Option(
        "--on-time", help="The on-time rate the deadlines must keep (a share, e.g. 0.9).")] = 0.9,
    reps: RepsOpt = 5,
    days: DaysOpt = None,
    processes: ProcessesOpt = None,
    dask: DaskOpt = None,
    json_out: JsonOpt = False,
    sets: SetOpt = None,
    rules: RulesOpt = None,
    seed: SeedOpt = None,
) -> None:
    """For each case type and urgency of SCENARIO, the tightest handling deadline (working
    hours, on the deadline's clock) that the current staffing keeps at --on-time: the quantile
    of handling time in each replication (Kaplan-Meier, so unhandled cases count), mean and
    95% CI over replications. Writes the report and every run to --out."""
    rate = check_on_time(on_time)
    source = Source.of(scenario, sets, rules, seed)
    variant = source.variant("scenario")
    design = Design.of(variant.scenario, reps, days)
    with open_runner(processes, dask, quiet=json_out) as runner:
        results = run_variants(runner, [variant], design, probe=handling_times)
        cells = analyse(results, rate)
        report = deadlines_report(results, cells, rate, runner)
    if json_out:
        html = deliver(report, out, None)
        print_json({"on_time": rate, "seeds": list(design.seeds), "days": design.days,
                    "report": str(html),
                    "cells": [{"type": c.type, "urgency": c.urgency,
                               "cases_per_run": c.cases_per_run,
                               "current_hours": c.current_hours, "on_time_now": c.on_time_now,
                               "tightest_hours": vars(c.tightest)} for c in cells]})
        return
    s = variant.scenario
    console.print(f"[bold]{escape(s.meta.name)}[/] under {s.rules.jurisdiction.name_zh} rules: "
                  f"tightest deadlines at {rate:.0%} on time; {design_text(design, runner)}")
    console.print(table("Handling deadlines, working hours (normal difficulty)", [
        {"type": c.type, "urgency": c.urgency, "cases/run": c.cases_per_run,
         "today": c.current_hours, "on time today": f"{c.on_time_now:.1%}",
         **({"tightest": _hours(c.tightest.mean),
             "95% CI": f"[{_hours(c.tightest.lo)}, {_hours(c.tightest.hi)}]"} if c.reached
            else {"tightest": "beyond run", "95% CI": ""})}
        for c in cells]))
    deliver(report, out, console)


def _hours(x: float) -> str:
    return "–" if x != x else f"{x:,.1f}"  # NaN: no replication reached the on-time rate
