"""`gridsim run`: simulate a scenario and write cases, time series and KPIs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reports.run_report import write_run_report
from sim.cli import app
from sim.cli.common import (
    DaysOpt,
    JsonOpt,
    RulesOpt,
    ScenarioArg,
    SeedOpt,
    SetOpt,
    console,
    load,
    print_json,
    table,
    warn_uncovered_holidays,
)
from sim.runner import simulate, write_outputs

OutOpt = Annotated[Path, typer.Option(
    "--out", help="Folder for cases.parquet, timeseries.parquet and kpis.json (created).")]


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def kpi_rows(k: dict[str, Any]) -> list[dict[str, Any]]:
    """The headline KPIs as table rows."""
    ttc = k["time_to_close_hours"]["all"]
    fmt = lambda v: "–" if v is None else f"{v:.1f} h"  # noqa: E731
    return [
        {"kpi": "cases reported / closed / open",
         "value": " / ".join(f"{k['cases'][x]:,}" for x in ("reported", "closed", "open"))},
        *({"kpi": f"on-time {step}", "value": _pct(v["rate"])} for step, v in k["on_time"].items()),
        {"kpi": "time to close mean / p50 / p90 / p99",
         "value": " / ".join(fmt(ttc[q]) for q in ("mean", "p50", "p90", "p99"))},
        {"kpi": "self-resolution by grid workers", "value": _pct(k["rates"]["self_resolution"])},
        {"kpi": "escalated past the grid", "value": _pct(k["rates"]["escalation"])},
        {"kpi": "overdue / written explanations",
         "value": f"{k['overdue']['count']:,} / {k['overdue']['explanations']:,}"},
        {"kpi": "supervision 督办 yellow / red",
         "value": f"{k['overdue']['supervision_yellow']:,} / {k['overdue']['supervision_red']:,}"},
        {"kpi": "feedback rate", "value": _pct(k["feedback"]["rate"])},
        {"kpi": "patrol coverage (patrols / visits)",
         "value": f"{_pct(k['patrol_coverage']['patrols'])} / "
                  f"{_pct(k['patrol_coverage']['visits'])}"},
        *({"kpi": f"utilisation {role}", "value": _pct(v["total"])}
          for role, v in k["utilisation"].items() if not role.startswith("department.")),
    ]


@app.command("run")
def run_cmd(
    scenario: ScenarioArg,
    out: OutOpt,
    days: DaysOpt = None,
    seed: SeedOpt = None,
    processes: Annotated[int, typer.Option(
        "--processes", min=1, help="Split the counties across this many processes (the city "
        "tier's staff is shared out in proportion to households; see sim/model/partition.py)."
    )] = 1,
    json_out: JsonOpt = False,
    sets: SetOpt = None,
    rules: RulesOpt = None,
) -> None:
    """Simulate SCENARIO under its rules and print the KPIs; write cases.parquet (one row per
    case, every step's time), timeseries.parquet (backlog, in service and utilisation per tier,
    hourly), kpis.json and an HTML report (report.html) to --out."""
    s = load(scenario, sets, rules, seed)
    n_days = s.meta.days if days is None else days
    warn_uncovered_holidays(s, n_days)
    with Progress(TextColumn("[bold]simulating[/]"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("days"), TimeElapsedColumn(), console=console,
                  transient=True, disable=json_out) as bar:
        task = bar.add_task("run", total=int(-(-n_days // 1)))
        # with several processes, progress counts days summed over the partitions
        total = int(-(-n_days // 1)) * max(1, min(processes, s.world.county_count))
        bar.update(task, total=total)
        result = simulate(s, days=n_days, processes=processes,
                          progress=lambda d: bar.update(task, completed=d))
    paths = write_outputs(result, out)
    paths["report"] = write_run_report(out, s, result.kpis, result.cases, result.timeseries,
                                       kpi_rows(result.kpis))
    if json_out:
        print_json(result.kpis)
        return
    j = s.rules.jurisdiction
    console.print(f"[bold]{s.meta.name}[/] under {j.name_zh} rules, {n_days:g} days, "
                  f"seed {result.kpis['seed']}")
    console.print(table("KPIs", kpi_rows(result.kpis), ["kpi", "value"]))
    console.print("Wrote " + ", ".join(str(p) for p in paths.values()))
