"""The KPIs the planner and researcher tools summarise, compare, sweep and size for.

A :class:`Measure` reads one number out of a run's KPI dict (:mod:`sim.metrics.kpis`). It also
knows which way is better and which rule fields can move it (``drivers``, rule paths as in
:mod:`sim.planning.rulediff`), so ``gridsim compare`` can list the rule differences behind a gap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sim.config import ScenarioError


@dataclass(frozen=True)
class Measure:
    """One KPI as a number per run."""

    key: str
    label: str
    fmt: str  # Python format spec for reports, e.g. ".1%"
    unit: str
    higher_is_better: bool | None
    read: Callable[[Mapping[str, Any]], float | None]
    drivers: tuple[str, ...] = ()

    def value(self, kpis: Mapping[str, Any]) -> float:
        """The measure of one run; NaN where the run has none (e.g. no case reached a step)."""
        try:
            v = self.read(kpis)
        except (KeyError, TypeError, ZeroDivisionError):
            return math.nan
        return math.nan if v is None else float(v)


def _at(*path: str) -> Callable[[Mapping[str, Any]], Any]:
    def read(k: Mapping[str, Any]) -> Any:
        for p in path:
            k = k[p]
        return k
    return read


def _per_case(*path: str) -> Callable[[Mapping[str, Any]], float | None]:
    count = _at(*path)
    return lambda k: count(k) / k["cases"]["reported"] if k["cases"]["reported"] else None


# Rule areas (paths in the Rules model) that move each family of KPIs in the model.
_ROUTING = ("routing", "centres.tiers", "departments", "matters")
_CAPACITY = ("patrol", "training", "staffing.max_grids_per_full_time")
_CLOCKS = ("deadlines.clock_urban", "deadlines.clock_rural")

STANDARD: tuple[Measure, ...] = (
    Measure("cases.reported", "cases reported", ",.0f", "cases", None,
            _at("cases", "reported"), ("patrol", "grids", "matters")),
    *(Measure(f"on_time.{step}", f"on-time {step} ({zh})", ".1%", "share", True,
              _at("on_time", step, "rate"), drivers)
      for step, zh, drivers in (
          ("accept", "按时受理率", ("deadlines.steps.accept_hours", *_CLOCKS, *_ROUTING,
                                    *_CAPACITY)),
          ("dispatch", "按时派遣率", ("deadlines.steps.dispatch_hours", *_CLOCKS, *_ROUTING)),
          ("handle", "按时处置率", ("deadlines.difficulty_factor", "deadlines.urgency_factor",
                                    "deadlines.set_by", *_CLOCKS, *_ROUTING, *_CAPACITY)),
          ("verify", "按时核查率", ("deadlines.steps.verify_hours_urban",
                                    "deadlines.steps.verify_hours_rural", *_CLOCKS, *_ROUTING,
                                    *_CAPACITY)),
      )),
    *(Measure(f"time_to_close.{q}", f"time to close {q}", ",.1f", "h", False,
              _at("time_to_close_hours", "all", q), (*_ROUTING, *_CAPACITY, "feedback"))
      for q in ("mean", "p50", "p90", "p99")),
    Measure("self_resolution", "self-resolved by grid workers (自行处置)", ".1%", "share", True,
            _at("rates", "self_resolution"),
            ("routing.first_handling_by_worker", "routing.emergency_direct_to_township",
             "matters")),
    Measure("escalation", "escalated past the grid", ".1%", "share", None,
            _at("rates", "escalation"), _ROUTING),
    Measure("rework", "rework (返工)", ".1%", "share", False, _at("rates", "rework"),
            ("routing", "departments")),
    Measure("overdue", "overdue handling, per case", ".2%", "share", False,
            _per_case("overdue", "count"),
            ("deadlines.difficulty_factor", "deadlines.urgency_factor", *_CLOCKS, *_ROUTING,
             *_CAPACITY)),
    Measure("explanations", "written overdue explanations, per case", ".2%", "share", False,
            _per_case("overdue", "explanations"),
            ("deadlines.overdue_written_explanation", "deadlines.difficulty_factor",
             "deadlines.urgency_factor", *_CLOCKS)),
    Measure("supervision_red", "red supervision (督办), per case", ".2%", "share", False,
            _per_case("overdue", "supervision_red"),
            ("deadlines.supervision", "deadlines.difficulty_factor",
             "deadlines.urgency_factor", *_CLOCKS)),
    Measure("feedback", "feedback to requester (反馈率)", ".1%", "share", True,
            _at("feedback", "rate"), ("feedback",)),
    *(Measure(f"patrol_coverage.{k}", f"{k} done on time", ".1%", "share", True,
              _at("patrol_coverage", k), ("patrol", "training", "staffing"))
      for k in ("patrols", "sweeps", "visits")),
)

UTILISATION_DRIVERS = ("patrol", "training", "routing", "centres.tiers", "departments",
                       "matters", "feedback", "staffing")
ALIASES = {"on_time": "on_time.handle", "ttc_p90": "time_to_close.p90"}


def utilisation(role: str) -> Measure:
    """Utilisation (share of available working time busy) of a role or centre/department."""
    return Measure(f"utilisation.{role}", f"utilisation {role}", ".1%", "share", None,
                   _at("utilisation", role, "total"), UTILISATION_DRIVERS)


def measures_for(runs: Iterable[Mapping[str, Any]]) -> list[Measure]:
    """The standard measures plus utilisation of every role seen in ``runs``."""
    roles = sorted({role for k in runs for role in k.get("utilisation", {})})
    return [*STANDARD, *(utilisation(r) for r in roles)]


def lookup(key: str, source: str = "--kpi") -> Measure:
    """The measure named ``key`` (or an alias such as ``on_time``); ScenarioError if unknown."""
    key = ALIASES.get(key, key)
    for m in STANDARD:
        if m.key == key:
            return m
    if key.startswith("utilisation.") and len(key) > len("utilisation."):
        return utilisation(key.removeprefix("utilisation."))
    known = ", ".join([*ALIASES, *(m.key for m in STANDARD), "utilisation.<role>"])
    raise ScenarioError(source, key, f"unknown KPI (one of {known})")
