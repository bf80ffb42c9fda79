"""`gridsim trace`: simulate a scenario and export every platform operation it performed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

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
)
from sim.runner import simulate
from sim.trace import TraceError, build_trace, check_writable, summarize, write_trace

OutOpt = Annotated[Path, typer.Option(
    "--out", help="Trace file to write; its suffix picks the format: .parquet or .jsonl.")]
SpeedupOpt = Annotated[float, typer.Option(
    "--speedup", min=0.01, help="Replay speed-up (trace seconds per wall-clock second) for "
    "the peak and mean operations per second in the summary.")]


def _fail(exc: TraceError) -> NoReturn:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)


def summary_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary as table rows: operations per type, then the totals and rates."""
    x = f"{summary['speedup']:g}×"
    peak, mean = summary["peak_per_s"], summary["mean_per_s"]
    return [
        *({"operation": op, "count": n} for op, n in summary["operations"].items()),
        {"operation": "total", "count": summary["total"]},
        {"operation": f"peak ops/s at 1× / at {x}",
         "count": f"{peak['1x']:,} / {peak['speedup']:,}"},
        {"operation": f"mean ops/s at 1× / at {x}",
         "count": f"{mean['1x']:,.2f} / {mean['speedup']:,.1f}"},
    ]


@app.command("trace")
def trace_cmd(
    scenario: ScenarioArg,
    out: OutOpt,
    days: DaysOpt = None,
    seed: SeedOpt = None,
    speedup: SpeedupOpt = 60.0,
    json_out: JsonOpt = False,
    sets: SetOpt = None,
    rules: RulesOpt = None,
) -> None:
    """Simulate SCENARIO and write every platform operation it performed (reports, dispatches,
    patrol check-ins, feedback, residents' queries …) to --out, one row per operation in time
    order with a synthetic payload (schema: sim/trace/schema.py); then print operations per
    type and the peak operations per second a replay must sustain at 1× and at --speedup."""
    try:
        check_writable(out)  # before a long simulation, not after
    except TraceError as exc:
        _fail(exc)
    s = load(scenario, sets, rules, seed)
    n_days = s.meta.days if days is None else days
    with console.status(f"simulating {n_days:g} days…"):
        # no warm-up: a replay starts on an empty platform, as the simulation does
        result = simulate(s, days=n_days, trace=True, warmup=0)
    assert result.model is not None  # a traced run is a single live model
    with console.status("exporting…"):
        trace = build_trace(result.model, s.meta.seed)
        try:
            write_trace(trace, out)
        except TraceError as exc:
            _fail(exc)
    summary = summarize(trace, speedup, n_days * 86400.0)
    summary["out"] = str(out)
    if json_out:
        print_json(summary)
        return
    console.print(f"[bold]{s.meta.name}[/] under {s.rules.jurisdiction.name_zh} rules, "
                  f"{n_days:g} days, seed {s.meta.seed}")
    console.print(table("Operations", summary_rows(summary), ["operation", "count"]))
    console.print(f"Wrote {out}")
