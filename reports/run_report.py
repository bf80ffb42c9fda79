"""The report of one simulation run (`gridsim run`): KPIs, charts and the rules applied."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from reports import charts
from reports.model import Chart, Report, Section, Table
from reports.render import write_report
from sim.config.cited import Cited
from sim.config.scenario import Scenario

RULE_BLOCKS = ("centres", "staffing", "matters", "patrol", "routing", "deadlines", "feedback",
               "training", "rating")


def rule_rows(scenario: Scenario) -> list[list[str]]:
    """The rule blocks the model applied, each with its article or assumption."""
    rows = []
    for name in RULE_BLOCKS:
        block = getattr(scenario.rules, name)
        if isinstance(block, Cited):
            rows.append([name, block.cite or "", block.assumed or ""])
    return rows


def _pct(x: float | None) -> float | None:
    return None if x is None else float(x)


def emergency_text(kpis: dict[str, Any]) -> str:
    """Emergencies that waited for a shift, and where no on-duty roster takes them."""
    e = kpis["emergencies"]
    where = ", ".join({"grid": "grid workers"}.get(h, f"{h} centres") for h in e["without_duty"])
    return (f"{e['waited_for_shift']} emergencies (of {e['count']}) came out of office hours "
            "and waited for a shift to open"
            + (f": no on-duty roster at {where}" if where else ""))


def steady_state_text(kpis: dict[str, Any]) -> str:
    """The stability flags and the warm-up check, one paragraph each: what to read before
    the KPIs."""
    w = kpis["warmup"]
    st = kpis["stability"]
    lines = [f"⚠ {f['message']}." for f in st["flags"]]
    if kpis["emergencies"]["waited_for_shift"]:
        lines.append(f"⚠ {emergency_text(kpis)}.")
    if not st["judged"]:
        lines.append(f"Steady state not judged: fewer than {st['thresholds']['min_days']} "
                     "measured days (too few to tell a growing backlog from the weekly cycle).")
    warm = (f"KPIs cover the {kpis['days']:g} days after a warm-up of {w['used_days']:g} days "
            f"(cases reported in the warm-up are left out; open cases count). MSER-5 on each "
            f"tier's hourly backlog suggests a warm-up of {w['suggested_days']:.1f} days.")
    growing = any(f["kind"] == "backlog_growth" for f in kpis["stability"]["flags"])
    if w["short"] and growing:
        warm += " A growing backlog has no steady state: no warm-up length fixes that."
    elif w["short"]:
        warm = (f"⚠ The warm-up ({w['used_days']:g} days) is shorter than MSER-5 suggests "
                f"({w['suggested_days']:.1f} days): the first days' emptier queues flatter "
                "the KPIs. " + warm)
    if w["at_limit"]:
        warm += (" The backlog of " + ", ".join(w["at_limit"]) + " never settled in the first "
                 "half of the run.")
    return "\n\n".join([*lines, warm])


def stability_table(kpis: dict[str, Any]) -> Table:
    """The figures behind the stability flags: each tier's backlog trend, each role's
    offered load."""
    st = kpis["stability"]
    th = st["thresholds"]
    rows: list[list[Any]] = [
        [tier, v["mean"], v["slope_per_day"], v["p"], v["growth"], None, v["growing"]]
        for tier, v in st["backlog_trend"].items()]
    rows += [[role, None, None, None, None, load, load >= th["offered_limit"]]
             for role, load in st["offered_load"].items()]
    return Table(
        name="stability", rows=rows,
        columns=["tier_or_role", "mean_backlog", "slope_per_day", "p_slope", "growth",
                 "offered_load", "flagged"],
        formats={"mean_backlog": ",.1f", "slope_per_day": "+,.2f", "p_slope": ".3g",
                 "growth": "+,.1f", "offered_load": ".2f"},
        caption=f"Backlog trend per tier over the window's whole days (daily means regressed on "
        f"the day; flagged when one-sided p < {th['slope_p']} and the growth is at least "
        f"{th['growth_share']:.0%} of the mean and {th['min_growth']:g} jobs; needs "
        f"{th['min_days']} days) and offered load per role (work that came ÷ hours available "
        f"after admin and training; flagged at {th['offered_limit']:g} or more).")


def run_report(scenario: Scenario, kpis: dict[str, Any], cases: pa.Table,
               timeseries: pa.Table, headline: list[dict[str, Any]]) -> Report:
    """Build the report of a run from its outputs."""
    j = scenario.rules.jurisdiction
    ts = timeseries.to_pydict()
    tiers = sorted(set(ts["tier"]))
    t = np.asarray(ts["t_hours"])
    tier_col = np.asarray(ts["tier"])
    backlog = {tier: (t[tier_col == tier] / 24, np.asarray(ts["backlog"])[tier_col == tier])
               for tier in tiers}
    c = cases.filter(cases["in_window"]).to_pydict()
    closed = np.asarray(c["closed_h"], float) - np.asarray(c["reported_h"], float)
    resolved = np.asarray(c["resolved_tier"])
    ttc_by_tier = {tier: closed[(resolved == tier) & np.isfinite(closed)]
                   for tier in ("grid", "township", "county", "city")
                   if np.any((resolved == tier) & np.isfinite(closed))}

    def draw_backlog(fig):
        for tier, (x, y) in backlog.items():
            charts.time_series(x, {tier: y}, xlabel="day", ylabel="jobs waiting or in service",
                               fig=fig)
        return fig

    on_time = [[step, v["n"], v["censored"], _pct(v["rate"])]
               for step, v in kpis["on_time"].items()]
    by_type = [[k, v["n"], v["open"], v["mean"], v["p50"], v["p90"], v["p99"]]
               for k, v in kpis["time_to_close_hours"]["by_type"].items()]
    util = [[role, *(v.get(a) for a in ("case", "verify", "patrol", "sweep", "visit", "centre",
                                         "handling", "admin", "training")), v["total"]]
            for role, v in kpis["utilisation"].items()]
    cover = kpis["patrol_coverage"]
    pct = ".1%"
    hours = ",.1f"
    return Report(
        title=f"{scenario.meta.name}: {j.name_zh} rules",
        subtitle=scenario.meta.description,
        meta={
            "scenario": scenario.meta.name,
            "files": [f"{k}: {v}" for k, v in scenario.files.items()],
            "regulation": f"{j.instrument} ({j.document}, in force {j.in_force})",
            "days": f"{kpis['days']:g} measured after a {kpis['warmup']['used_days']:g}-day "
                    "warm-up",
            "seed": str(kpis["seed"]),
            "world seed": str(kpis["world_seed"]),
        },
        sections=[
            Section(heading="Headline KPIs", text=steady_state_text(kpis), tables=[Table(
                name="headline", columns=["kpi", "value"],
                rows=[[r["kpi"], r["value"]] for r in headline])]),
            Section(heading="On-time steps (按时受理/派遣/处置/核查)",
                    text="Steps of the cases reported in the window: on time if done by the "
                    "deadline; late if done after it or still open once it passed; a step "
                    "neither done nor yet due at the end is censored (left out of n).",
                    tables=[Table(name="on_time", columns=["step", "n", "censored",
                                                           "on_time_rate"],
                                  rows=on_time, formats={"on_time_rate": pct})]),
            Section(
                heading="Time to close",
                text="Hours from report to close, by the tier that resolved the case "
                     "(working and non-working hours alike). The chart and the tiers count "
                     "closed cases; the table by type counts open cases too, right-censored at "
                     "the end (Kaplan–Meier: 'open' of 'n' were still open; mean up to the "
                     "longest time seen; a quantile the estimate never reaches is empty).",
                charts=[Chart(name="time_to_close", title="Time to close by resolving tier",
                              draw=partial(charts.ecdf, ttc_by_tier, xlabel="hours"))],
                tables=[Table(name="time_to_close_by_type",
                              columns=["type", "n", "open", "mean", "p50", "p90", "p99"],
                              rows=by_type,
                              units={c: "h" for c in ("mean", "p50", "p90", "p99")},
                              formats={c: hours for c in ("mean", "p50", "p90", "p99")})]),
            Section(
                heading="Backlog and utilisation",
                text="Jobs waiting or in service at each tier, hourly from the start of the "
                     "run (the warm-up's days included); utilisation is the share of available "
                     "working time spent per activity, over the measured days.",
                charts=[Chart(name="backlog", title="Backlog per tier", draw=draw_backlog)],
                tables=[Table(name="utilisation",
                              columns=["role", "case", "verify", "patrol", "sweep", "visit",
                                       "centre", "handling", "admin", "training", "total"],
                              rows=util, formats={c: pct for c in (
                                  "case", "verify", "patrol", "sweep", "visit", "centre",
                                  "handling", "admin", "training", "total")}),
                        stability_table(kpis)]),
            Section(heading="Patrol coverage (001 五.1)", tables=[Table(
                name="patrol_coverage", columns=["what", "done_on_time"],
                rows=[["daily patrols", cover["patrols"]], ["monthly sweeps", cover["sweeps"]],
                      ["door visits", cover["visits"]],
                      *[[f"visits: {k}", v] for k, v in cover["visits_by_kind"].items()]],
                formats={"done_on_time": pct})]),
            Section(heading="Rules applied", text="Each rule block the model read, with the "
                    "article it cites or the source of its assumed numbers.",
                    tables=[Table(name="rules", columns=["block", "cite", "assumed"],
                                  rows=rule_rows(scenario))]),
        ],
    )


def write_run_report(out: Path, scenario: Scenario, kpis: dict[str, Any], cases: pa.Table,
                     timeseries: pa.Table, headline: list[dict[str, Any]]) -> Path:
    """Write the run's report into ``out`` (report.html and its tables and charts)."""
    return write_report(run_report(scenario, kpis, cases, timeseries, headline), out)
