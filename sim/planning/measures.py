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
_CAPACITY = ("patrol", "training", "grids", "staffing.max_grids_per_full_time")
_CLOCKS = ("deadlines.clock_urban", "deadlines.clock_rural")
_HANDLE_DEADLINE = ("deadlines.difficulty_factor", "deadlines.urgency_factor", *_CLOCKS)
_STEP_DRIVERS: dict[str, tuple[str, ...]] = {
    "accept": ("deadlines.steps.accept_hours", *_CLOCKS, *_ROUTING, *_CAPACITY),
    "dispatch": ("deadlines.steps.dispatch_hours", *_CLOCKS, *_ROUTING),
    "handle": (*_HANDLE_DEADLINE, "deadlines.set_by", *_ROUTING, *_CAPACITY),
    "verify": ("deadlines.steps.verify_hours_urban", "deadlines.steps.verify_hours_rural",
               *_CLOCKS, *_ROUTING, *_CAPACITY),
}
_STEP_ZH = {"accept": "按时受理率", "dispatch": "按时派遣率", "handle": "按时处置率",
            "verify": "按时核查率"}

STANDARD: tuple[Measure, ...] = (
    Measure("cases.reported", "cases reported", ",.0f", "cases", None,
            _at("cases", "reported"), ("patrol", "grids", "matters")),
    *(Measure(f"on_time.{step}", f"on-time {step} ({zh}), open past due counted late",
              ".1%", "share", True, _at("on_time", step, "rate"), _STEP_DRIVERS[step])
      for step, zh in _STEP_ZH.items()),
    *(Measure(f"time_to_close.{q}", f"time to close {q}, open cases censored (Kaplan–Meier)",
              ",.1f", "h", False, _at("time_to_close_hours", "all", q),
              (*_ROUTING, *_CAPACITY, "feedback"))
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
            _per_case("overdue", "count"), (*_HANDLE_DEADLINE, *_ROUTING, *_CAPACITY)),
    Measure("explanations", "written overdue explanations, per case", ".2%", "share", False,
            _per_case("overdue", "explanations"),
            ("deadlines.overdue_written_explanation", *_HANDLE_DEADLINE)),
    Measure("supervision_red", "red supervision (督办), per case", ".2%", "share", False,
            _per_case("overdue", "supervision_red"),
            ("deadlines.supervision", *_HANDLE_DEADLINE)),
    Measure("feedback", "feedback to requester (反馈率)", ".1%", "share", True,
            _at("feedback", "rate"), ("feedback",)),
    *(Measure(f"patrol_coverage.{k}", f"{k} done on time", ".1%", "share", True,
              _at("patrol_coverage", k), ("patrol", "training", "grids", "roles",
                                          "staffing.max_grids_per_full_time"))
      for k in ("patrols", "sweeps", "visits")),
)

_GRID_ROLES = ("full_time", "part_time", "exclusive")
_UTILISATION_DRIVERS = {
    "grid": (*_CAPACITY, "roles", "routing", "matters"),
    "centre": ("centres.tiers", "routing", "departments", "matters", "feedback"),
    "department": ("departments", "routing", "matters", "centres.tiers"),
}
# ``on_time`` means handling on time; ``on_time_strict.<step>`` named the rates that count a
# step open past its deadline as late before every on-time rate did (sim.metrics.censored).
ALIASES = {"on_time": "on_time.handle",
           **{f"on_time_strict.{step}": f"on_time.{step}" for step in _STEP_ZH}}


def utilisation(role: str) -> Measure:
    """Utilisation (share of available working time busy) of a role or centre/department."""
    kind = "grid" if role in _GRID_ROLES else role.split(".")[0]
    return Measure(f"utilisation.{role}", f"utilisation {role}", ".1%", "share", None,
                   _at("utilisation", role, "total"), _UTILISATION_DRIVERS.get(kind, ()))


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
