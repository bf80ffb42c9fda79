"""The tightest handling deadlines the current staffing keeps at a given on-time rate.

A case's handling deadline runs on the deadline clock (working hours; emergencies round the
clock) from its assignment — the dispatch for centres and departments, the report for the grid
worker — and is ``deadline_hours × difficulty factor × urgency factor`` long. Deadlines do not
change how work is scheduled in the model, so the on-time rate a deadline ``D`` would give is
the share of cases whose handling took at most ``D`` working hours on that clock.

So per case type and urgency, the tightest deadline (for normal difficulty; hard cases get the
difficulty factor on top) is the ``on_time`` quantile of the handling time divided by the
difficulty factor. Cases still unhandled at the end of a run are right-censored at the time
they had waited, and the quantile comes from the Kaplan–Meier estimate, so a backlog counts
against a deadline instead of dropping out. It is estimated in each replication; the table
gives the mean over replications with a t confidence interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np

from reports import Chart, Report, Section, Table, charts
from sim.config import Scenario, ScenarioError
from sim.model.arrivals.poisson import URGENCIES
from sim.planning.experiment import Results
from sim.planning.replicate import Runner
from sim.planning.reporting import method_text, report_meta, runs_table, stability_text
from sim.planning.stats import CONFIDENCE, Summary, summarise
from sim.runner import RunResult

METHOD = (
    "A case's handling deadline runs on the deadline clock (working hours; emergencies round "
    "the clock) from its assignment — the dispatch for centres and departments, the case's "
    "arrival with the grid worker for his own handling. Deadlines do not change how work is "
    "scheduled in the model, so the on-time rate a deadline D would give is the share of "
    "cases handled within D working hours of assignment. The tightest deadline per case type "
    "and urgency (normal difficulty; hard cases get the difficulty factor on top) is "
    "therefore the on-time quantile of handling time ÷ difficulty factor. Cases unhandled at "
    "the end of a run are right-censored and the quantile taken from the Kaplan–Meier "
    "estimate, so a backlog counts against a deadline instead of dropping out. Each "
    "replication gives one estimate; the table shows their mean and t confidence interval."
)
FEW_CASES = 20
"""Below this many cases per replication a cell's quantile rests on a handful of cases."""


def handling_times(result: RunResult) -> dict[str, np.ndarray]:
    """Probe: each case's type, urgency and handling time on its deadline clock, divided by
    its difficulty factor, for the cases reported in the measured window; ``done`` is False
    where the case was still unhandled at the end (the time is then how long it had waited:
    right-censored)."""
    m, cases = result.model, result.cases
    col = {name: cases[name].to_numpy(zero_copy_only=False)
           for name in ("handle_assigned_h", "handled_h", "handle_due_h", "in_window")}
    # the handling the case is in (or ended with): its assigner set its deadline
    keep = np.isfinite(col["handle_due_h"]) & col["in_window"]
    assigned = np.where(keep, col["handle_assigned_h"], 0.0)
    done = np.isfinite(col["handled_h"])
    end = np.where(done, col["handled_h"], m.horizon)
    code_row = {c: i for i, c in enumerate(m.world.grid_code.tolist())}
    urban = m.grid_urban[[code_row[c] for c in cases["grid_code"].to_pylist()]]
    urgency = cases["urgency"].to_numpy(zero_copy_only=False)
    difficulty = cases["difficulty"].to_numpy(zero_copy_only=False)
    factor = m.rules.deadlines.difficulty_factor
    hours = np.empty(assigned.size)
    for i, (a, e, u, g, d) in enumerate(zip(assigned, end, urgency, urban, difficulty,
                                            strict=True)):
        clock = m.deadlines.clock(bool(g), str(u))  # the clock the model's deadline ran on
        hours[i] = (clock.worked(e) - clock.worked(a)) / factor.get(d, 1.0)
    types = cases["service_code"].to_numpy(zero_copy_only=False)
    return {"type": types[keep], "urgency": urgency[keep], "hours": hours[keep],
            "done": done[keep]}


def _kaplan_meier(hours: np.ndarray, done: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted times and the Kaplan–Meier distribution function F(t) just after each."""
    order = np.lexsort((~done, hours))  # at tied times, events before censorings
    h, d = hours[order], done[order]
    at_risk = h.size - np.arange(h.size)
    return h, 1.0 - np.cumprod(np.where(d, 1.0 - 1.0 / at_risk, 1.0))


def km_quantile(hours: np.ndarray, done: np.ndarray, q: float) -> float:
    """The ``q`` quantile of handling time from the Kaplan–Meier estimator, with unhandled
    cases right-censored; ``inf`` if too few cases finished for the estimate to reach ``q``."""
    if hours.size == 0:
        return math.nan
    h, cdf = _kaplan_meier(hours, done)
    reached = np.flatnonzero(cdf >= q - 1e-12)
    return float(h[reached[0]]) if reached.size else math.inf


def km_cdf(hours: np.ndarray, done: np.ndarray, t: float) -> float:
    """Kaplan–Meier estimate of P(handling time ≤ t)."""
    h, cdf = _kaplan_meier(hours, done)
    upto = np.flatnonzero(h <= t)
    return float(cdf[upto[-1]]) if upto.size else 0.0


@dataclass(frozen=True)
class Cell:
    """One case type and urgency."""

    type: str
    urgency: str
    cases_per_run: float
    current_hours: float  # today's deadline for normal difficulty, working hours
    on_time_now: float  # share handled within today's deadline (Kaplan–Meier)
    tightest: Summary  # tightest deadline keeping the on-time rate, over replications
    unreached: int  # replications in which too few cases finished to reach the rate

    @property
    def reached(self) -> bool:
        """Whether every replication reached the on-time rate within the run (if one did
        not, the tightest deadline lies beyond what the run can tell)."""
        return self.unreached == 0


def analyse(results: Results, on_time: float) -> list[Cell]:
    """Every (type, urgency) cell that occurred, with today's and the tightest deadline."""
    scenario = results.variants[0].scenario
    runs = [o.extra for o in results.outcomes[0]]
    factors = scenario.rules.deadlines.urgency_factor
    cells = []
    for key in sorted(scenario.workload.types):
        for urgency in URGENCIES:
            current = scenario.workload.types[key].deadline_hours * factors.get(urgency, 1.0)
            per_run = [(r["hours"][sel], r["done"][sel]) for r in runs
                       for sel in ((r["type"] == key) & (r["urgency"] == urgency),)]
            n = [h.size for h, _ in per_run]
            if not sum(n):
                continue
            hours = np.concatenate([h for h, _ in per_run])
            done = np.concatenate([d for _, d in per_run])
            # today's on-time rate: 1 - survival at the current deadline, all runs pooled
            now = km_cdf(hours, done, current)
            quantiles = [km_quantile(h, d, on_time) for h, d in per_run if h.size]
            s = summarise(quantiles)
            cells.append(Cell(key, urgency, float(np.mean(n)), current, now,
                              replace(s, lo=max(s.lo, 0.0)),  # hours are never negative
                              sum(math.isinf(q) for q in quantiles)))
    return cells


def check_on_time(value: float) -> float:
    """The on-time rate must be a share strictly between 0 and 1."""
    if not 0 < value < 1:
        raise ScenarioError("--on-time", str(value), "must lie strictly between 0 and 1")
    return value


def cells_table(cells: list[Cell], scenario: Scenario, on_time: float) -> Table:
    """The tightest deadline per case type and urgency."""
    factors = scenario.rules.deadlines.urgency_factor
    rows: list[list[Any]] = []
    for c in cells:
        uf = factors.get(c.urgency, 1.0)
        t = c.tightest if c.reached else Summary(c.tightest.n, *[math.nan] * 4)
        rows.append([c.type, scenario.workload.types[c.type].name_zh, c.urgency,
                     c.cases_per_run, c.current_hours, c.on_time_now, t.mean, t.lo, t.hi,
                     t.n, c.reached, t.mean / uf, c.cases_per_run < FEW_CASES])
    return Table(
        name="deadlines", rows=rows,
        columns=["type", "name_zh", "urgency", "cases_per_run", "current_deadline_h",
                 "on_time_now", "tightest_deadline_h", "tightest.lo", "tightest.hi",
                 "replications", "reached_in_run", "as_deadline_hours", "few_cases"],
        units={c: "h" for c in ("current_deadline_h", "tightest_deadline_h", "tightest.lo",
                                "tightest.hi", "as_deadline_hours")},
        formats={"cases_per_run": ",.1f", "current_deadline_h": ",.1f", "on_time_now": ".1%",
                 "tightest_deadline_h": ",.1f", "tightest.lo": ",.1f", "tightest.hi": ",.1f",
                 "as_deadline_hours": ",.1f"},
        caption=f"Per case type and urgency: cases per run, today's handling deadline "
        f"(working hours, normal difficulty), the share handled within it, and the tightest "
        f"deadline that keeps {on_time:.0%} on time with its {CONFIDENCE:.0%} CI over "
        "replications (replications: those with cases of the kind; reached_in_run false: in "
        "some run too few cases finished to reach the rate, so the deadline lies beyond what "
        "the run can tell and is left empty). as_deadline_hours is the "
        "workload's deadline_hours that gives it (÷ the urgency factor). few_cases: under "
        f"{FEW_CASES} cases per run, so the quantile rests on few cases.")


def by_type_table(cells: list[Cell], scenario: Scenario) -> Table:
    """Per case type, the tightest ``deadline_hours`` every urgency allows."""
    factors = scenario.rules.deadlines.urgency_factor
    rows = []
    for key in dict.fromkeys(c.type for c in cells):
        own = [(c.tightest.mean / factors.get(c.urgency, 1.0) if c.reached else math.inf,
                c.urgency) for c in cells if c.type == key]
        tightest, binding = max(own)
        rows.append([key, scenario.workload.types[key].deadline_hours, tightest, binding])
    return Table(name="by_type", rows=rows,
                 columns=["type", "deadline_hours", "tightest_deadline_hours", "binding_urgency"],
                 units={"deadline_hours": "h", "tightest_deadline_hours": "h"},
                 formats={"tightest_deadline_hours": ",.1f"},
                 caption="Per case type: today's deadline_hours and the least value that keeps "
                 "every urgency at the on-time rate (the binding urgency sets it; infinite "
                 "where some urgency's rate is not reached within the run).")


def deadlines_report(results: Results, cells: list[Cell], on_time: float,
                     runner: Runner) -> Report:
    """The deadlines report."""
    scenario = results.variants[0].scenario
    routine = [c for c in cells if c.urgency == "routine" and c.reached]
    chart = Chart(
        name="routine", title=f"Routine cases: today's deadline and the tightest at {on_time:.0%}",
        caption="Working hours, normal difficulty; the tightest deadline with its 95 % CI.",
        draw=partial(charts.grouped_bars, [c.type for c in routine],
                     {"today": [c.current_hours for c in routine],
                      "tightest": [c.tightest.mean for c in routine]},
                     lo={"today": [c.current_hours for c in routine],
                         "tightest": [_or(c.tightest.lo, c.tightest.mean) for c in routine]},
                     hi={"today": [c.current_hours for c in routine],
                         "tightest": [_or(c.tightest.hi, c.tightest.mean) for c in routine]},
                     ylabel="working hours"),
        size=(9.0, 4.0))
    return Report(
        title=f"Tightest deadlines at {on_time:.0%} on time: {scenario.meta.name}",
        subtitle=f"{scenario.rules.jurisdiction.name_zh} rules, current staffing",
        meta=report_meta(scenario, results.design, runner),
        sections=[
            Section(heading="Deadlines", text=f"{METHOD}\n\n{method_text(results.design)}",
                    charts=[chart] if routine else [],
                    tables=[cells_table(cells, scenario, on_time),
                            by_type_table(cells, scenario)]),
            Section(heading="Steady state", text=stability_text(results)),
            Section(heading="Runs", tables=[runs_table(results, results.measures())]),
        ])


def _or(x: float, fallback: float) -> float:
    return fallback if math.isnan(x) else x
