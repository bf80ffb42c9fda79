"""Non-homogeneous Poisson arrivals by thinning, drawn for all grids of a type at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.workload import WorkloadSpec
from sim.model.arrivals.profile import intensity_at, weekly_intensity
from sim.model.arrivals.surge import max_factor, surge_factor

URGENCIES = ("routine", "urgent", "emergency")
DIFFICULTIES = ("normal", "hard")
SOURCES = ("patrol", "resident", "hotline", "department")


@dataclass
class Arrivals:
    """Problems as columns, sorted by the time they occur."""

    t: np.ndarray
    grid: np.ndarray
    type: np.ndarray
    urgency: np.ndarray
    difficulty: np.ndarray
    source: np.ndarray
    household: np.ndarray

    def __len__(self) -> int:
        return int(self.t.shape[0])


def _categorical(rng: np.random.Generator, names: tuple[str, ...], shares: dict[str, float],
                 n: int) -> np.ndarray:
    p = np.array([shares.get(k, 0.0) for k in names])
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(n), side="right").clip(
        0, len(names) - 1).astype(np.int8)


def draw_arrivals(workload: WorkloadSpec, grid_households: np.ndarray,
                  grid_equivalent: np.ndarray, grid_first_household: np.ndarray,
                  grid_township_code: np.ndarray, hours: float,
                  rng: np.random.Generator) -> Arrivals:
    """All problems arising in ``hours`` across grids, by type.

    ``grid_equivalent`` is the households each grid's case rate scales with (exclusive grids
    stand for a number of households); a problem's household is drawn among the grid's own.
    """
    weekly = weekly_intensity(workload.profile)
    peak = float(weekly.max())
    cols: dict[str, list[np.ndarray]] = {k: [] for k in Arrivals.__dataclass_fields__}
    for k, (_, ct) in enumerate(sorted(workload.types.items())):
        per_hour = ct.rate_per_1000_households_per_day / 1000.0 / 24.0 * grid_equivalent
        bound = per_hour * peak * max_factor(workload.surges, ct.surge_tag)
        counts = rng.poisson(bound * hours)
        grid = np.repeat(np.arange(grid_equivalent.shape[0], dtype=np.int32), counts)
        t = rng.random(grid.shape[0]) * hours
        accept = (per_hour[grid] * intensity_at(weekly, t)
                  * surge_factor(workload.surges, ct.surge_tag, t, grid_township_code[grid]))
        keep = rng.random(grid.shape[0]) * bound[grid] < accept
        grid, t = grid[keep], t[keep]
        n = grid.shape[0]
        own = grid_households[grid]
        household = np.where(
            own > 0, grid_first_household[grid] + (rng.random(n) * np.maximum(own, 1)).astype(
                np.int64), -1)
        cols["t"].append(t)
        cols["grid"].append(grid)
        cols["type"].append(np.full(n, k, np.int16))
        cols["urgency"].append(_categorical(rng, URGENCIES, ct.urgency, n))
        cols["difficulty"].append(_categorical(rng, DIFFICULTIES, ct.difficulty, n))
        cols["source"].append(_categorical(rng, SOURCES, ct.sources, n))
        cols["household"].append(household)
    merged = {k: np.concatenate(v) for k, v in cols.items()}
    order = np.argsort(merged["t"], kind="stable")
    return Arrivals(**{k: v[order] for k, v in merged.items()})
