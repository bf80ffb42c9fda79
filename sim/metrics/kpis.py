"""KPIs of a run, after digital city management's statistics (按时受理率, 按时派遣率, 按时处置率,
按时核查率, 超期处置, 返工, 自行处置) and the regulations' own demands (feedback rate, patrols)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pyarrow as pa

from sim.metrics.censored import on_time, percentiles, time_to_close
from sim.metrics.rating import stars
from sim.metrics.records import TIERS, window_rows
from sim.metrics.stability import stability
from sim.metrics.warmup import suggest_warmup
from sim.model.arrivals.poisson import URGENCIES
from sim.model.clock import holidays_of
from sim.model.deadline import DeadlinePolicy
from sim.model.patrol import visit_coverage
from sim.model.record import RunRecord
from sim.model.resource import DUTY, PoolStats
from sim.model.worker import overhead_share
from sim.world.tables import SPECIAL_KINDS


def _rate(num: int | np.integer, den: int | np.integer) -> float | None:
    return float(num) / float(den) if den else None


STEP_DONE = {"accept": "accepted", "dispatch": "dispatch_done", "handle": "handled",
             "verify": "verified"}


def compute_kpis(m: RunRecord, timeseries: pa.Table) -> dict[str, Any]:
    """Every KPI of the run as a JSON-ready dict, over the cases reported in the measured
    window (after the warm-up); steps and cases the end cuts short are censored
    (:mod:`sim.metrics.censored`). ``timeseries`` (hourly, from the start) gives the warm-up
    MSER-5 suggests and the stability flags."""
    c, a = m.cases, m.arrivals
    start, end = m.window
    idx = window_rows(m)
    done = np.isfinite(c.closed[idx])
    closed = idx[done]
    age = np.where(done, c.closed[idx], end) - c.reported[idx]
    type_of = np.asarray(m.type_keys)[a.type[idx]]
    by_type = {k: time_to_close(age[type_of == k], done[type_of == k]) for k in m.type_keys}
    ttc = age[done]
    tier_of = c.resolved_tier[closed]
    by_tier = {t: percentiles(ttc[tier_of == i]) for i, t in enumerate(TIERS)
               if np.any(tier_of == i)}
    reached_centre = idx[~c.self_resolved[idx] & (np.isfinite(c.dispatched[idx])
                                                  | np.isfinite(c.escalated[idx]))]
    before = np.isfinite(c.reported) & (c.reported < start)
    arisen = (a.t >= start) & (a.t < end)
    return {
        "scenario": m.scenario.meta.name,
        "rules": m.rules.jurisdiction.key,
        "days": m.window_hours / 24,
        "window_hours": [start, end],
        "cases": {
            "arisen": int(arisen.sum()),
            "reported": int(idx.size),
            "closed": int(closed.size),
            "open": int(idx.size - closed.size),
            "unreported_latent": int(np.sum((a.t < end) & np.isnan(c.reported))),
            # the warm-up's legacy: open cases and unreported problems at the window's start
            "carried_in": int(np.sum(before & ~(c.closed < start))),
            "latent_at_start": int(np.sum((a.t < start) & ~(c.reported < start))),
        },
        "on_time": {
            step: on_time(getattr(c, done)[idx], getattr(c, f"{step}_due")[idx], end,
                          getattr(c, f"late_{step}")[idx])
            for step, done in STEP_DONE.items()},
        "time_to_close_hours": {
            # open cases right-censored at their age at the end (Kaplan–Meier)
            "all": time_to_close(age, done),
            # closed cases alone flatter an understaffed run (its slow cases are still open)
            "closed_only": percentiles(ttc),
            "by_type": by_type,
            "by_tier": by_tier,  # closed cases: an open case's resolving tier may be unknown
        },
        "rates": {
            "self_resolution": _rate(np.sum(c.self_resolved[closed]), closed.size),
            "escalation": _rate(reached_centre.size, idx.size),
            "escalation_above_entry": _rate(np.sum(c.escalations[idx] > 0), idx.size),
            "rework": _rate(np.sum(c.reworks[closed] > 0), closed.size),
        },
        "overdue": {
            "count": int(c.overdue[idx].sum()),
            "explanations": int(np.isfinite(c.explained[idx]).sum()),
            # overdue with a grid worker who has not taken the case up yet: nobody to explain
            "explanations_pending": int(np.sum(c.overdue[idx] & np.isnan(c.explained[idx]))
                                        if m.rules.deadlines.overdue_written_explanation else 0),
            "explanation_required": m.rules.deadlines.overdue_written_explanation,
            "supervision_yellow": int(np.sum(c.supervision[idx] >= 1)),
            "supervision_red": int(np.sum(c.supervision[idx] >= 2)),
        },
        "feedback": {
            "rate": _rate(np.isfinite(c.feedback[closed]).sum(), closed.size),
            "required": m.rules.feedback.to_requester,
            "target": m.rules.feedback.target_rate,
        },
        "barred_reached_worker": int(np.sum(c.reached_worker[idx]
                                            & np.asarray(m.barred)[a.type[idx]])),
        "emergencies": emergency_cover(m, idx),
        "utilisation": utilisation(m),
        "warmup": suggest_warmup(timeseries, start / 24),
        "stability": stability(timeseries, start, end, offered_load(m)),
        "patrol_coverage": patrol_coverage(m),
        "little": little(m),
        "star_ratings": star_summary(m),
    }


def emergency_cover(m: RunRecord, idx: np.ndarray) -> dict[str, Any]:
    """Emergencies reported out of office hours, and how many waited for a shift to open to be
    taken up (accepted no sooner than the office opened, or not yet at the end): those whose
    first holder (the grid worker, or the entry centre) keeps no on-duty roster that takes
    them."""
    c, a, w = m.cases, m.arrivals, m.world
    urgent = np.flatnonzero(a.urgency[idx] == URGENCIES.index("emergency"))
    rows = idx[urgent]
    policy = DeadlinePolicy(m.rules, holidays_of(m.scenario.holidays))
    urban = w.community_urban[w.grid_community][a.grid[rows]]
    out_of_hours = np.zeros(rows.size, bool)
    waited = np.zeros(rows.size, bool)
    for k, (i, u) in enumerate(zip(rows.tolist(), urban.tolist(), strict=True)):
        office = policy.clock(bool(u), "routine")
        t = c.reported.item(i)
        opens = office.next_open(t)
        out_of_hours[k] = opens > t
        accepted = c.accepted.item(i)
        waited[k] = out_of_hours[k] and (np.isnan(accepted) or accepted >= opens)
    holders = {"grid" if c.reached_worker.item(i) else m.rules.centres.tiers[0]
               for i in rows[waited].tolist()}
    return {"count": int(rows.size), "out_of_hours": int(out_of_hours.sum()),
            "waited_for_shift": int(waited.sum()),
            "without_duty": sorted(h for h in holders if h not in m.scenario.staffing.duty)}


def _role(p: PoolStats) -> str:
    """The role a pool's staff count under: worker roles, ``centre.<tier>``,
    ``department.<name>``."""
    return {"department": f"department.{p.name.split('@')[0]}", "centre": f"centre.{p.tier}"
            }.get(p.kind, p.kind)


def utilisation(m: RunRecord) -> dict[str, Any]:
    """Share of shift time by activity per role, centre tier and department (office
    rosters; admin and training are the fixed share the shifts leave out for them), and the
    on-duty rosters' busy share of their own hours."""
    work: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    avail: dict[str, float] = defaultdict(float)
    duty: dict[str, float] = defaultdict(float)
    for p in m.pool_stats():
        key = _role(p)
        avail[key] += p.available
        duty[key] += p.duty_available
        for act, h in p.work.items():
            work[key][act] += h
    out: dict[str, Any] = {}
    for key in sorted(avail):
        if not avail[key]:
            continue
        row = {act: h / avail[key] for act, h in sorted(work[key].items()) if act != DUTY}
        if key in ("full_time", "part_time", "exclusive"):
            share = overhead_share(m.scenario, key)
            row["admin"] = m.scenario.staffing.admin_share
            row["training"] = share - m.scenario.staffing.admin_share
        row["total"] = sum(row.values())
        if duty[key]:  # the on-duty roster's own busy share, apart from office hours
            row["on_duty"] = work[key].get(DUTY, 0.0) / duty[key]
        out[key] = row
    return out


def offered_load(m: RunRecord) -> dict[str, float]:
    """Per role: hours of work that came in the window (done or not) over the working hours
    its staff had for it (after admin and training). At 1 or more, work piles up."""
    offered: dict[str, float] = defaultdict(float)
    usable: dict[str, float] = defaultdict(float)
    for p in m.pool_stats():
        offered[_role(p)] += p.offered
        usable[_role(p)] += p.available * (1.0 - p.overhead)
    return {key: offered[key] / usable[key] for key in sorted(usable) if usable[key]}


def patrol_coverage(m: RunRecord) -> dict[str, Any]:
    """Required patrols, sweeps and door visits done on time."""
    due, done = visit_coverage(m.visits, m.visit_log, m.window_start / 24, m.horizon)
    visits = {k: _rate(d, n) for k, d, n in zip(SPECIAL_KINDS, done, due, strict=True) if n}
    return {
        "patrols": _rate(m.patrol_done.sum(), m.patrol_due.sum()),
        "sweeps": _rate(m.sweep_done.sum(), m.sweep_due.sum()),
        "visits": _rate(done.sum(), due.sum()),
        "visits_by_kind": visits,
    }


def little(m: RunRecord) -> dict[str, dict[str, float]]:
    """Per tier: time-average queue length L, arrival rate λ and mean wait W over the window.

    L is integrated over time as the queue changes; W is the time jobs spent queued (every
    spell: routine work interrupted by a case or a closing shift queues again), counting the
    jobs still queued at the end up to the end (and those queued at the warm-up's end from
    then), per job that arrived; the two meet exactly when the monitors are right (Little's
    law on the sample path).
    """
    acc: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for p in m.pool_stats():
        tier = "department" if p.kind == "department" else p.tier
        acc[tier][0] += p.area_queue
        acc[tier][1] += p.arrived
        acc[tier][2] += p.wait_sum + p.censored_wait
        acc[tier][3] += p.arrived
    t = m.window_hours
    return {tier: {"L": v[0] / t, "lambda": v[1] / t, "W": v[2] / v[3] if v[3] else 0.0}
            for tier, v in sorted(acc.items()) if v[1]}


def star_summary(m: RunRecord) -> dict[str, Any]:
    """Distribution of grid stars (computed always; the rules say whether they apply)."""
    s = stars(m)
    return {"rules_rate_grids": m.rules.rating.star_grids,
            "distribution": {int(k): int(v) for k, v in zip(*np.unique(s, return_counts=True),
                                                             strict=True)}}
