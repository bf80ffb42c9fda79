"""Compare jurisdictions: the same world, workload, staffing and seeds, only the rules swapped.

Differences are tested against the first rule set with a paired t-test on per-seed
differences (the runs share their seeds: common random numbers), two-sided, with Holm's
correction across the KPIs of each comparison; a gap counts as significant at family-wise
α = 0.05. Each significant gap is listed with the rule differences that can drive it (rule
paths under the KPI's drivers, :mod:`sim.planning.measures`) and their articles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from reports import Chart, Report, Section, Table, charts
from sim.config import ScenarioError
from sim.config.scenario import resolve_part
from sim.planning.experiment import Design, Results, Source, run_variants
from sim.planning.measures import Measure
from sim.planning.replicate import Runner
from sim.planning.reporting import (
    ci_cells,
    method_text,
    report_meta,
    runs_table,
    stability_text,
)
from sim.planning.rulediff import RuleDiff, diff_rules, matches
from sim.planning.stats import Difference, holm, paired

ALPHA = 0.05
TEST = ("paired t-test on per-seed differences (common random numbers), two-sided, "
        "Holm–Bonferroni across the KPIs of each comparison (KPIs identical in every run left "
        f"out), family-wise α = {ALPHA}")


def rule_names(text: str, scenario: Path) -> list[str]:
    """``jiangsu,qingdao,…`` (names in scenarios/rules/ or paths); one-line error if a name
    has no file or the list is malformed."""
    names = [n.strip() for n in text.split(",")]
    if len(names) < 2 or not all(names):
        raise ScenarioError("--rules", text, "expected two or more rule sets, e.g. "
                            "jiangsu,qingdao")
    if len(set(names)) != len(names):
        raise ScenarioError("--rules", text, "a rule set is listed twice")
    for n in names:
        path = resolve_part(scenario.parent, "rules", n)
        if not path.is_file():
            known = sorted(p.stem for p in path.parent.glob("*.toml"))
            raise ScenarioError("--rules", n, f"unknown rule set: no {path} (known: "
                                f"{', '.join(known)})")
    return names


@dataclass(frozen=True)
class Gap:
    """One KPI's difference between a rule set and the reference."""

    other: int  # variant index
    measure: Measure
    diff: Difference
    p_holm: float
    drivers: tuple[RuleDiff, ...]

    @property
    def significant(self) -> bool:
        """Significant after Holm's correction (identical KPIs have no adjusted p)."""
        return not math.isnan(self.p_holm) and self.p_holm < ALPHA


@dataclass
class Comparison:
    """The replicated runs of every rule set and their gaps to the first."""

    results: Results
    measures: list[Measure]
    rule_diffs: dict[int, list[RuleDiff]]
    gaps: list[Gap]

    def gap(self, other: int, key: str) -> Gap:
        """The gap of rule set ``other`` to the reference on KPI ``key``."""
        return next(g for g in self.gaps if g.other == other and g.measure.key == key)


def compare(runner: Runner, source: Source, names: Sequence[str], design: Design) -> Comparison:
    """Replicate the scenario under each rule set and test every KPI against the first."""
    variants = [source.variant(n, rules=n, settings={"rules": n}) for n in names]
    results = run_variants(runner, variants, design)
    measures = results.measures()
    ref = variants[0].scenario.rules
    rule_diffs, gaps = {}, []
    for i in range(1, len(variants)):
        diffs = diff_rules(ref, variants[i].scenario.rules)
        rule_diffs[i] = diffs
        tests = [paired(results.values(0, m), results.values(i, m)) for m in measures]
        # A KPI identical in every pair (the rules change nothing the KPI sees) is no test at
        # all; leaving it out of Holm's family keeps the correction from diluting the rest.
        family = [math.nan if _identical(d) else d.p for d in tests]
        for m, d, p in zip(measures, tests, holm(family), strict=True):
            gaps.append(Gap(i, m, d, p, tuple(x for x in diffs if matches(x.path, m.drivers))))
    return Comparison(results, measures, rule_diffs, gaps)


def _identical(d: Difference) -> bool:
    return d.diff == 0.0 and d.lo == 0.0 and d.hi == 0.0


def _label(c: Comparison, i: int) -> str:
    return c.results.variants[i].label


def kpi_table(c: Comparison) -> Table:
    """KPIs side by side: each rule set's mean and CI, and each gap to the reference."""
    n = len(c.results.variants)
    cols = ["kpi", "label"]
    for i in range(n):
        cols += [_label(c, i), f"{_label(c, i)}.lo", f"{_label(c, i)}.hi"]
    for i in range(1, n):
        cols += [f"{_label(c, i)}.diff", f"{_label(c, i)}.p_holm", f"{_label(c, i)}.significant"]
    rows = []
    for m in c.measures:
        row: list[Any] = [m.key, m.label]
        for i in range(n):
            row += ci_cells(c.results.summary(i, m))
        for i in range(1, n):
            g = c.gap(i, m.key)
            row += [g.diff.diff, g.p_holm, g.significant]
        rows.append(row)
    return Table(name="kpis", columns=cols, rows=rows,
                 caption=f"Means and 95 % CIs per rule set; .diff is the mean paired difference "
                 f"to {_label(c, 0)}, .significant marks gaps significant by the {TEST}.")


def _diff_text(d: RuleDiff) -> str:
    return f"{d.path}: {d.a} → {d.b} ({d.article_a} | {d.article_b})"


def gaps_table(c: Comparison) -> Table:
    """Every gap with its test, and the rule differences that can drive it."""
    rows = [[_label(c, g.other), g.measure.key, g.diff.diff, g.diff.lo, g.diff.hi, g.diff.p,
             g.p_holm, g.significant, g.diff.n, "; ".join(_diff_text(d) for d in g.drivers)]
            for g in c.gaps]
    return Table(
        name="gaps", rows=rows,
        columns=["rules", "kpi", "diff", "diff.lo", "diff.hi", "p", "p_holm", "significant",
                 "pairs", "rule_differences"],
        caption=f"Each rule set against {_label(c, 0)}, KPI by KPI: mean paired difference "
        f"(other − {_label(c, 0)}) with its 95 % CI, p-value and Holm-adjusted p-value "
        f"({TEST}); rule_differences lists the rules that differ and bear on the KPI in the "
        "model, as path: reference value → other value (reference article | other article).")


def rules_table(c: Comparison) -> Table:
    """Every rule difference with its articles and the KPIs it bears on."""
    rows = [[_label(c, i), d.path, d.a, d.b, d.article_a, d.article_b,
             ", ".join(m.key for m in c.measures if matches(d.path, m.drivers))]
            for i, diffs in c.rule_diffs.items() for d in diffs]
    ref = _label(c, 0)
    return Table(name="rule_differences", rows=rows,
                 columns=["rules", "rule", f"{ref}_value", "value", f"{ref}_article",
                          "article", "kpis"],
                 caption=f"Rules that differ from {ref}'s, with each side's article (or the "
                 "stated assumption) and the KPIs they can move.")


def _charts(c: Comparison) -> list[Chart]:
    out = []
    names = [_label(c, i) for i in range(len(c.results.variants))]
    for m in c.measures:
        s = [c.results.summary(i, m) for i in range(len(names))]
        if any(math.isnan(x.mean) for x in s):
            continue  # a KPI some rule set never produces (e.g. no step of that kind)
        stars = ["" if i == 0 or not c.gap(i, m.key).significant else " *"
                 for i in range(len(names))]
        fill = [(x.lo, x.hi) if not math.isnan(x.lo) else (x.mean, x.mean) for x in s]
        out.append(Chart(
            name=f"kpi_{m.key}", title=f"{m.label}",
            caption=f"{m.key} per rule set, 95 % CI; * differs significantly from "
            f"{names[0]} ({TEST}).",
            draw=partial(charts.grouped_bars, [n + st for n, st in zip(names, stars,
                                                                       strict=True)],
                         {m.key: [x.mean for x in s]}, lo={m.key: [f[0] for f in fill]},
                         hi={m.key: [f[1] for f in fill]}, ylabel=m.key),
            size=(6.0, 3.5)))
    return out


def compare_report(c: Comparison, runner: Runner) -> Report:
    """The comparison report."""
    base = c.results.variants[0].scenario
    names = [_label(c, i) for i in range(len(c.results.variants))]
    significant = [g for g in c.gaps if g.significant]
    lines = [f"{_label(c, g.other)} vs {names[0]}: {g.measure.key} "
             f"{format(g.diff.diff, '+' + g.measure.fmt)} — driven by: "
             + ("; ".join(_diff_text(d) for d in g.drivers) or "no rule difference the model "
                "ties to this KPI (an indirect effect)")
             for g in significant]
    text = (f"Rule sets: {', '.join(names)}; the reference is {names[0]}. Same world "
            "population, workload, staffing and seeds; only the rules differ (grids are cut "
            f"by each set's rules). {method_text(c.results.design)}\n\nTest: {TEST}.")
    return Report(
        title=f"Jurisdictions compared: {base.meta.name}",
        subtitle=" vs ".join(v.scenario.rules.jurisdiction.name_zh for v in c.results.variants),
        meta=report_meta(base, c.results.design, runner,
                         [v.scenario.rules for v in c.results.variants]),
        sections=[
            Section(heading="Steady state", text=stability_text(c.results)),
            Section(heading="KPIs side by side", text=text, tables=[kpi_table(c)]),
            Section(heading="Significant gaps and the rules behind them",
                    text="\n\n".join(lines) or "No KPI differs significantly.",
                    tables=[gaps_table(c), rules_table(c)]),
            Section(heading="Charts", charts=_charts(c)),
            Section(heading="Runs", tables=[runs_table(c.results, c.measures)]),
        ])
