"""`gridsim run`: simulate a scenario and write cases, time series and KPIs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reports.run_report import emergency_text, write_run_report
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


KPI_TITLE = ("KPIs over the cases reported after the warm-up (a step open past its deadline "
             "counts late; time to close counts open cases, censored at the end)")


def _on_time(v: dict[str, Any]) -> str:
    return _pct(v["rate"]) + (f" ({v['censored']:,} not yet due)" if v["censored"] else "")


def kpi_rows(k: dict[str, Any]) -> list[dict[str, Any]]:
    """The headline KPIs as table rows."""
    ttc = k["time_to_close_hours"]
    fmt = lambda v: "–" if v is None else f"{v:.1f} h"  # noqa: E731
    quantiles = ("mean", "p50", "p90", "p99")
    return [
        {"kpi": "cases reported / closed / open",
         "value": " / ".join(f"{k['cases'][x]:,}" for x in ("reported", "closed", "open"))},
        *({"kpi": f"on-time {step}", "value": _on_time(v)} for step, v in k["on_time"].items()),
        {"kpi": "time to close mean / p50 / p90 / p99",
         "value": " / ".join(fmt(ttc["all"][q]) for q in quantiles)},
        {"kpi": "  closed cases only (flatters)",
         "value": " / ".join(fmt(ttc["closed_only"][q]) for q in quantiles)},
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


def warmup_line(k: dict[str, Any]) -> str:
    """The warm-up used and the one MSER-5 suggests (rich markup)."""
    w = k["warmup"]
    tier = max(w["by_tier"], key=w["by_tier"].get) if w["by_tier"] else None
    line = (f"warm-up {w['used_days']:g} days; MSER-5 suggests {w['suggested_days']:.1f}"
            + (f" ({tier} backlog)" if tier and w["suggested_days"] else ""))
    growing = any(f["kind"] == "backlog_growth" for f in k["stability"]["flags"])
    if w["short"] and growing:
        line += " (a growing backlog: no warm-up brings it to a steady state)"
    elif w["short"]:
        line = (f"[yellow]{line}: the warm-up is shorter than suggested, the first days' "
                f"empty queues flatter the KPIs (--warmup {-(-w['suggested_days'] // 1):g})[/]")
    return line


def flag_lines(k: dict[str, Any]) -> list[str]:
    """One line per stability flag (rich markup, red) or why there is no verdict, and the
    emergencies that waited for a shift."""
    st = k["stability"]
    if not st["judged"]:
        lines = [f"[dim]steady state not judged: fewer than {st['thresholds']['min_days']} "
                 "measured days[/]"]
    else:
        lines = [f"[bold red]{escape(f['message'])}[/]" for f in st["flags"]]
    if k["emergencies"]["waited_for_shift"]:
        lines.append(f"[yellow]{escape(emergency_text(k))}[/]")
    return lines


@app.command("run")
def run_cmd(
    scenario: ScenarioArg,
    out: OutOpt,
    days: DaysOpt = None,
    seed: SeedOpt = None,
    warmup: Annotated[float | None, typer.Option(
        "--warmup", help="Days simulated before the measured days and left out of every KPI "
        "(runs start empty), 0 to 366; defaults to the scenario's [scenario] warmup_days.")
    ] = None,
    processes: Annotated[int, typer.Option(
        "--processes", min=1, help="Split the counties across this many processes (the city "
        "tier runs once, in this one, with its real staff; see sim/model/partition.py)."
    )] = 1,
    json_out: JsonOpt = False,
    sets: SetOpt = None,
    rules: RulesOpt = None,
) -> None:
    """Simulate SCENARIO under its rules and print the KPIs over the days after the warm-up,
    the warm-up MSER-5 suggests and any tier without a steady state; write cases.parquet (one
    row per case, every step's time), timeseries.parquet (backlog, in service and utilisation
    per tier, hourly, warm-up included), kpis.json and an HTML report (report.html) to
    --out."""
    # the warm-up is a scenario key: validated (one line) as the file's would be
    warm = [] if warmup is None else [f"scenario.warmup_days={warmup!r}"]
    s = load(scenario, [*(sets or []), *warm], rules, seed)
    n_days = s.meta.days if days is None else days
    warn_uncovered_holidays(s, n_days)
    n_warmup = s.meta.warmup_days
    simulated = int(-(-(n_days + n_warmup) // 1))
    with Progress(TextColumn("[bold]simulating[/]"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("days"), TimeElapsedColumn(), console=console,
                  transient=True, disable=json_out) as bar:
        task = bar.add_task("run", total=simulated)
        result = simulate(s, days=n_days, processes=processes, warmup=n_warmup,
                          progress=lambda d: bar.update(task, completed=d))
    paths = write_outputs(result, out)
    paths["report"] = write_run_report(out, s, result.kpis, result.cases, result.timeseries,
                                       kpi_rows(result.kpis))
    if json_out:
        print_json(result.kpis)
        return
    j = s.rules.jurisdiction
    console.print(f"[bold]{s.meta.name}[/] under {j.name_zh} rules, {n_days:g} days measured "
                  f"after a {n_warmup:g}-day warm-up, seed {result.kpis['seed']}")
    for line in flag_lines(result.kpis):
        console.print(line)
    console.print(warmup_line(result.kpis))
    console.print(table(KPI_TITLE, kpi_rows(result.kpis), ["kpi", "value"]))
    console.print("Wrote " + ", ".join(str(p) for p in paths.values()))
