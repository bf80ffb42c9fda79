"""Rates and times of cases that the end of a run cuts short.

A run ends with cases still open. Counting only what was done flatters an understaffed tier:
its slow cases are the ones still open, so they drop out. Here the end is a censoring time:

- an on-time rate judges a step once its outcome is known — done (on time or late), or not
  done and already past its deadline (late). A step neither done nor yet due is *censored*:
  left out of the rate and counted as such;
- time to close is estimated with open cases right-censored at their age at the end
  (Kaplan–Meier, :func:`scipy.stats.ecdf`).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

QUANTILES = (50, 90, 99)


def on_time(done: np.ndarray, due: np.ndarray, end: float,
            late: np.ndarray | None = None) -> dict[str, float | int | None]:
    """Share of steps on time among those whose outcome is known at ``end``.

    A step with a deadline (``due`` finite) is on time if done by it; late if done after it
    or still not done once it passed (``due < end``); censored if not done and not yet due.
    ``late`` marks steps known to be late whatever their last times say (the case's
    ``late_<step>`` flag: an earlier centre's dispatch, an earlier verification or the grid
    worker's handling that missed its own deadline). ``n`` counts the steps judged.
    """
    has = np.isfinite(due)
    finished = np.isfinite(done)
    known_late = np.zeros(done.shape, bool) if late is None else late
    ok = has & finished & (done <= due) & ~known_late
    censored = has & ~finished & (due >= end) & ~known_late
    n = int(np.sum(has & ~censored))
    return {"n": n, "rate": float(ok.sum()) / n if n else None, "censored": int(censored.sum())}


def percentiles(x: np.ndarray) -> dict[str, float | int | None]:
    """Count, mean and percentiles (numpy's linear interpolation) of complete times."""
    if x.size == 0:
        return {"n": 0, "mean": None, **{f"p{p}": None for p in QUANTILES}}
    q = np.percentile(x, QUANTILES)
    return {"n": int(x.size), "mean": float(x.mean()),
            **{f"p{p}": float(v) for p, v in zip(QUANTILES, q, strict=True)}}


def time_to_close(hours: np.ndarray, closed: np.ndarray) -> dict[str, float | int | None]:
    """Kaplan–Meier summary of times to close, open cases (``closed`` False) right-censored
    at ``hours`` (their age at the end).

    ``pNN`` is the least time by which the estimated share closed reaches NN % (None when it
    never does within the longest time seen: too many cases are still open); ``mean`` is the
    area under the estimated survival curve up to the longest time seen — the plain mean
    when every case closed, a lower bound otherwise. ``open`` counts the censored cases.
    """
    n = int(hours.size)
    if n == 0:
        return {"n": 0, "open": 0, "mean": None, **{f"p{p}": None for p in QUANTILES}}
    res = stats.ecdf(stats.CensoredData.right_censored(hours, ~closed))
    t, cdf, sf = res.cdf.quantiles, res.cdf.probabilities, res.sf.probabilities
    # the survival curve is 1 before the first time and steps down at each later one
    mean = float(t[0] + np.sum(sf[:-1] * np.diff(t)))
    out: dict[str, float | int | None] = {"n": n, "open": int(n - closed.sum()), "mean": mean}
    for p in QUANTILES:
        reached = np.flatnonzero(cdf >= p / 100 - 1e-12)  # rounding in the product
        out[f"p{p}"] = float(t[reached[0]]) if reached.size else None
    return out
