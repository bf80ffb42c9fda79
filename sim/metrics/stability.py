"""Whether a run reached a steady state: tiers whose backlog keeps growing, and roles asked
for more work than their hours allow.

A run of an overloaded tier has no steady state: its backlog grows for as long as the run
lasts, so every KPI depends on the run's length and no warm-up helps. Two flags say so:

- **backlog growth**: the tier's daily mean backlog (jobs waiting or in service), regressed on
  the day over the window's whole days (:func:`scipy.stats.linregress`), has a significantly
  positive slope (one-sided p < :data:`SLOPE_P`) *and* grew over the window by at least
  :data:`GROWTH_SHARE` of its mean and at least :data:`MIN_GROWTH` jobs. It needs
  :data:`MIN_DAYS` whole days: queues fill over the weekend, and over one week any weekly
  pattern can be a perfect line; from 8 days on, the correlation of the day with the best
  weekly pattern (the day's projection on the weekday means) leaves one-sided p > 0.035 however
  large the weekend peak, so a weekly cycle alone never reaches :data:`SLOPE_P`. The growth
  share keeps a slow drift in a busy but stable tier from firing it: an overloaded tier that
  started empty grows by about twice its mean backlog, one carried in from a warm-up by less
  but still by much.
- **offered load**: a role's offered work (hours of the jobs that came, done or not) is at
  least its working hours left after admin and training (ratio ≥ :data:`OFFERED_LIMIT`). Roles
  are worker roles, each centre tier and each department, since a tier's idle departments
  would hide a starved one. It too waits for :data:`MIN_DAYS` days: over a few days a couple
  of long jobs outweigh a one-handler department's hours.

A window shorter than :data:`MIN_DAYS` whole days is not judged (``judged`` False).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from scipy import stats

SLOPE_P = 0.01
GROWTH_SHARE = 0.5
MIN_GROWTH = 5.0
MIN_DAYS = 8
OFFERED_LIMIT = 1.0
TIER_NAMES = {"grid": "grid workers", "township": "township centres",
              "county": "county centres", "city": "city centre", "department": "departments"}
ROLE_NAMES = {"full_time": "full-time grid workers", "part_time": "part-time grid workers",
              "exclusive": "exclusive-grid workers"}


def role_name(role: str) -> str:
    """``centre.county`` → ``county centres``, ``department.police`` → ``police department``."""
    kind, _, name = role.partition(".")
    if kind == "centre":
        return TIER_NAMES.get(name, role)
    if kind == "department":
        return f"{name} department"
    return ROLE_NAMES.get(role, role)


def backlog_trends(timeseries: pa.Table, start: float, end: float) -> dict[str, dict[str, Any]]:
    """Per tier: the daily mean backlog's slope (jobs/day), its one-sided p-value, the mean,
    the growth over the window (slope × days) and whether that is a growing backlog."""
    days = int((end - start) // 24)
    if days < MIN_DAYS:
        return {}
    t = timeseries.column("t_hours").to_numpy()
    tiers = timeseries.column("tier").to_numpy(zero_copy_only=False)
    backlog = timeseries.column("backlog").to_numpy().astype(float)
    inside = (t >= start) & (t < start + days * 24)
    day = ((t - start) // 24).astype(np.int64)
    out: dict[str, dict[str, Any]] = {}
    for tier in sorted(set(tiers[inside].tolist())):
        rows = inside & (tiers == tier)
        daily = np.bincount(day[rows], weights=backlog[rows], minlength=days)
        daily /= np.maximum(np.bincount(day[rows], minlength=days), 1)
        mean = float(daily.mean())
        if np.ptp(daily) == 0:
            slope, p = 0.0, 1.0
        else:
            fit = stats.linregress(np.arange(days), daily, alternative="greater")
            slope, p = float(fit.slope), float(fit.pvalue)
        growth = slope * days
        out[tier] = {"slope_per_day": slope, "p": p, "mean": mean, "growth": growth,
                     "growing": bool(p < SLOPE_P and growth >= max(GROWTH_SHARE * mean,
                                                                   MIN_GROWTH))}
    return out


def stability(timeseries: pa.Table, start: float, end: float,
              offered_load: dict[str, float]) -> dict[str, Any]:
    """The flags (one line each) with the figures behind them and the thresholds used."""
    trends = backlog_trends(timeseries, start, end)
    judged = (end - start) // 24 >= MIN_DAYS
    flags = []
    for tier, tr in trends.items():
        if tr["growing"]:
            flags.append({
                "kind": "backlog_growth", "tier": tier,
                "message": f"{TIER_NAMES.get(tier, tier)} overloaded: backlog "
                           f"{tr['slope_per_day']:+,.0f}/day (mean {tr['mean']:,.0f}), "
                           "no steady state"})
    for role, load in offered_load.items():
        if judged and load >= OFFERED_LIMIT:
            flags.append({
                "kind": "offered_load", "tier": role,
                "message": f"{role_name(role)} overloaded: offered work {load:.2f}× the hours "
                           "available"})
    return {"judged": judged, "flags": flags, "backlog_trend": trends,
            "offered_load": offered_load,
            "thresholds": {"slope_p": SLOPE_P, "growth_share": GROWTH_SHARE,
                           "min_growth": MIN_GROWTH, "min_days": MIN_DAYS,
                           "offered_limit": OFFERED_LIMIT}}
