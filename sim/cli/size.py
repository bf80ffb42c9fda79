"""`gridsim size`: the least staffing per tier that meets a target, from an Erlang C first cut
refined by replicated simulation."""

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
from sim.config import ScenarioError
from sim.planning.cli import DaskOpt, OutOpt, ProcessesOpt, RepsOpt, deliver, open_runner
from sim.planning.experiment import Design, Source
from sim.planning.measures import utilisation
from sim.planning.reporting import ci_text, design_text, stability_lines
from sim.planning.size import TIERS, parse_target, size, tiers_of
from sim.planning.size_report import SizingView, size_json, size_report, staffing_rows


@app.command("size")
def size_cmd(
    scenario: ScenarioArg,
    target: Annotated[str, typer.Option(
        "--target", metavar="KPI=VALUE", show_default=False,
        help="What the staffing must achieve, with 95% confidence: on_time=0.95 (cases handled "
        "by their deadline, a case still open past it counting as late), "
        "on_time.accept|dispatch|handle|verify=RATE (gridsim run's on-time rates, counted "
        "the same way), or time_to_close.p50|p90|p99=HOURS (open cases censored).")],
    out: OutOpt,
    tier: Annotated[list[str] | None, typer.Option(
        "--tier", help="Tier to size: grid (full-time workers per grid), township, county or "
        "city (staff per centre) or department (handlers, in tenths of the scenario's rates). "
        "Repeatable; default: every tier the rules staff, sized jointly.")] = None,
    reps: RepsOpt = 4,
    days: DaysOpt = None,
    processes: ProcessesOpt = None,
    dask: DaskOpt = None,
    json_out: JsonOpt = False,
    sets: SetOpt = None,
    rules: RulesOpt = None,
    seed: SeedOpt = None,
) -> None:
    """Find the least staffing of SCENARIO that meets --target: an Erlang C first cut per tier
    from a baseline run's measured loads, then a simulation search (same seeds for every
    candidate; a candidate meets the target when its 95% CI does; candidates whose first two
    runs already decide stop there, the rest get --reps). Writes a report with the staffing
    per tier and role, its KPIs and cost, the on-time curve and every run to --out."""
    goal = parse_target(target)
    source = Source.of(scenario, sets, rules, seed)
    base = source.load()
    unknown = [t for t in tier or () if t not in TIERS]
    if unknown:
        raise ScenarioError("--tier", unknown[0], f"unknown tier (one of {', '.join(TIERS)})")
    tiers = list(dict.fromkeys(tier)) if tier else tiers_of(base)
    design = Design.of(base, reps, days)
    with open_runner(processes, dask, quiet=json_out) as runner:
        sizing = size(runner, source, goal, tiers, design)
        view = SizingView(sizing, source)
        report = size_report(view, runner)
    if json_out:
        html = deliver(report, out, None)
        print_json({**size_json(view), "report": str(html)})
        return
    console.print(f"[bold]{escape(base.meta.name)}[/] under "
                  f"{base.rules.jurisdiction.name_zh} rules: sizing {', '.join(tiers)} for "
                  f"{goal}; {design_text(design, runner)}")
    console.print(table("Erlang C first cut (ladder level per tier)", [
        {"tier": t, "level": fc.level, "service level": fc.erlang.service_level,
         "P(wait)": fc.erlang.p_wait, "mean wait h": fc.erlang.mean_wait,
         "jobs/open h": fc.arrivals_per_hour, "h/job": fc.service_hours}
        for t, fc in sizing.first_cuts.items()]))
    rec = sizing.recommended
    if rec is None or not sizing.reachable:
        console.print(f"[red]No staffing of {', '.join(tiers)} met {goal}[/]: "
                      f"{sizing.why_not}. See the report's candidates.")
    else:
        util = utilisation("any")
        console.print(table("Recommended staffing", [
            {"role": r["role"].replace("department_handler.", "dept "), "level": r["level"],
             "headcount": r["headcount"],
             "utilisation": ci_text(util, r["utilisation"]) if r["utilisation"] else "",
             "yuan/year": r["annual_cost_yuan"]}
            for r in staffing_rows(view)]))
        console.print(f"{goal.measure.key}: {ci_text(goal.measure, rec.summary)} over "
                      f"{rec.summary.n} runs")
        for line in stability_lines(sizing.results, [rec.variant]):
            console.print(f"[bold red]{escape(line)}[/]")
    console.print(f"{len(sizing.candidates)} candidates, {runner.runs} runs")
    deliver(report, out, console)
