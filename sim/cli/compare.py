"""`gridsim compare`: the same scenario under several jurisdictions' rules, KPIs side by side
with confidence intervals and significance, and the rule differences behind each gap."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from sim.cli import app
from sim.cli.common import (
    DaysOpt,
    JsonOpt,
    ScenarioArg,
    SeedOpt,
    SetOpt,
    console,
    print_json,
    table,
)
from sim.planning.cli import DaskOpt, OutOpt, ProcessesOpt, RepsOpt, deliver, open_runner
from sim.planning.compare import TEST, compare, compare_report, rule_names
from sim.planning.experiment import Design, Source
from sim.planning.reporting import ci_text, design_text, stability_lines


@app.command("compare")
def compare_cmd(
    scenario: ScenarioArg,
    rules: Annotated[str, typer.Option(
        "--rules", metavar="NAME,NAME,...", show_default=False,
        help="Rule sets to compare, comma-separated: names in scenarios/rules/ (jiangsu, "
        "qingdao, liaocheng, zigong) or paths. The first is the reference the others are "
        "tested against.")],
    out: OutOpt,
    reps: RepsOpt = 5,
    days: DaysOpt = None,
    processes: ProcessesOpt = None,
    dask: DaskOpt = None,
    json_out: JsonOpt = False,
    sets: SetOpt = None,
    seed: SeedOpt = None,
) -> None:
    """Run SCENARIO under each of --rules with the same world, workload, staffing and seeds;
    show every KPI per rule set with its 95% CI, mark gaps to the first rule set that a paired
    t-test (Holm-corrected) finds significant, and list the rule differences (with articles)
    that drive each gap. Writes the report, a chart per KPI and every run to --out."""
    source = Source.of(scenario, sets, None, seed)
    names = rule_names(rules, scenario)
    base = source.load(rules=names[0])
    design = Design.of(base, reps, days)
    with open_runner(processes, dask, quiet=json_out) as runner:
        result = compare(runner, source, names, design)
        report = compare_report(result, runner)
    labels = [v.label for v in result.results.variants]
    if json_out:
        html = deliver(report, out, None)
        print_json({
            "scenario": base.meta.name, "rules": labels, "seeds": list(design.seeds),
            "days": design.days, "test": TEST, "report": str(html),
            "kpis": {m.key: {labels[i]: vars(result.results.summary(i, m))
                             for i in range(len(labels))} for m in result.measures},
            "gaps": [{"rules": labels[g.other], "kpi": g.measure.key, **vars(g.diff),
                      "p_holm": g.p_holm, "significant": g.significant,
                      "rule_differences": [vars(d) for d in g.drivers]} for g in result.gaps],
        })
        return
    console.print(f"[bold]{escape(base.meta.name)}[/] under {escape(', '.join(labels))}: "
                  f"{design_text(design, runner)}")
    rows = []
    for m in result.measures:
        row = {"kpi": m.key}
        for i, name in enumerate(labels):
            mark = " *" if i and result.gap(i, m.key).significant else ""
            row[name] = ci_text(m, result.results.summary(i, m)) + mark
        rows.append(row)
    for line in stability_lines(result.results):
        console.print(f"[bold red]{escape(line)}[/]")
    console.print(table(f"KPIs (mean [95% CI]); * differs from {escape(labels[0])}", rows))
    console.print(f"Test: {TEST}.")
    significant = [g for g in result.gaps if g.significant]
    headline = [g for g in significant if not g.measure.key.startswith("utilisation.")]
    for g in headline:
        drivers = [f"{d.path} {d.a}→{d.b} ({d.article_b.split(' (assumed')[0]})"
                   for d in g.drivers]
        console.print(f"[bold]{escape(labels[g.other])}[/] {g.measure.key} "
                      f"{format(g.diff.diff, '+' + g.measure.fmt)}: " + escape(
                          "; ".join(drivers[:3]) + (f" (+{len(drivers) - 3} more)"
                                                    if len(drivers) > 3 else "")
                          or "no rule difference the model ties to it"))
    if len(significant) > len(headline):
        console.print(f"… and {len(significant) - len(headline)} significant utilisation gaps; "
                      "every gap with its rule differences is in the report's gaps table.")
    deliver(report, out, console)
