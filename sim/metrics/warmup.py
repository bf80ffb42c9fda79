"""How long a run should warm up: MSER-5 (White 1997) on each tier's hourly backlog.

A run starts empty, so its first days understate every queue. MSER-5 averages the series in
batches of 5 observations, then picks the truncation point ``d`` (in batches, over the first
half of the series) that minimises ``MSER(d) = Σ_{i>d} (Z_i − Z̄_d)² / (n − d)²``: the point
after which the mean is estimated most precisely, which drops a transient start but not a
representative stretch. The suggestion is the largest truncation over the tiers.

A truncation at the end of the first half means the series never settled (a growing
backlog): no warm-up of that run fixes it; :mod:`sim.metrics.stability` says so.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

BATCH = 5


def mser_truncation(series: np.ndarray, batch: int = BATCH) -> tuple[int, bool]:
    """MSER-``batch`` truncation point of ``series`` in observations, and whether it is the
    last candidate (the series did not settle in its first half)."""
    n = series.size // batch
    if n < 2:
        return 0, False
    z = series[:n * batch].reshape(n, batch).mean(axis=1)
    kept = n - np.arange(n)  # batches kept after truncating d
    total = np.cumsum(z[::-1])[::-1]
    squares = np.cumsum((z * z)[::-1])[::-1]
    deviation = np.maximum(squares - total * total / kept, 0.0)  # Σ (Z − Z̄_d)², rounding
    last = n // 2
    d = int(np.argmin(deviation[:last + 1] / kept[:last + 1] ** 2))
    return d * batch, d == last


def suggest_warmup(timeseries: pa.Table, used_days: float) -> dict[str, Any]:
    """The warm-up MSER-5 suggests per tier (hourly backlog from the start of the run, warm-up
    included) and overall (the largest), in days, next to the one used."""
    tiers = timeseries.column("tier").to_numpy(zero_copy_only=False)
    hours = timeseries.column("t_hours").to_numpy()
    backlog = timeseries.column("backlog").to_numpy().astype(float)
    by_tier: dict[str, float] = {}
    at_limit = []
    for tier in sorted(set(tiers.tolist())):
        rows = tiers == tier
        series = backlog[rows][np.argsort(hours[rows], kind="stable")]
        cut, limit = mser_truncation(series)
        by_tier[tier] = cut / 24  # one observation an hour
        if limit:
            at_limit.append(tier)
    suggested = max(by_tier.values(), default=0.0)
    return {"used_days": used_days, "suggested_days": suggested, "by_tier": by_tier,
            "at_limit": at_limit, "short": used_days < suggested}
