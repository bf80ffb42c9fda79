"""Report pieces every planner and researcher command shares: metadata (scenario, rule
citations, seeds), tables of summaries and of every run, and CI formatting."""

from __future__ import annotations

import math
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from reports import Table
from sim.config import Rules, Scenario
from sim.planning.experiment import Design, Results
from sim.planning.measures import Measure
from sim.planning.replicate import Runner
from sim.planning.rulediff import citations
from sim.planning.stats import CONFIDENCE, Summary


def _gridsim_version() -> str:
    try:
        return version("gridsim")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def report_meta(base: Scenario, design: Design, runner: Runner,
                rule_sets: Sequence[Rules] = ()) -> dict[str, str | list[str]]:
    """What a reader needs to trust or reproduce a report: the scenario and its files, every
    rule block's article, the seeds, days and replications, and where the runs ran."""
    meta: dict[str, str | list[str]] = {
        "scenario": f"{base.meta.name}: {base.meta.description}".rstrip(": "),
        "scenario files": [f"{part}: {path}" for part, path in base.files.items()],
        "world seed": str(base.meta.seed),
        "replication seeds": ", ".join(str(s) for s in design.seeds),
        "replications": str(len(design.seeds)),
        "days simulated": f"{design.days:g} measured after a {base.meta.warmup_days:g}-day "
                          "warm-up",
        "ran on": runner.describe(),
        "gridsim": _gridsim_version(),
    }
    for rules in rule_sets or [base.rules]:
        j = rules.jurisdiction
        meta[f"rules: {j.key}"] = [f"{j.name_zh} {j.instrument} (seed {j.document}, in force "
                                   f"{j.in_force})", *citations(rules)]
    return meta


def stability_lines(results: Results, variants: Sequence[int] | None = None) -> list[str]:
    """The stability flags (:mod:`sim.metrics.stability`) raised in the replications of
    ``variants`` (default: all), one line per variant and flag with the runs that raised it,
    and how often MSER-5 suggested a longer warm-up than the runs had."""
    lines = []
    short: list[float] = []
    for i in range(len(results.variants)) if variants is None else variants:
        runs = results.outcomes[i]
        seen: dict[tuple[str, str], list[str]] = {}
        for o in runs:
            for f in o.kpis["stability"]["flags"]:
                seen.setdefault((f["kind"], f["tier"]), []).append(f["message"])
            if o.kpis["warmup"]["short"]:
                short.append(o.kpis["warmup"]["suggested_days"])
        label = results.variants[i].label
        lines += [f"{label}: {messages[0]} ({len(messages)} of {len(runs)} runs)"
                  for messages in seen.values()]
    if short:
        lines.append(f"MSER-5 suggested a longer warm-up than the runs had in {len(short)} of "
                     f"them (up to {max(short):.1f} days).")
    return lines


def stability_text(results: Results, variants: Sequence[int] | None = None) -> str:
    """:func:`stability_lines` as report paragraphs, or the all-clear."""
    lines = stability_lines(results, variants)
    if lines:
        return "\n\n".join(f"⚠ {line}" for line in lines)
    judged = all(o.kpis["stability"]["judged"]
                 for i in (range(len(results.variants)) if variants is None else variants)
                 for o in results.outcomes[i])
    return ("No run flagged a tier without a steady state (a backlog growing through the "
            "measured days, or work offered beyond the hours available)." if judged else
            "Steady state not judged: the runs measured too few days to tell.")


def design_text(design: Design, runner: Runner) -> str:
    """``4 replications of 30 days, seeds 1…4, 2 local processes`` for terminal headers."""
    return (f"{len(design.seeds)} replications of {design.days:g} days, seeds "
            f"{design.seeds[0]}…{design.seeds[-1]}, {runner.describe()}")


def method_text(design: Design) -> str:
    """The statistical method, stated once per report."""
    return (f"Every variant ran with the same {len(design.seeds)} seeds "
            f"({', '.join(str(s) for s in design.seeds)}) for {design.days:g} measured days "
            "after the scenario's warm-up: common random numbers, so the variants see the same "
            "arrivals and per-case draws. KPIs count the cases reported after the warm-up, "
            "open ones included (a step open past its deadline is late). Means "
            f"carry two-sided {CONFIDENCE:.0%} t confidence intervals over replications "
            "(runs, not cases, are the independent observations).")


def ci_columns(measure: Measure) -> list[str]:
    """Column names of a measure's mean and confidence limits."""
    return [measure.key, f"{measure.key}.lo", f"{measure.key}.hi"]


def ci_cells(summary: Summary) -> list[float]:
    """A summary as [mean, lo, hi] cells."""
    return [summary.mean, summary.lo, summary.hi]


def ci_text(measure: Measure, s: Summary) -> str:
    """``92.6% [92.0%, 93.3%]`` for terminal tables; ``–`` where there is no value."""
    if math.isnan(s.mean):
        return "–"
    text = format(s.mean, measure.fmt)
    if not math.isnan(s.lo):
        text += f" [{format(s.lo, measure.fmt)}, {format(s.hi, measure.fmt)}]"
    return text


def _formats(measures: Sequence[Measure]) -> dict[str, str]:
    return {c: m.fmt for m in measures for c in ci_columns(m)}


def summary_table(name: str, results: Results, measures: Sequence[Measure],
                  caption: str = "", extra: Sequence[dict[str, Any]] = ()) -> Table:
    """One row per variant: its settings, ``extra`` columns (one dict per variant), then
    each measure's mean and CI limits."""
    settings = list(dict.fromkeys(k for v in results.variants for k in v.settings))
    extra_cols = list(dict.fromkeys(k for row in extra for k in row))
    rows = []
    for i, v in enumerate(results.variants):
        row: list[Any] = [v.label, *(v.settings.get(k) for k in settings)]
        row += [extra[i].get(k) for k in extra_cols] if extra else []
        for m in measures:
            row += ci_cells(results.summary(i, m))
        rows.append(row)
    return Table(name=name, caption=caption, rows=rows,
                 columns=["variant", *settings, *extra_cols,
                          *(c for m in measures for c in ci_columns(m))],
                 formats=_formats(measures))


def runs_table(results: Results, measures: Sequence[Measure], name: str = "runs") -> Table:
    """Every replication behind a report: variant, seed and each measure's value."""
    settings = list(dict.fromkeys(k for v in results.variants for k in v.settings))
    rows = []
    for i, v in enumerate(results.variants):
        # a variant a search stopped early has run the first seeds only
        for seed, outcome in zip(results.design.seeds, results.outcomes[i], strict=False):
            rows.append([v.label, *(v.settings.get(k) for k in settings), seed,
                         *(m.value(outcome.kpis) for m in measures)])
    return Table(name=name, rows=rows,
                 caption="Every run: one row per variant and seed, each measure's value.",
                 columns=["variant", *settings, "seed", *(m.key for m in measures)],
                 formats={m.key: m.fmt for m in measures})
