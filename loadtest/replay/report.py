"""The replay's HTML report and CSV tables, built from results.json with the reports package."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from loadtest.replay.hdr import ALL, COUNTERS
from loadtest.replay.reconcile import PROBLEMS
from reports import Chart, Report, Section, Table, charts, write_report
from reports.model import Cell

_LATENCY = ("p50", "p90", "p99", "p999", "max")


def _ops_table(ops: dict[str, Any]) -> Table:
    columns = ["op", *COUNTERS, *(f"{k}_{s}" for k in ("sched", "send") for s in _LATENCY)]
    rows: list[list[Cell]] = []
    for op, row in ops.items():
        latencies = [row[k][s] for k in ("sched", "send") for s in _LATENCY]
        rows.append([op, *(row["counts"][c] for c in COUNTERS), *latencies])
    return Table(
        name="operations",
        columns=columns,
        rows=rows,
        caption="Per operation: outcomes (due = unsupported + skipped + ok + failed + aborted), "
        "and response time from the scheduled time (sched_*) and from the actual send (send_*).",
        units={c: "ms" for c in columns if c.startswith(("sched_", "send_"))},
        formats={c: ",.1f" for c in columns if c.startswith(("sched_", "send_"))},
    )


def _lag_table(ops: dict[str, Any]) -> Table:
    stats = ("p50", "p90", "p99", "p999", "max", "mean")
    rows: list[list[Cell]] = [
        [op, row["counts"]["sent"], row["counts"]["late"], row["counts"]["waited"]]
        + [row["lag"][s] for s in stats]
        for op, row in ops.items()
    ]
    return Table(
        name="send_lag",
        columns=["op", "sent", "late", "waited", *(f"lag_{s}" for s in stats)],
        rows=rows,
        caption="Send lag = actual send − scheduled time. 'late' sends exceeded --late-after; "
        "'waited' ones queued behind the previous step of their case or patrol.",
        units={f"lag_{s}": "ms" for s in stats},
        formats={f"lag_{s}": ",.2f" for s in stats},
    )


def _slanted_bars(names: list[str], series: dict[str, list[float]], fig: Figure) -> Figure:
    """Grouped bars with the operation names slanted: they are too long to sit side by side."""
    charts.grouped_bars(names, series, ylabel="ms", fig=fig)
    fig.axes[0].tick_params(axis="x", labelrotation=30)
    for label in fig.axes[0].get_xticklabels():
        label.set_horizontalalignment("right")
    return fig


def _charts(results: dict[str, Any]) -> list[Chart]:
    ops = {op: row for op, row in results["ops"].items() if op != ALL and row["sched"]["count"]}
    out: list[Chart] = []
    if ops:
        names = list(ops)
        series = {
            "p99 from scheduled": [ops[o]["sched"]["p99"] for o in names],
            "p99 from send": [ops[o]["send"]["p99"] for o in names],
        }
        out.append(
            Chart(
                name="latency_p99",
                title="p99 response time per operation",
                caption="From the scheduled time (includes any lateness) and from the send.",
                draw=partial(_slanted_bars, names, series),
                size=(max(7.0, 0.8 * len(names)), 4.5),
            )
        )
    timeline = results["timeline"]
    if timeline:
        seconds = [row[0] for row in timeline]
        out.append(
            Chart(
                name="throughput",
                title="Operations per second",
                draw=partial(
                    charts.time_series,
                    seconds,
                    {"sent": [r[1] for r in timeline], "failed": [r[3] for r in timeline]},
                    xlabel="s since start",
                    ylabel="operations",
                ),
            )
        )
        out.append(
            Chart(
                name="lag",
                title="Largest send lag per second",
                draw=partial(
                    charts.time_series,
                    seconds,
                    {"max lag": [r[4] for r in timeline]},
                    xlabel="s since start",
                    ylabel="ms",
                ),
            )
        )
    return out


def _reconcile_section(rec: dict[str, Any]) -> Section:
    if not rec["configured"]:
        return Section(
            heading="Reconciliation",
            text="The profile has no [reconcile] section: cases were not read back.",
        )
    summary = Table(
        name="reconcile",
        columns=["checked", *PROBLEMS, "strays", "all_listed"],
        rows=[[rec["checked"], *(rec[p] for p in PROBLEMS), len(rec["strays"]), rec["listed"]]],
        caption="Lost, duplicated, mismatched and unverified cases are failures; strays "
        "(platform records of no trace case) are shown for information.",
    )
    columns = ["case", "problem", "expected", "actual", "copies", "last_ok", "failed_op", "failure"]
    problems = Table(
        name="reconcile_problems",
        columns=columns,
        rows=[
            [row[c] if not isinstance(row[c], dict | list) else str(row[c]) for c in columns]
            for row in rec["rows"]
        ],
        caption="Each problem case (at most 1,000): the state the trace leads to, what the "
        "platform says, the last operation acknowledged and the first that failed.",
    )
    strays = Table(
        name="reconcile_strays",
        columns=["platform_id", "key"],
        rows=[[pid, key] for pid, key in rec["strays"]],
    )
    text = "" if rec["listed"] else (
        f"Not every case's listing could be read ({rec['list_error']}): duplicates may have "
        "gone unseen."
    )
    return Section(heading="Reconciliation", text=text, tables=[summary, problems, strays])


def build(results: dict[str, Any]) -> Report:
    """The report of one run."""
    meta = results["meta"]
    verdict = "PASSED" if results["passed"] else "FAILED"
    lines = [f"{verdict} ({meta['reason']})."]
    lines += [f"Problem: {p}" for p in results["problems"]]
    lines += [f"Warning: {w}" for w in results["warnings"]]
    checks = Table(
        name="checks",
        columns=["check", "value", "passed"],
        rows=[[c["check"], c["value"], c["passed"]] for c in results["checks"]],
        caption="Thresholds from --check; times in ms, ratios as fractions.",
    )
    reasons = Table(
        name="failures",
        columns=["op", "reason", "count"],
        rows=results["reasons"],
        caption="Why operations failed (after retries), per operation.",
    )
    shards = Table(
        name="workers",
        columns=list(results["shards"][0]) if results["shards"] else ["shard"],
        rows=[list(s.values()) for s in results["shards"]],
        caption="One Locust worker per shard; started/finished are Unix times of the sending, "
        "cpu_s the worker's CPU time meanwhile.",
    )
    timeline = Table(
        name="timeline",
        columns=["second", "sent", "ok", "failed", "max_lag"],
        rows=results["timeline"],
        units={"max_lag": "ms"},
    )
    ops = results["ops"]
    return Report(
        title="Trace replay",
        subtitle=f"{meta['trace']} → {meta['host']} ({meta['profile']})",
        meta={k: "" if v is None else str(v) for k, v in meta.items()},
        lang="en",
        sections=[
            Section(heading="Verdict", text="\n\n".join(lines), tables=[checks]),
            Section(
                heading="Operations",
                text="Open loop: every operation is sent at its scheduled time whatever the "
                "platform's speed; a case's steps keep their order.",
                tables=[_ops_table(ops), reasons],
                charts=_charts(results),
            ),
            Section(heading="Timing fidelity", tables=[_lag_table(ops), timeline]),
            _reconcile_section(results["reconcile"]),
            Section(heading="Workers", tables=[shards]),
        ],
    )


def write(results: dict[str, Any], out: Path) -> Path:
    """Write report.html, tables/*.csv and charts/*.png into ``out``; returns the HTML path."""
    return write_report(build(results), out)
