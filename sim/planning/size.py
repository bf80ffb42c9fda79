"""Staffing sizing: an Erlang C first cut per tier, then a simulation search for the least
staffing that meets a target with 95 % confidence.

Each tier has a *ladder* of integer staffing levels (:class:`Ladder`): full-time workers per
grid (and, where the rules allow it, one worker sharing several grids), staff per township,
county or city centre, and department handlers in tenths of the scenario's rates.

1. **Baseline.** The scenario as given is replicated; a probe measures every queue it has
   (:func:`unit_loads`): jobs per open working hour, hours per job, and for grid workers the
   patrols, sweeps and door visits that take their time at low priority.
2. **First cut.** Per tier, the least level whose queues, as M/M/c queues (Erlang C), let the
   share of jobs the target asks for wait no longer than the target's step allows
   (:func:`first_cut`). No case in the model abandons its queue, so Erlang A does not apply.
3. **Search.** Every candidate runs with the same seeds (common random numbers); it *meets*
   the target when its 95 % CI lies on the target's side (the lower limit ≥ target for
   rates). First find a configuration that meets: the first cut; else the first cut or the
   scenario, whichever is more, per tier; else that raised by 25 %, 50 %, 100 % … of headcount
   (a raise without significant gain means the target is out of reach). Then lower each tier
   in turn, the least busy first — first cut first, then gallop down and bisect — to the
   least level that still meets. Finally certify: one level fewer of every sized tier, the
   others as recommended, is evaluated and must miss (else go round again).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pyarrow.compute as pc

from sim.config import Scenario, ScenarioError
from sim.model.resource import Pool
from sim.planning.experiment import Design, Results, Source, run_variants
from sim.planning.measures import Measure, lookup, utilisation
from sim.planning.replicate import Probe, Runner
from sim.planning.stats import Summary, paired
from sim.runner import RunResult
from sim.theory import erlang_c, mmc_mean_wait, mmc_service_level
from sim.world import World, generate_world
from sim.world.tables import ROLES

TIERS = ("grid", "township", "county", "city", "department")
SALARY_OF_ROLE = {
    "full_time": "full_time", "part_time": "part_time", "exclusive": "exclusive",
    "grid_head": "grid_head", "instructor": "instructor", "township_staff": "centre",
    "county_staff": "centre", "city_staff": "centre", "department_handler": "department",
}
ROUTINE = ("patrol", "sweep", "visit")


# --- targets ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """A KPI bound that a staffing level must meet with confidence."""

    measure: Measure
    value: float

    @property
    def at_least(self) -> bool:
        """Rates must reach the value; times must stay under it."""
        return bool(self.measure.higher_is_better)

    def met(self, s: Summary) -> bool:
        """Whether the whole confidence interval lies on the right side of the value."""
        bound = s.lo if self.at_least else s.hi
        return not math.isnan(bound) and (bound >= self.value if self.at_least
                                          else bound <= self.value)

    def straddles(self, s: Summary) -> bool:
        """Whether the CI still contains the value (more replications could decide)."""
        return math.isnan(s.lo) or s.lo < self.value < s.hi

    def __str__(self) -> str:
        return f"{self.measure.key} {'≥' if self.at_least else '≤'} " \
               f"{format(self.value, self.measure.fmt)}"


_SIZABLE = re.compile(r"^(on_time\.(accept|dispatch|handle|verify)"
                      r"|time_to_close\.p(50|90|99))$")


def parse_target(text: str) -> Target:
    """``KPI=VALUE``: an on-time rate (``on_time=0.95``, ``on_time.accept=0.9``) or a
    time-to-close quantile in hours (``time_to_close.p90=72``)."""
    key, sep, raw = text.partition("=")
    if not sep:
        raise ScenarioError("--target", text, "expected KPI=VALUE, e.g. on_time=0.95")
    measure = lookup(key.strip(), "--target")
    if not _SIZABLE.match(measure.key):
        raise ScenarioError("--target", key.strip(), "cannot size for this KPI (size for "
                            "on_time[.accept|.dispatch|.handle|.verify] or "
                            "time_to_close.p50|p90|p99)")
    try:
        value = float(raw)
    except ValueError:
        raise ScenarioError("--target", text, f"{raw.strip()!r} is not a number") from None
    if measure.unit == "share" and not 0 < value < 1:
        raise ScenarioError("--target", text, "a rate target must lie strictly between 0 and 1")
    if measure.unit == "h" and value <= 0:
        raise ScenarioError("--target", text, "a time target must be positive hours")
    return Target(measure, value)


# --- measured loads -----------------------------------------------------------------------
@dataclass(frozen=True)
class UnitLoad:
    """One queue of the baseline run: a centre, a department unit, or a grid's worker(s)."""

    tier: str
    unit: int  # unit row of the tier (grid row for grids, department-unit row for departments)
    open_hours: float  # hours the unit could work on jobs (shift less admin and training)
    open_share: float  # open hours / run hours
    jobs: float  # jobs queued (for grids: cases reaching the worker)
    work_hours: float  # working hours those jobs took
    routine_hours: float = 0.0  # grids only: patrols, sweeps and visits, at lowest priority


def unit_loads(result: RunResult) -> list[UnitLoad]:
    """Probe: the load on every queue of a run over its measured window (runs in the worker
    process)."""
    m = result.model
    start, horizon = m.window_start, m.horizon
    span = horizon - start

    def open_hours(p: Pool) -> float:
        return p.cal.worked(horizon) - p.cal.worked(start)

    loads = []
    for tier, pools in m.centres.pools.items():
        for p in pools:
            open_h = open_hours(p)
            loads.append(UnitLoad(tier, p.unit, open_h, open_h / span, float(p.arrived),
                                  sum(p.work.values())))
    for p in m.departments.pools.values():
        open_h = open_hours(p)
        loads.append(UnitLoad("department", p.unit, open_h, open_h / span, float(p.arrived),
                              sum(p.work.values())))
    # Grid teams: their cases come first, patrols and visits fill the rest of the day, so the
    # case queue is the one sized; routine hours count as a fixed load on the team.
    code_row = {c: i for i, c in enumerate(m.world.grid_code.tolist())}
    cases = result.cases
    reached = cases.filter(pc.and_(cases["reached_worker"], cases["in_window"]))
    grid_rows = np.array([code_row[c] for c in reached["grid_code"].to_pylist()], dtype=np.int64)
    cases_per_grid = np.bincount(grid_rows, minlength=len(code_row))
    for team, grids in enumerate(m.teams.team_grids):
        p = m.teams.pools[team]
        if p.kind != "full_time" or grids.size == 0:
            continue
        open_h = open_hours(p)
        team_cases = cases_per_grid[grids].sum()
        case_h = sum(h for a, h in p.work.items() if a not in ROUTINE)
        routine_h = sum(p.work.get(a, 0.0) for a in ROUTINE)
        for g in grids.tolist():
            share = cases_per_grid[g] / team_cases if team_cases else 0.0
            loads.append(UnitLoad("grid", g, open_h, open_h / span, float(cases_per_grid[g]),
                                  case_h * share, routine_h / grids.size))
    return loads


def mean_loads(per_run: Sequence[Sequence[UnitLoad]]) -> list[UnitLoad]:
    """Average the loads of replications unit by unit."""
    by_key: dict[tuple[str, int], list[UnitLoad]] = {}
    for run in per_run:
        for u in run:
            by_key.setdefault((u.tier, u.unit), []).append(u)
    return [UnitLoad(t, unit, *(float(np.mean([getattr(u, f) for u in us]))
                                for f in ("open_hours", "open_share", "jobs", "work_hours",
                                          "routine_hours")))
            for (t, unit), us in sorted(by_key.items())]


# --- ladders ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Queue:
    """One unit's queue at some staffing level: c servers, arrivals per open hour, service
    rate per server (slowed where routine work takes part of the servers' time)."""

    servers: int
    lam: float
    mu: float
    service_hours: float
    open_share: float


class Ladder:
    """Integer staffing levels of one tier, the ``--set`` overrides that make them, and the
    queues each level gives the measured loads."""

    tier: str
    role: str
    world_role: str
    lowest: int = 1

    def __init__(self, base: Scenario) -> None:
        self.base = base

    def current(self) -> int:
        """The scenario's own level."""
        raise NotImplementedError

    def sets(self, level: int) -> list[str]:
        """Scenario overrides that staff this tier at ``level``."""
        raise NotImplementedError

    def label(self, level: int) -> str:
        """The level in words."""
        raise NotImplementedError

    def queues(self, level: int, loads: Sequence[UnitLoad],
               world: Callable[[], World]) -> list[Queue]:
        """The tier's queues at ``level`` (``world()`` gives the world staffed at that level,
        for ladders whose unit sizes depend on it)."""
        return [Queue(level, u.jobs / u.open_hours, u.jobs / u.work_hours,
                      u.work_hours / u.jobs, u.open_share)
                for u in loads if u.tier == self.tier and u.jobs > 0 and u.work_hours > 0]

    @property
    def knob(self) -> str:
        """The scenario key(s) the ladder turns."""
        return ", ".join(s.split("=")[0] for s in self.sets(self.current()))

    def utilisation_keys(self, roles: set[str]) -> list[str]:
        """The tier's roles among the KPI utilisation keys ``roles``."""
        return [r for r in ("full_time" if self.tier == "grid" else f"centre.{self.tier}",)
                if r in roles]


class GridLadder(Ladder):
    """Full-time workers per comprehensive grid; below one, one worker for several grids as
    far as the rules allow (``staffing.max_grids_per_full_time``)."""

    tier, role, world_role, lowest = "grid", "full-time grid workers (专职网格员)", "full_time", 0

    @cached_property
    def _share_max(self) -> int:
        return self.base.rules.staffing.max_grids_per_full_time

    def _rung(self, level: int) -> tuple[int, int]:
        """(workers per grid, grids per worker) of a level."""
        k = self._share_max
        return (1, k - level) if level < k - 1 else (level - k + 2, 1)

    def current(self) -> int:
        gw = self.base.staffing.grid_workers
        if gw.grids_per_full_time > 1:
            return self._share_max - gw.grids_per_full_time
        return self._share_max + max(gw.full_time_per_urban_grid, 1) - 2

    def sets(self, level: int) -> list[str]:
        per, share = self._rung(level)
        key = "staffing.grid_workers"
        return [f"{key}.full_time_per_urban_grid={per}", f"{key}.full_time_per_rural_grid={per}",
                f"{key}.grids_per_full_time={share}"]

    def label(self, level: int) -> str:
        per, share = self._rung(level)
        return f"1 per {share} grids" if share > 1 else f"{per} per grid"

    def queues(self, level: int, loads: Sequence[UnitLoad],
               world: Callable[[], World]) -> list[Queue]:
        per, share = self._rung(level)
        out = []
        for u in loads:
            if u.tier != "grid" or u.jobs <= 0 or u.work_hours <= 0:
                continue
            # ``share`` grids pool their cases and routine work on ``per`` workers; routine
            # work takes its share of their time, which slows them on cases.
            available = 1.0 - share * u.routine_hours / (per * u.open_hours)
            service = u.work_hours / u.jobs
            mu = available / service if available > 0 else 0.0
            out.append(Queue(per, share * u.jobs / u.open_hours, mu, service, u.open_share))
        return out


class CentreLadder(Ladder):
    """Staff per centre (综治中心) of one tier."""

    world_role = ""

    def __init__(self, base: Scenario, tier: str) -> None:
        super().__init__(base)
        self.tier = tier
        self.role = f"{tier} centre staff (网格化机构)"
        self.world_role = f"{tier}_staff"

    def current(self) -> int:
        return int(getattr(self.base.staffing.centres, self.tier))

    def sets(self, level: int) -> list[str]:
        return [f"staffing.centres.{self.tier}={level}"]

    def label(self, level: int) -> str:
        return f"{level} per centre"


class DepartmentLadder(Ladder):
    """Department handlers, in tenths of the scenario's rates (base and every override), so
    level 10 is the scenario; each unit gets ``ceil(rate × households / 10,000)``, at least 1."""

    tier, role, world_role = "department", "department handlers (联动部门)", "department_handler"

    def current(self) -> int:
        return 10

    def sets(self, level: int) -> list[str]:
        d = self.base.staffing.departments
        scale = level / 10

        def rate(x: float) -> str:
            return repr(round(x * scale, 6))

        out = [f"staffing.departments.{t}={rate(getattr(d, t))}"
               for t in ("township", "county", "city")]
        out += [f"staffing.departments.overrides.{dept}.{t}={rate(r)}"
                for dept, tiers in sorted(d.overrides.items()) for t, r in sorted(tiers.items())]
        return out

    def label(self, level: int) -> str:
        return f"{level / 10:.1f}× scenario rates"

    @property
    def knob(self) -> str:
        return "staffing.departments.* (all rates scaled)"

    def utilisation_keys(self, roles: set[str]) -> list[str]:
        return sorted(r for r in roles if r.startswith("department."))

    def queues(self, level: int, loads: Sequence[UnitLoad],
               world: Callable[[], World]) -> list[Queue]:
        w = world()
        handlers = np.flatnonzero(w.worker_role == ROLES.index("department_handler"))
        size = np.bincount(w.worker_unit[handlers], minlength=w.dept_unit_dept.shape[0])
        return [Queue(int(size[u.unit]), u.jobs / u.open_hours, u.jobs / u.work_hours,
                      u.work_hours / u.jobs, u.open_share)
                for u in loads
                if u.tier == "department" and u.jobs > 0 and u.work_hours > 0 and size[u.unit]]


def ladders(base: Scenario, tiers: Sequence[str]) -> list[Ladder]:
    """The ladders of ``tiers``; a centre tier the rules lack is a one-line error."""
    out: list[Ladder] = []
    for tier in tiers:
        if tier == "grid":
            out.append(GridLadder(base))
        elif tier == "department":
            out.append(DepartmentLadder(base))
        elif tier in base.rules.centres.tiers:
            out.append(CentreLadder(base, tier))
        else:
            raise ScenarioError("--tier", tier, f"the {base.rules.jurisdiction.key} rules have "
                                f"no {tier} centre (their centre tiers: "
                                f"{', '.join(base.rules.centres.tiers)})")
    return out


def tiers_of(base: Scenario) -> list[str]:
    """Every tier these rules staff: grid, their centre tiers, departments."""
    return ["grid", *base.rules.centres.tiers, "department"]


# --- first cut ------------------------------------------------------------------------------
def allowed_hours(target: Target, base: Scenario) -> float:
    """The working hours the target's step allows a job (routine urgency, normal difficulty)."""
    d = base.rules.deadlines
    step = target.measure.key.split(".")[-1]
    if step == "accept":
        return d.steps.accept_hours["routine"]
    if step == "dispatch":
        return d.steps.dispatch_hours["routine"]
    if step == "verify":
        return d.steps.verify_hours_urban
    if step == "handle":
        # the rate-weighted median handling deadline over the case types
        types = sorted(base.workload.types.values(), key=lambda t: t.deadline_hours)
        weights = np.cumsum([t.rate_per_1000_households_per_day for t in types])
        median = types[int(np.searchsorted(weights, weights[-1] / 2))].deadline_hours
        return median * d.urgency_factor.get("routine", 1.0) * d.difficulty_factor.get(
            "normal", 1.0)
    return target.value  # a time-to-close quantile: its bound, in clock hours


def _erlang_goal(target: Target) -> float:
    """The share of jobs that must wait no longer than allowed."""
    if target.measure.key.startswith("time_to_close."):
        return int(target.measure.key.removeprefix("time_to_close.p")) / 100
    return target.value


@dataclass(frozen=True)
class ErlangMeasures:
    """Erlang C measures of a tier's queues, each averaged over jobs (weighted by arrivals)."""

    service_level: float  # P(Wq <= t): share of jobs that wait no longer than allowed
    p_wait: float  # P(Wq > 0): share of jobs that find every server busy
    mean_wait: float  # E[Wq], open working hours


def erlang_measures(queues: Sequence[Queue], allowed: float, clock_hours: bool) -> ErlangMeasures:
    """Erlang C for every queue — ``P(Wq ≤ t) = 1 − C(c, λ/μ)·e^(−(cμ−λ)t)``, ``C(c, a)``
    and ``Wq = C/(cμ − λ)`` — averaged over jobs; ``t`` is the allowed time less the job's own
    service time (converted to open hours if the bound is on the clock). An unstable or
    unstaffed queue serves nobody in time and waits forever."""
    total = sum(q.lam for q in queues)
    if total == 0:
        return ErlangMeasures(1.0, 0.0, 0.0)
    sl = pw = wq = 0.0
    for q in queues:
        if q.mu <= 0 or q.servers < 1 or q.lam >= q.servers * q.mu:
            pw, wq = pw + q.lam, math.inf
            continue
        t = max((allowed * q.open_share if clock_hours else allowed) - q.service_hours, 0.0)
        sl += q.lam * mmc_service_level(q.lam, q.mu, q.servers, t)
        pw += q.lam * erlang_c(q.servers, q.lam / q.mu)
        wq += q.lam * mmc_mean_wait(q.lam, q.mu, q.servers)
    return ErlangMeasures(sl / total, pw / total, wq / total)


@dataclass(frozen=True)
class FirstCut:
    """The Erlang C first cut of one tier."""

    level: int
    erlang: ErlangMeasures
    reachable: bool
    queues: int
    arrivals_per_hour: float
    service_hours: float
    allowed_hours: float


def first_cut(ladder: Ladder, loads: Sequence[UnitLoad], target: Target,
              world_at: Callable[[Ladder, int], World], max_steps: int = 64) -> FirstCut:
    """The least level of ``ladder`` whose queues meet the target's service level."""
    allowed = allowed_hours(target, ladder.base)
    clock = target.measure.key.startswith("time_to_close.")
    goal = _erlang_goal(target)
    level, queues = ladder.lowest, []
    em = ErlangMeasures(0.0, 1.0, math.inf)
    for level in range(ladder.lowest, ladder.lowest + max_steps):
        queues = ladder.queues(level, loads, lambda lv=level: world_at(ladder, lv))
        em = erlang_measures(queues, allowed, clock)
        if em.service_level >= goal:
            break
    lam = sum(q.lam for q in queues)
    service = sum(q.lam * q.service_hours for q in queues) / lam if lam else 0.0
    return FirstCut(level, em, em.service_level >= goal, len(queues), lam, service, allowed)


# --- the simulation search ------------------------------------------------------------------
Levels = tuple[int, ...]


@dataclass
class Candidate:
    """One evaluated staffing configuration."""

    levels: Levels
    variant: int  # index into the search's Results
    phase: str
    summary: Summary
    meets: bool


@dataclass
class Sizing:
    """Everything a sizing produced."""

    base: Scenario
    target: Target
    ladders: list[Ladder]
    design: Design
    first_cuts: dict[str, FirstCut]
    baseline_levels: Levels
    results: Results
    candidates: list[Candidate] = field(default_factory=list)
    recommended: Candidate | None = None
    reachable: bool = True
    why_not: str = ""  # when not reachable: how the search ended

    def candidate(self, levels: Levels) -> Candidate | None:
        """The evaluated candidate with these levels, if any."""
        return next((c for c in self.candidates if c.levels == levels), None)


class _Search:
    """Evaluates staffing configurations — each once, with the design's seeds — and logs them
    in the :class:`Sizing`.

    Sequential sampling: a candidate first gets the first ``first`` seeds; only if its CI
    then still contains the target does it get the rest. Far-off candidates — most of a
    search — cost a couple of runs; the decisive ones get every replication.
    """

    def __init__(self, runner: Runner, source: Source, sizing: Sizing, first: int) -> None:
        self.runner, self.source, self.sizing, self.first = runner, source, sizing, first
        self.ladders, self.target = sizing.ladders, sizing.target

    def evaluate(self, configs: Sequence[Levels], phase: str,
                 probe: Probe | None = None) -> list[Candidate]:
        """Run the configurations not yet evaluated (in one batch); return all of them."""
        results, design = self.sizing.results, self.sizing.design
        fresh = list(dict.fromkeys(c for c in configs if self.sizing.candidate(c) is None))
        if fresh:
            variants = [self.source.variant(
                "; ".join(f"{ld.tier} {ld.label(lv)}" for ld, lv in zip(self.ladders, c,
                                                                         strict=True)),
                [s for ld, lv in zip(self.ladders, c, strict=True) for s in ld.sets(lv)],
                settings={ld.tier: ld.label(lv) for ld, lv in zip(self.ladders, c,
                                                                   strict=True)})
                for c in fresh]
            batch = run_variants(self.runner, variants, design, probe, design.seeds[:self.first])
            for c, v, outcomes in zip(fresh, variants, batch.outcomes, strict=True):
                results.variants.append(v)
                results.outcomes.append(outcomes)
                self.sizing.candidates.append(Candidate(c, len(results.variants) - 1, phase,
                                                        *self._judge(len(results.variants) - 1)))
            self._complete([self._get(c) for c in fresh], probe)
        return [self._get(c) for c in configs]

    def _judge(self, variant: int) -> tuple[Summary, bool]:
        s = self.sizing.results.summary(variant, self.target.measure)
        return s, self.target.met(s)

    def _complete(self, candidates: list[Candidate], probe: Probe | None) -> None:
        """Give the undecided candidates the remaining seeds."""
        self._extend([c for c in candidates if self.target.straddles(c.summary)], probe)

    def _extend(self, candidates: list[Candidate], probe: Probe | None) -> None:
        """Give ``candidates`` the design's seeds they have not had yet."""
        results, design = self.sizing.results, self.sizing.design
        rest = design.seeds[self.first:]
        short = [c for c in candidates if len(results.outcomes[c.variant]) < len(design.seeds)]
        if not rest or not short:
            return
        batch = run_variants(self.runner, [results.variants[c.variant] for c in short],
                             design, probe, rest)
        for c, outcomes in zip(short, batch.outcomes, strict=True):
            results.outcomes[c.variant].extend(outcomes)
            c.summary, c.meets = self._judge(c.variant)

    def _get(self, levels: Levels) -> Candidate:
        c = self.sizing.candidate(levels)
        assert c is not None
        return c

    def improved(self, before: Candidate, after: Candidate) -> bool:
        """Whether ``after`` is significantly better on the target (paired by seed). A
        comparison the first seeds leave undecided gets every seed of the design first: two
        runs apiece are too few to call a raise useless."""
        if self._better(before, after):
            return True
        self._extend([before, after], None)
        return self._better(before, after)

    def _better(self, before: Candidate, after: Candidate) -> bool:
        results, m = self.sizing.results, self.target.measure
        a, b = results.values(before.variant, m), results.values(after.variant, m)
        n = min(len(a), len(b))  # the seeds both have: runs are paired by seed
        d = paired(a[:n], b[:n])
        return (d.lo > 0) if self.target.at_least else (d.hi < 0)

    def descend(self, i: int, levels: Levels, hint: int) -> Levels:
        """The least level of tier ``i`` (others fixed) that still meets the target, starting
        from a meeting ``levels``: try the first cut ``hint`` first, then gallop down (1, 2,
        4 … levels) from the lowest level known to meet, and bisect the bracket."""
        lowest = self.ladders[i].lowest
        phase = f"lower {self.ladders[i].tier}"

        def meets(lv: int) -> bool:
            return self.evaluate([(*levels[:i], lv, *levels[i + 1:])], phase)[0].meets

        meeting, failing = levels[i], None
        if lowest <= hint < meeting:
            if meets(hint):
                meeting = hint
            else:
                failing = hint
        step = 1
        while failing is None and meeting > lowest:
            lv = max(meeting - step, lowest)
            if meets(lv):
                meeting, step = lv, step * 2
            else:
                failing = lv
        while failing is not None and meeting - failing > 1:
            mid = (meeting + failing) // 2
            if meets(mid):
                meeting = mid
            else:
                failing = mid
        return (*levels[:i], meeting, *levels[i + 1:])


def busiest(results: Results, variant: int, ladder: Ladder) -> float:
    """Mean utilisation of the tier's busiest role (for departments, the busiest department)
    over a variant's runs; NaN if the tier has none."""
    roles = {r for o in results.outcomes[variant] for r in o.kpis.get("utilisation", {})}
    means = [results.summary(variant, utilisation(k)).mean
             for k in ladder.utilisation_keys(roles)]
    finite = [m for m in means if math.isfinite(m)]
    return max(finite) if finite else math.nan


def staff(world: World) -> dict[str, int]:
    """Headcount by world role."""
    counts = np.bincount(world.worker_role, minlength=len(ROLES))
    return {r: int(n) for r, n in zip(ROLES, counts, strict=True)}


def annual_cost(base: Scenario, headcount: dict[str, int]) -> float:
    """Yuan per year for a headcount by role, at the staffing policy's salaries."""
    pay = base.staffing.salary_yuan_per_year
    return float(sum(n * pay.get(SALARY_OF_ROLE[r], 0.0) for r, n in headcount.items()))


RAISES = (0.25, 0.5, 1.0, 2.0, 4.0)
"""Relative headcount raises tried, in turn, while no candidate meets the target."""
MAX_ROUNDS = 4


def size(runner: Runner, source: Source, target: Target, tiers: Sequence[str],
         design: Design, first: int | None = None) -> Sizing:
    """Size ``tiers`` jointly for ``target`` (the method is in the module docstring).

    ``first`` is the number of replications every candidate gets before the undecided ones
    get all of ``design.seeds`` (default 2: with the t interval's wide 12.7 s/√2 half-width,
    two runs decide only the candidates far from the target, which is most of a search).
    """
    base = source.load()
    lads = ladders(base, tiers)
    worlds: dict[tuple[str, int], World] = {}

    def world_at(ladder: Ladder, level: int) -> World:
        # The ladder's own keys decide its unit sizes and headcount; the rest is the scenario.
        if (ladder.tier, level) not in worlds:
            worlds[ladder.tier, level] = generate_world(source.load(ladder.sets(level)))
        return worlds[ladder.tier, level]

    def headcount(ladder: Ladder, level: int) -> int:
        return staff(world_at(ladder, level))[ladder.world_role]

    n = len(design.seeds)
    sizing = Sizing(base, target, lads, design, {}, tuple(ld.current() for ld in lads),
                    Results([], design, []))
    search = _Search(runner, source, sizing, min(n, first or 2))
    (baseline,) = search.evaluate([sizing.baseline_levels], "baseline", probe=unit_loads)
    loads = mean_loads([o.extra for o in sizing.results.outcomes[baseline.variant]])
    for ladder in ladders(base, tiers_of(base)):
        sizing.first_cuts[ladder.tier] = first_cut(ladder, loads, target, world_at)
    hints = [max(sizing.first_cuts[ld.tier].level, ld.lowest) for ld in lads]
    # A tier with no work in the baseline (e.g. a city centre no case reaches) cannot move a
    # KPI: it stays at its first cut, the lowest level, and is neither raised nor searched.
    idle = [sizing.first_cuts[ld.tier].queues == 0 for ld in lads]

    # Find a configuration that meets the target (see the module docstring).
    start = tuple(h if i else max(h, b)
                  for h, b, i in zip(hints, sizing.baseline_levels, idle, strict=True))

    def working(levels: Levels) -> list[int]:
        return [lv for lv, i in zip(levels, idle, strict=True) if not i]

    best = search.evaluate([tuple(hints)], "first cut")[0]
    if not best.meets:
        # the start is the scenario wherever there is work: known to miss, no need to run it
        best = baseline if working(start) == working(baseline.levels) else \
            search.evaluate([start], "first cut or scenario")[0]
    previous = best
    for factor in RAISES:
        if best.meets:
            break
        up = tuple(lv if i else _raised(ld, lv, factor, headcount)
                   for ld, lv, i in zip(lads, start, idle, strict=True))
        if up == previous.levels:  # too small a raise for these (coarse) ladders
            continue
        best = search.evaluate([up], f"raise {factor:.0%}")[0]
        if not best.meets and not search.improved(previous, best):
            sizing.why_not = f"raising them by {factor:.0%} brought no significant gain"
            break
        previous = best
    if not best.meets:
        sizing.why_not = sizing.why_not or (
            f"even the largest raise tried ({RAISES[-1]:.0%}) reached only "
            f"{best.summary.mean:.3g} [{best.summary.lo:.3g}, {best.summary.hi:.3g}]")
        sizing.reachable, sizing.recommended = False, best
        return sizing

    # Lower each tier in turn, the least busy first: the busiest tier sets the KPI, so its
    # least level is best found once the others are final. Then certify: one level fewer of
    # any tier (the others as recommended) must miss; if one meets after all, go round again.
    order = sorted(range(len(lads)),
                   key=lambda i: busiest(sizing.results, baseline.variant, lads[i]))
    levels = best.levels
    for _ in range(MAX_ROUNDS):
        for i in order:
            levels = search.descend(i, levels, hints[i])
        neighbours = [(*levels[:i], levels[i] - 1, *levels[i + 1:])
                      for i, ld in enumerate(lads) if levels[i] > ld.lowest]
        if not any(c.meets for c in search.evaluate(neighbours, "check one fewer")):
            break
    sizing.recommended = search.evaluate([levels], "recommended")[0]
    return sizing


def _raised(ladder: Ladder, level: int, factor: float,
            headcount: Callable[[Ladder, int], int]) -> int:
    """The least level with at least ``1 + factor`` times the headcount of ``level`` — unless
    that overshoots to more than ``1 + 2·factor`` times (a coarse ladder: one more worker per
    grid doubles the grid workers), in which case the tier stays where it is for now."""
    now = headcount(ladder, level)
    for up in range(level + 1, 8 * (level + 1) + 64):
        h = headcount(ladder, up)
        if h >= (1 + factor) * now:
            return up if h <= (1 + 2 * factor) * now else level
    return level
