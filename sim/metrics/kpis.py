"""KPIs of a run, after digital city management's statistics (按时受理率, 按时派遣率, 按时处置率,
按时核查率, 超期处置, 返工, 自行处置) and the regulations' own demands (feedback rate, patrols)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from sim.metrics.rating import stars
from sim.metrics.records import TIERS, reported_rows
from sim.model.patrol import visit_coverage
from sim.model.record import RunRecord
from sim.model.resource import DUTY
from sim.model.worker import overhead_share
from sim.world.tables import SPECIAL_KINDS

QUANTILES = (50, 90, 99)


def _rate(num: int | np.integer, den: int | np.integer) -> float | None:
    return float(num) / float(den) if den else None


def _dist(x: np.ndarray) -> dict[str, float | int | None]:
    if x.size == 0:
        return {"n": 0, "mean": None, "p50": None, "p90": None, "p99": None}
    q = np.percentile(x, QUANTILES)
    return {"n": int(x.size), "mean": float(x.mean()),
            **{f"p{p}": float(v) for p, v in zip(QUANTILES, q, strict=True)}}


STEP_DONE = {"accept": "accepted", "dispatch": "dispatch_done", "handle": "handled",
             "verify": "verified"}


def on_time(done: np.ndarray, due: np.ndarray, late: np.ndarray) -> dict[str, float | int | None]:
    """Share of cases whose step (every instance of it: each centre's dispatch, each
    verification) met its deadline, among cases whose step is done or already late; a step
    still undone at the end but not yet due is censored (counted apart, not in the rate)."""
    has = np.isfinite(due)
    counted = has & (np.isfinite(done) | late)
    return {"n": int(counted.sum()), "rate": _rate(np.sum(~late[counted]), counted.sum()),
            "censored": int(np.sum(has & ~counted))}


def compute_kpis(m: RunRecord) -> dict[str, Any]:
    """Every KPI of the run as a JSON-ready dict."""
    c, a = m.cases, m.arrivals
    idx = reported_rows(m)
    closed = idx[np.isfinite(c.closed[idx])]
    ttc = c.closed[closed] - c.reported[closed]
    type_of = np.asarray(m.type_keys)[a.type]
    by_type = {k: _dist(ttc[type_of[closed] == k]) for k in m.type_keys}
    tier_of = c.resolved_tier[closed]
    by_tier = {t: _dist(ttc[tier_of == i]) for i, t in enumerate(TIERS) if np.any(tier_of == i)}
    reached_centre = idx[~c.self_resolved[idx] & (np.isfinite(c.dispatched[idx])
                                                  | np.isfinite(c.escalated[idx]))]
    fb_base = closed
    return {
        "scenario": m.scenario.meta.name,
        "rules": m.rules.jurisdiction.key,
        "days": m.horizon / 24,
        "cases": {
            "arisen": len(a),
            "reported": int(idx.size),
            "closed": int(closed.size),
            "open": int(idx.size - closed.size),
            "unreported_latent": int(len(a) - idx.size),
        },
        "on_time": {
            step: on_time(getattr(c, done)[idx], getattr(c, f"{step}_due")[idx],
                          getattr(c, f"late_{step}")[idx])
            for step, done in STEP_DONE.items()},
        "time_to_close_hours": {
            "all": _dist(ttc), "by_type": by_type, "by_tier": by_tier,
            # closed cases alone flatter an understaffed run (its slow cases are still open):
            # here open cases count with their age at the end, a lower bound on theirs
            "with_open": _dist(np.where(np.isfinite(c.closed[idx]), c.closed[idx],
                                        m.horizon) - c.reported[idx]),
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
            "explanation_required": m.rules.deadlines.overdue_written_explanation,
            "supervision_yellow": int(np.sum(c.supervision[idx] >= 1)),
            "supervision_red": int(np.sum(c.supervision[idx] >= 2)),
        },
        "feedback": {
            "rate": _rate(np.isfinite(c.feedback[fb_base]).sum(), fb_base.size),
            "required": m.rules.feedback.to_requester,
            "target": m.rules.feedback.target_rate,
        },
        "barred_reached_worker": int(np.sum(c.reached_worker[idx]
                                            & np.asarray(m.barred)[a.type[idx]])),
        "utilisation": utilisation(m),
        "patrol_coverage": patrol_coverage(m),
        "little": little(m),
        "star_ratings": star_summary(m),
    }


def utilisation(m: RunRecord) -> dict[str, Any]:
    """Share of shift time by activity per role, centre tier and department (office
    rosters; admin and training are the fixed share the shifts leave out for them), and the
    on-duty rosters' busy share of their own hours."""
    work: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    avail: dict[str, float] = defaultdict(float)
    duty: dict[str, float] = defaultdict(float)
    for p in m.pool_stats():
        key = {"department": f"department.{p.name.split('@')[0]}", "centre": f"centre.{p.tier}"
               }.get(p.kind, p.kind)
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


def patrol_coverage(m: RunRecord) -> dict[str, Any]:
    """Required patrols, sweeps and door visits done on time."""
    due, done = visit_coverage(m.visits, m.visit_log)
    visits = {k: _rate(d, n) for k, d, n in zip(SPECIAL_KINDS, done, due, strict=True) if n}
    return {
        "patrols": _rate(m.patrol_done.sum(), m.patrol_due.sum()),
        "sweeps": _rate(m.sweep_done.sum(), m.sweep_due.sum()),
        "visits": _rate(done.sum(), due.sum()),
        "visits_by_kind": visits,
    }


def little(m: RunRecord) -> dict[str, dict[str, float]]:
    """Per tier: time-average queue length L, arrival rate λ and mean wait W.

    L is integrated over time as the queue changes; W is the time jobs spent queued (every
    spell: routine work interrupted by a case or a closing shift queues again), counting the
    jobs still queued at the end up to the end, per job that arrived; the two meet exactly
    when the monitors are right (Little's law on the sample path).
    """
    acc: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for p in m.pool_stats():
        tier = "department" if p.kind == "department" else p.tier
        acc[tier][0] += p.area_queue
        acc[tier][1] += p.arrived
        acc[tier][2] += p.wait_sum + p.censored_wait
        acc[tier][3] += p.arrived
    t = m.horizon
    return {tier: {"L": v[0] / t, "lambda": v[1] / t, "W": v[2] / v[3] if v[3] else 0.0}
            for tier, v in sorted(acc.items()) if v[1]}


def star_summary(m: RunRecord) -> dict[str, Any]:
    """Distribution of grid stars (computed always; the rules say whether they apply)."""
    s = stars(m)
    return {"rules_rate_grids": m.rules.rating.star_grids,
            "distribution": {int(k): int(v) for k, v in zip(*np.unique(s, return_counts=True),
                                                             strict=True)}}
