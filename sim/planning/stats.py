"""Statistics over replications: means with t-based confidence intervals, paired differences
under common random numbers, Welch's test for independent samples, and Holm's correction.

Each replication is one independent observation (its KPIs summarise thousands of cases, but
cases within a run are correlated, so runs — not cases — are the sampling unit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Summary:
    """Mean of ``n`` replications with a two-sided t confidence interval [lo, hi]."""

    n: int
    mean: float
    sd: float
    lo: float
    hi: float


@dataclass(frozen=True)
class Difference:
    """A difference of means (b − a) with its confidence interval and two-sided p-value."""

    test: str
    n: int
    diff: float
    lo: float
    hi: float
    p: float


def _finite(values: Sequence[float]) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    return x[np.isfinite(x)]


def _t_half_width(sd: float, n: int, df: float, confidence: float) -> float:
    return float(sps.t.ppf(0.5 + confidence / 2, df) * sd / math.sqrt(n))


def summarise(values: Sequence[float], confidence: float = CONFIDENCE) -> Summary:
    """Mean and t-based CI of the finite values (NaNs — runs without the KPI — are dropped).

    With one value the CI is that value's point (no spread can be estimated: callers should
    ask for at least two replications); with none, everything is NaN.
    """
    x = _finite(values)
    n = int(x.size)
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n == 1:
        return Summary(1, mean, math.nan, math.nan, math.nan)
    sd = float(x.std(ddof=1))
    half = _t_half_width(sd, n, n - 1, confidence)
    return Summary(n, mean, sd, mean - half, mean + half)


def _p_from_t(t: float, df: float) -> float:
    return float(2 * sps.t.sf(abs(t), df))


def paired(a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE) -> Difference:
    """Paired t-test on per-replication differences ``b − a`` (runs paired by seed).

    Under common random numbers both variants see the same arrivals and draws, so the
    differences have far less variance than the runs themselves. Pairs where either side is
    NaN are dropped. Identical differences (sd 0) give p = 1 when they are all zero and p = 0
    otherwise: a deterministic gap is certain, no gap is no evidence of one.
    """
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if xa.shape != xb.shape:
        raise ValueError("paired samples must have the same length")
    keep = np.isfinite(xa) & np.isfinite(xb)
    d = xb[keep] - xa[keep]
    n = int(d.size)
    if n < 2:
        return Difference("paired t", n, float(d.mean()) if n else math.nan,
                          math.nan, math.nan, math.nan)
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    if sd == 0.0:
        return Difference("paired t", n, mean, mean, mean, 1.0 if mean == 0.0 else 0.0)
    half = _t_half_width(sd, n, n - 1, confidence)
    return Difference("paired t", n, mean, mean - half, mean + half,
                      _p_from_t(mean / (sd / math.sqrt(n)), n - 1))


def welch(a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE) -> Difference:
    """Welch's unequal-variance t-test of ``mean(b) − mean(a)`` for independent samples
    (Welch–Satterthwaite degrees of freedom); for runs that do not share seeds."""
    xa, xb = _finite(a), _finite(b)
    na, nb = int(xa.size), int(xb.size)
    if na < 2 or nb < 2:
        return Difference("Welch t", min(na, nb), math.nan, math.nan, math.nan, math.nan)
    diff = float(xb.mean() - xa.mean())
    va, vb = float(xa.var(ddof=1)) / na, float(xb.var(ddof=1)) / nb
    se = math.sqrt(va + vb)
    if se == 0.0:
        return Difference("Welch t", min(na, nb), diff, diff, diff, 1.0 if diff == 0 else 0.0)
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    half = float(sps.t.ppf(0.5 + confidence / 2, df) * se)
    return Difference("Welch t", min(na, nb), diff, diff - half, diff + half,
                      _p_from_t(diff / se, df))


def holm(p: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (NaN stays NaN), controlling the family-wise error
    across the KPIs of one comparison."""
    values = np.asarray(p, dtype=float)
    order = [i for i in np.argsort(values) if np.isfinite(values[i])]
    m = len(order)
    adjusted = np.full(values.shape, math.nan)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * values[i]))
        adjusted[i] = running
    return adjusted.tolist()
