"""The tables, charts and report of a sizing (:mod:`sim.planning.size`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from reports import Chart, Report, Section, Table, charts
from sim.planning.experiment import Source
from sim.planning.measures import Measure, lookup, utilisation
from sim.planning.replicate import Runner
from sim.planning.reporting import (
    ci_cells,
    ci_columns,
    method_text,
    report_meta,
    runs_table,
    stability_text,
)
from sim.planning.size import (
    SALARY_OF_ROLE,
    Candidate,
    Ladder,
    Sizing,
    annual_cost,
    busiest,
    staff,
)
from sim.planning.stats import CONFIDENCE
from sim.world import World, generate_world
from sim.world.tables import ROLES

UTILISATION_OF_ROLE = {"full_time": "full_time", "part_time": "part_time",
                       "exclusive": "exclusive", "township_staff": "centre.township",
                       "county_staff": "centre.county", "city_staff": "centre.city"}
TTC_P90 = lookup("time_to_close.p90")


@dataclass
class SizingView:
    """A sizing with the worlds of its candidates, to read headcounts and costs from."""

    sizing: Sizing
    source: Source

    def __post_init__(self) -> None:
        self._worlds: dict[tuple[int, ...], World] = {}

    def world(self, c: Candidate) -> World:
        """The world staffed as candidate ``c``."""
        if c.levels not in self._worlds:
            sets = [s for ld, lv in zip(self.sizing.ladders, c.levels, strict=True)
                    for s in ld.sets(lv)]
            self._worlds[c.levels] = generate_world(self.source.load(sets))
        return self._worlds[c.levels]

    def along(self, ladder: Ladder) -> list[Candidate]:
        """Candidates that differ from the recommendation in this tier only, by level."""
        rec = self.sizing.recommended
        assert rec is not None
        i = self.sizing.ladders.index(ladder)
        same = [c for c in self.sizing.candidates
                if c.levels[:i] + c.levels[i + 1:] == rec.levels[:i] + rec.levels[i + 1:]]
        return sorted(same, key=lambda c: c.levels[i])


def first_cut_table(s: Sizing) -> Table:
    """The Erlang C first cut of every tier the rules staff."""
    rows = []
    for tier, fc in s.first_cuts.items():
        sized = next((ld for ld in s.ladders if ld.tier == tier), None)
        rows.append([tier, fc.queues, fc.arrivals_per_hour, fc.service_hours, fc.allowed_hours,
                     fc.level, fc.erlang.service_level, fc.erlang.p_wait, fc.erlang.mean_wait,
                     fc.reachable, sized is not None])
    return Table(
        name="first_cut", rows=rows,
        columns=["tier", "queues", "arrivals_per_open_hour", "service_hours", "allowed_hours",
                 "erlang_c_level", "erlang_c_service_level", "erlang_c_p_wait",
                 "erlang_c_mean_wait_hours", "erlang_c_reachable", "sized"],
        units={"arrivals_per_open_hour": "jobs/h", "service_hours": "h", "allowed_hours": "h",
               "erlang_c_mean_wait_hours": "h"},
        formats={"arrivals_per_open_hour": ",.2f", "service_hours": ".3f",
                 "allowed_hours": ".2f", "erlang_c_service_level": ".4f",
                 "erlang_c_p_wait": ".4f", "erlang_c_mean_wait_hours": ".3f"},
        caption="Erlang C first cut per tier, from the loads measured in the baseline runs: "
        "queues (units with work), their arrivals per open working hour (summed), the mean "
        "service hours per job, the allowed time of the target's step, the least ladder level "
        "whose queues serve the target's share of jobs in time, and at that level the share, "
        "the probability of waiting and the mean wait (averaged over jobs). Levels are ladder "
        "indices (see the candidates table for their meaning).")


def staffing_rows(view: SizingView) -> list[dict[str, Any]]:
    """Staff per tier and role at the recommendation: level, headcount, salary, annual cost
    and utilisation (a :class:`Summary`, None where the role has no queue of its own)."""
    s, rec = view.sizing, view.sizing.recommended
    assert rec is not None
    world = view.world(rec)
    pay = s.base.staffing.salary_yuan_per_year
    level_of = {ld.world_role: ld.label(lv) for ld, lv in zip(s.ladders, rec.levels,
                                                               strict=True)}
    heads = staff(world)
    handlers = world.worker_role == ROLES.index("department_handler")
    per_dept = np.bincount(world.dept_unit_dept[world.worker_unit[handlers]],
                           minlength=len(world.departments)).tolist()
    entries = [(role.removesuffix("_staff") if role.endswith("_staff") else "grid", role, n,
                SALARY_OF_ROLE[role], UTILISATION_OF_ROLE.get(role), role)
               for role, n in heads.items() if n and role != "department_handler"]
    entries += [("department", f"department_handler.{d}", n, "department", f"department.{d}",
                 "department_handler")
                for d, n in zip(world.departments, per_dept, strict=True) if n]
    rows = [{"tier": tier, "role": role, "level": level_of.get(ladder_role, "as scenario"),
             "headcount": n, "salary_yuan_per_year": pay.get(salary, 0.0),
             "annual_cost_yuan": n * pay.get(salary, 0.0),
             "utilisation": s.results.summary(rec.variant, utilisation(util)) if util else None}
            for tier, role, n, salary, util, ladder_role in entries]
    rows.append({"tier": "total", "role": "all staff", "level": "",
                 "headcount": sum(heads.values()), "salary_yuan_per_year": None,
                 "annual_cost_yuan": annual_cost(s.base, heads), "utilisation": None})
    return rows


def staffing_table(view: SizingView) -> Table:
    """Staff per tier and role at the recommendation, utilisation with CI, annual cost."""
    util = utilisation("any")
    plain = ["tier", "role", "level", "headcount", "salary_yuan_per_year", "annual_cost_yuan"]
    rows = [[r[c] for c in plain] + (ci_cells(r["utilisation"]) if r["utilisation"]
                                     else [None] * 3)
            for r in staffing_rows(view)]
    return Table(
        name="staffing", rows=rows,
        columns=[*plain, "utilisation", "utilisation.lo", "utilisation.hi"],
        units={"salary_yuan_per_year": "yuan", "annual_cost_yuan": "yuan"},
        formats={"salary_yuan_per_year": ",.0f", "annual_cost_yuan": ",.0f",
                 **{c: util.fmt for c in ("utilisation", "utilisation.lo", "utilisation.hi")}},
        caption="Recommended staffing per tier and role: headcount, salary from the staffing "
        "policy, annual cost, and utilisation (share of available working time busy) with its "
        f"{CONFIDENCE:.0%} CI over the recommendation's runs. Sized tiers show their level; "
        "the rest stay as the scenario has them.")


def result_table(view: SizingView) -> Table:
    """Headline KPIs at the recommendation, with CIs."""
    s, rec = view.sizing, view.sizing.recommended
    assert rec is not None
    measures = list(dict.fromkeys([s.target.measure, lookup("on_time.handle"), TTC_P90,
                                   lookup("on_time.accept"), lookup("on_time.dispatch")]))
    rows = [[m.key, m.label, *ci_cells(s.results.summary(rec.variant, m)),
             m is s.target.measure] for m in measures]
    return Table(name="result", rows=rows,
                 columns=["kpi", "label", "mean", "lo", "hi", "is_target"],
                 caption=f"KPIs at the recommended staffing, means and {CONFIDENCE:.0%} CIs "
                 f"over its {len(s.results.outcomes[rec.variant])} runs.")


def candidates_table(view: SizingView) -> Table:
    """Every configuration the search evaluated."""
    s = view.sizing
    m = s.target.measure
    rows = []
    for k, c in enumerate(s.candidates):
        world = view.world(c)
        heads = staff(world)
        row: list[Any] = [k, c.phase]
        for ld, lv in zip(s.ladders, c.levels, strict=True):
            row += [lv, ld.label(lv), heads[ld.world_role], busiest(s.results, c.variant, ld)]
        row += [annual_cost(s.base, heads), *ci_cells(c.summary), c.meets,
                len(s.results.outcomes[c.variant]),
                *ci_cells(s.results.summary(c.variant, TTC_P90)),
                c is s.recommended]
        rows.append(row)
    tier_cols = [f"{ld.tier}.{x}" for ld in s.ladders
                 for x in ("level", "label", "headcount", "utilisation_max")]
    return Table(
        name="candidates", rows=rows,
        columns=["candidate", "phase", *tier_cols, "annual_cost_yuan", *ci_columns(m), "meets",
                 "replications", *ci_columns(TTC_P90), "recommended"],
        units={"annual_cost_yuan": "yuan"},
        formats={"annual_cost_yuan": ",.0f", **{c: m.fmt for c in ci_columns(m)},
                 **{c: TTC_P90.fmt for c in ci_columns(TTC_P90)},
                 **{f"{ld.tier}.utilisation_max": ".1%" for ld in s.ladders}},
        caption=f"Every staffing configuration evaluated, in order. 'meets' means the "
        f"{CONFIDENCE:.0%} CI of {m.key} lies on the target's side ({s.target}); utilisation_max "
        "is the tier's busiest role (departments: the busiest department).")


def _scatter(cost: Sequence[float], mean: Sequence[float], lo: Sequence[float],
             hi: Sequence[float], meets: Sequence[bool], target: float, ylabel: str,
             fig: Figure) -> Figure:
    """Target KPI against annual cost, one point per candidate, CI as error bars."""
    ax = fig.add_subplot()
    x, y = np.asarray(cost) / 1e6, np.asarray(mean)
    err = np.vstack([y - np.asarray(lo), np.asarray(hi) - y])
    ok = np.asarray(meets, dtype=bool)
    for sel, label, marker in ((ok, "meets", "o"), (~ok, "misses", "x")):
        if sel.any():
            ax.errorbar(x[sel], y[sel], yerr=err[:, sel], fmt=marker, capsize=3, label=label)
    ax.axhline(target, color="0.25", linestyle="--", linewidth=1, label="target")
    ax.set_xlabel("annual staff cost (million yuan)")
    ax.set_ylabel(ylabel)
    ax.legend(loc="best", fontsize="small")
    return fig


def _charts(view: SizingView) -> list[Chart]:
    s = view.sizing
    m: Measure = s.target.measure
    out = []
    if s.recommended is not None and s.reachable:
        for ld in s.ladders:
            pts = view.along(ld)
            x = [staff(view.world(c))[ld.world_role] for c in pts]
            out.append(Chart(
                name=f"curve_{ld.tier}", title=f"{m.key} vs {ld.role}",
                caption=f"{m.label} against the {ld.tier} tier's headcount, the other sized "
                "tiers as recommended; band: 95 % CI; dashed: the target.",
                draw=partial(charts.line_with_band, x, [c.summary.mean for c in pts],
                             [c.summary.lo for c in pts], [c.summary.hi for c in pts],
                             target=s.target.value, band_label="95 % CI",
                             xlabel=f"{ld.world_role} headcount", ylabel=m.key)))
    out.append(Chart(
        name="cost", title=f"{m.key} vs annual staff cost, every candidate",
        caption="Each configuration the search evaluated: the target KPI (95 % CI as error "
        "bars) against the annual cost of all staff.",
        draw=partial(_scatter, [annual_cost(s.base, staff(view.world(c))) for c in s.candidates],
                     [c.summary.mean for c in s.candidates], [c.summary.lo for c in s.candidates],
                     [c.summary.hi for c in s.candidates], [c.meets for c in s.candidates],
                     s.target.value, m.key)))
    return out


def method(s: Sizing, runner: Runner) -> str:
    """The method section's text."""
    tiers = ", ".join(f"{ld.tier} ({ld.knob})" for ld in s.ladders)
    return (
        f"Target: {s.target} ({s.target.measure.label}). Sized tiers: {tiers}; the other tiers "
        "stay as the scenario has them. A configuration meets the target when the whole "
        f"{CONFIDENCE:.0%} confidence interval of the KPI lies on the target's side.\n\n"
        f"{method_text(s.design)} Sequential sampling: each candidate first ran the first "
        "replications; only those whose interval still contained the target ran them all "
        "(the 'replications' column).\n\n"
        "First cut: the baseline runs' queues (centres, department units, each grid's "
        "workers) as M/M/c queues — Erlang C, P(Wq ≤ t) = 1 − C(c, λ/μ)·e^(−(cμ−λ)t) — with "
        "the arrivals per open working hour and hours per job measured in those runs, t the "
        "target step's allowed time less the job's own service time; grid workers' patrols, "
        "sweeps and visits count as a fixed load that slows them on cases. Erlang A does not "
        "apply: no case in this model abandons its queue (residents' reports, patrol finds and "
        "department tasks all wait until handled), so there is no abandonment rate to use.\n\n"
        "Search: from the first cut (or, if it misses, the first cut or the scenario, whichever "
        "is more, raised by 25 %, 50 %, 100 % … of headcount until the target is met), each "
        "tier in turn, the dearest level first, is lowered — first cut first, then galloping "
        "down and bisecting — to the least level that still meets the target; finally one "
        "level fewer of every sized tier, the others as recommended, is evaluated and must "
        "miss. On-time rates count a step still open past its deadline at the end of a run "
        "as late (one not yet due is left out), so an understaffed tier's backlog counts "
        "against it; KPIs cover the runs' measured days, after the warm-up. The search "
        "assumes more staff never "
        "lowers the KPI. That can fail: the handling deadline restarts at each dispatch, so a "
        "slow centre that holds cases back from overloaded departments can raise the on-time "
        "rate. The recommendation rests on the evaluated neighbours in the candidates table.")


def search_stability(s: Sizing) -> str:
    """How many candidates had a tier without a steady state (expected of the understaffed
    ones the search rules out), and which flags the baseline raised."""
    flagged = [c for c in s.candidates
               if any(o.kpis["stability"]["flags"] for o in s.results.outcomes[c.variant])]
    baseline = next(c for c in s.candidates if c.phase == "baseline")
    return (f"{len(flagged)} of {len(s.candidates)} candidates had a tier without a steady "
            "state in some run (a backlog growing through the measured days, or work offered "
            "beyond the hours available); their KPIs depend on the run's length. The scenario "
            "as given (baseline): " + stability_text(s.results, [baseline.variant]))


def size_report(view: SizingView, runner: Runner) -> Report:
    """The sizing report."""
    s = view.sizing
    sections = [Section(heading="Target and method", text=method(s, runner),
                        tables=[first_cut_table(s)])]
    if s.recommended is not None and s.reachable:
        sections.append(Section(
            heading="Recommended staffing",
            text=f"The least staffing found that meets {s.target}: "
            + "; ".join(f"{ld.tier} {ld.label(lv)}"
                        for ld, lv in zip(s.ladders, s.recommended.levels, strict=True)) + "."
            + "\n\n" + stability_text(s.results, [s.recommended.variant]),
            tables=[staffing_table(view), result_table(view)]))
    else:
        sections.append(Section(
            heading="Target not reached",
            text=f"No staffing of the sized tiers met {s.target}: {s.why_not}. The target is "
            "out of these tiers' reach: size another tier, relax the target or change the "
            "rules."))
    sections.append(Section(heading="Search", text=search_stability(s), charts=_charts(view),
                            tables=[candidates_table(view)]))
    measures = s.results.measures()
    sections.append(Section(heading="Runs", tables=[runs_table(s.results, measures)]))
    return Report(title=f"Staffing for {s.target}: {s.base.meta.name}",
                  subtitle=f"{s.base.rules.jurisdiction.name_zh} rules",
                  meta=report_meta(s.base, s.design, runner), sections=sections)


def size_json(view: SizingView) -> dict[str, Any]:
    """The sizing for machines."""
    s = view.sizing
    rec = s.recommended if s.reachable else None

    def summary(c: Candidate, m: Measure) -> Mapping[str, float]:
        x = s.results.summary(c.variant, m)
        return {"mean": x.mean, "lo": x.lo, "hi": x.hi, "n": x.n}

    return {
        "scenario": s.base.meta.name,
        "target": {"kpi": s.target.measure.key, "value": s.target.value,
                   "at_least": s.target.at_least},
        "reached": s.reachable,
        "why_not": s.why_not or None,
        "seeds": list(s.design.seeds),
        "days": s.design.days,
        "first_cut": {t: {"level": fc.level, **vars(fc.erlang)}
                      for t, fc in s.first_cuts.items()},
        "recommended": None if rec is None else {
            ld.tier: {"level": lv, "label": ld.label(lv),
                      "headcount": staff(view.world(rec))[ld.world_role]}
            for ld, lv in zip(s.ladders, rec.levels, strict=True)},
        "kpis": None if rec is None else {m.key: summary(rec, m)
                                          for m in (s.target.measure, TTC_P90)},
        "annual_cost_yuan": None if rec is None else annual_cost(s.base,
                                                                 staff(view.world(rec))),
        "candidates": [{"levels": dict(zip((ld.tier for ld in s.ladders), c.levels,
                                           strict=True)),
                        "phase": c.phase, "meets": c.meets, **summary(c, s.target.measure)}
                       for c in s.candidates],
    }
