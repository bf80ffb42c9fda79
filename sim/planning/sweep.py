"""Sweeps: any scenario keys over a grid of values (cartesian product), replicated."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from reports import Chart, Report, Section, charts
from sim.config import ScenarioError
from sim.planning.experiment import Results, Source, Variant
from sim.planning.measures import Measure
from sim.planning.replicate import Runner
from sim.planning.reporting import (
    method_text,
    report_meta,
    runs_table,
    stability_text,
    summary_table,
)


@dataclass(frozen=True)
class Axis:
    """One ``--vary KEY=V1,V2,…``: a scenario key and its values (TOML literals)."""

    key: str
    values: tuple[str, ...]


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets, braces and quotes, so ``[1, 2],[3, 4]`` or
    ``"a,b",c`` keep their inner commas."""
    parts, depth, quote, current = [], 0, "", []
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    parts.append("".join(current).strip())
    return parts


def parse_vary(text: str) -> Axis:
    """Parse ``KEY=V1,V2,…``; a one-line error if it is malformed."""
    key, sep, values = text.partition("=")
    key = key.strip()
    if not sep or not key or " " in key:
        raise ScenarioError("--vary", text, "expected KEY=V1,V2,..., e.g. "
                            "staffing.centres.county=6,8,10")
    parts = _split_top_level(values)
    if not all(parts):
        raise ScenarioError("--vary", text, "empty value in the list (values are "
                            "comma-separated TOML literals)")
    if len(set(parts)) != len(parts):
        raise ScenarioError("--vary", text, "a value is listed twice")
    return Axis(key, tuple(parts))


def grid_variants(source: Source, axes: Sequence[Axis]) -> list[Variant]:
    """Every combination of the axes' values, loaded and validated up front (so a bad key or
    value fails before any run)."""
    keys = [a.key for a in axes]
    if len(set(keys)) != len(keys):
        raise ScenarioError("--vary", keys[0], "the same key is varied twice")
    out = []
    for combo in itertools.product(*(a.values for a in axes)):
        settings = dict(zip(keys, combo, strict=True))
        label = "; ".join(f"{k}={v}" for k, v in settings.items())
        out.append(source.variant(label, [f"{k}={v}" for k, v in settings.items()],
                                  settings=settings))
    return out


def _number(text: str) -> float | None:
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _charts(results: Results, axis: Axis, shown: Sequence[Measure]) -> list[Chart]:
    """A chart per shown KPI against the one varied key: a line with its CI band if the
    values are numbers, bars with CI error bars otherwise."""
    xs = [_number(v) for v in axis.values]
    out = []
    for m in shown:
        s = [results.summary(i, m) for i in range(len(results.variants))]
        mean = [x.mean for x in s]
        lo = [x.mean if math.isnan(x.lo) else x.lo for x in s]
        hi = [x.mean if math.isnan(x.hi) else x.hi for x in s]
        if all(x is not None for x in xs):
            draw = partial(charts.line_with_band, xs, mean, lo, hi, band_label="95 % CI",
                           xlabel=axis.key, ylabel=m.key)
        else:
            draw = partial(charts.grouped_bars, list(axis.values), {m.key: mean},
                           lo={m.key: lo}, hi={m.key: hi}, xlabel=axis.key, ylabel=m.key)
        out.append(Chart(name=f"sweep_{m.key}", title=f"{m.label} vs {axis.key}", draw=draw,
                         caption=f"{m.key}: mean over replications with its 95 % CI."))
    return out


def sweep_report(results: Results, axes: Sequence[Axis], shown: Sequence[Measure],
                 runner: Runner) -> Report:
    """The sweep report: one table of every grid point (+ charts when one key varies)."""
    measures = results.measures()
    varied = ", ".join(f"{a.key} ∈ {{{', '.join(a.values)}}}" for a in axes)
    base = results.variants[0].scenario
    return Report(
        title=f"Sweep of {', '.join(a.key for a in axes)}: {base.meta.name}",
        subtitle=f"{base.rules.jurisdiction.name_zh} rules",
        meta=report_meta(base, results.design, runner,
                         list({v.scenario.rules.jurisdiction.key: v.scenario.rules
                               for v in results.variants}.values())),
        sections=[
            Section(heading="Results",
                    text=f"Varied: {varied} ({len(results.variants)} grid points). "
                    + method_text(results.design),
                    charts=_charts(results, axes[0], shown) if len(axes) == 1 else [],
                    tables=[summary_table("sweep", results, measures,
                                          "Each grid point's KPIs: mean and 95 % CI limits "
                                          "over replications.")]),
            Section(heading="Steady state", text=stability_text(results)),
            Section(heading="Runs", tables=[runs_table(results, measures)]),
        ])
