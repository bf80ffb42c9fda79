"""Declared surges: a factor on tagged case types in named townships for a time window."""

from __future__ import annotations

import numpy as np

from sim.config.workload import Surge


def surge_factor(surges: list[Surge], tag: str | None, t: np.ndarray,
                 township_code: np.ndarray) -> np.ndarray:
    """Multiplier for arrivals at times ``t`` in townships ``township_code`` (codes per row)."""
    factor = np.ones(t.shape[0])
    for s in surges:
        if s.tag != tag:
            continue
        hit = (t >= s.start_day * 24) & (t < (s.start_day + s.days) * 24)
        if s.townships:
            hit &= np.isin(township_code, s.townships)
        factor[hit] *= s.factor
    return factor


def max_factor(surges: list[Surge], tag: str | None) -> float:
    """Upper bound of the surge multiplier for ``tag`` (for thinning)."""
    out = 1.0
    for s in surges:
        if s.tag == tag:
            out *= max(s.factor, 1.0)
    return out
