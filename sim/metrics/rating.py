"""Star ratings of grids from their KPIs (001 办法18 五星网格; 003 第十七条 星级网格).

No regulation gives the formula: a grid's score is the mean of its patrol coverage, its cases'
on-time handling rate, its feedback rate and its share of cases never overdue; stars are
1 + ⌊4 × score⌋ capped at the rules' maximum (assumed).
"""

from __future__ import annotations

import numpy as np

from sim.model.record import RunRecord


def grid_scores(m: RunRecord) -> np.ndarray:
    """Score in [0, 1] per grid."""
    c, a = m.cases, m.arrivals
    n = m.world.grid_code.shape[0]
    done = np.isfinite(c.handled)
    grid = a.grid
    cases = np.bincount(grid[done], minlength=n).astype(float)
    on_time = np.bincount(grid[done & (c.handled <= c.handle_due)], minlength=n)
    fed = np.bincount(grid[done & np.isfinite(c.feedback)], minlength=n)
    not_over = np.bincount(grid[done & ~c.overdue], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        parts = [
            np.where(m.patrol_due > 0, m.patrol_done / np.maximum(m.patrol_due, 1), 1.0),
            np.where(cases > 0, on_time / cases, 1.0),
            np.where(cases > 0, fed / cases, 1.0),
            np.where(cases > 0, not_over / cases, 1.0),
        ]
    return np.mean(parts, axis=0)


def stars(m: RunRecord) -> np.ndarray:
    """Stars per grid."""
    top = m.rules.rating.max_stars
    return np.minimum(1 + np.floor(4 * grid_scores(m)), top).astype(np.int8)
