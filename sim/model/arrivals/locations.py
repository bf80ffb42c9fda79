"""Where problems arise: every household and every exclusive unit, whatever the rules.

The rules decide how communities are cut into grids and which exclusive units get a grid of
their own; they do not decide where people live or where the schools and markets are. Drawing
problems at locations rather than grids lets every rule set of a world see the same problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.world.codes import KIND_EXCLUSIVE
from sim.world.tables import World


@dataclass
class Locations:
    """Households (rows ``0 … households-1``, in community order), then exclusive units (in the
    world's unit order); their weights as a running total, their township and their grid."""

    households: int
    cumulative: np.ndarray  # float64: running total of the weights, one per location
    township: np.ndarray  # township row (rules-free)
    grid: np.ndarray  # grid row under the world's rules
    township_code: np.ndarray  # code of each township row (surges name townships)
    total: float = field(init=False)
    scale: float = field(init=False, repr=False)
    guide: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # A guide table (Chen and Asau's indexed search): the first location ending in each of
        # ``buckets`` equal stretches of the total. With buckets no wider than the least
        # positive weight (households weigh 1) a bucket holds at most one location's end, so a
        # pick takes a step or two instead of a binary search over a million rows.
        weight = self.weight
        self.total = float(self.cumulative[-1]) if len(self) else 0.0
        positive = weight[weight > 0]
        buckets = min(int(np.ceil(self.total / positive.min())), 2 * len(self)) if (
            positive.size) else 1
        self.scale = buckets / self.total if self.total > 0 else 0.0
        self.guide = np.searchsorted(self.cumulative, np.arange(buckets) * (self.total / buckets),
                                     side="right")

    def __len__(self) -> int:
        return int(self.cumulative.shape[0])

    @property
    def weight(self) -> np.ndarray:
        """Households whose case rate each location equals."""
        return np.diff(self.cumulative, prepend=0.0)

    def pick(self, x: np.ndarray) -> np.ndarray:
        """The location whose stretch of the running total holds each ``x`` in [0, total):
        ``searchsorted(cumulative, x, side="right")``, through the guide table."""
        last = len(self) - 1
        # a bucket early: x·scale may round up across a bucket's edge
        bucket = np.clip((x * self.scale).astype(np.int64) - 1, 0, self.guide.shape[0] - 1)
        i = np.minimum(self.guide[bucket], last)
        for _ in range(3):
            behind = self.cumulative[i] <= x
            if not behind.any():
                return i
            i = np.minimum(i + behind, last)
        # crowded buckets (uneven weights): a binary search for what is left
        behind = np.flatnonzero(self.cumulative[i] <= x)
        i[behind] = np.minimum(np.searchsorted(self.cumulative, x[behind], side="right"), last)
        return i

    def household(self, location: np.ndarray) -> np.ndarray:
        """Household row of each location, -1 for an exclusive unit."""
        return np.where(location < self.households, location, -1)


def locate(world: World, unit_households: float) -> Locations:
    """Every location of ``world``: a household weighs 1, an exclusive unit ``unit_households``
    (the scenario's ``exclusive_equivalent_households``).

    A household's grid is ``hh_grid``. An exclusive unit's grid is its exclusive grid where the
    rules give its kind one, otherwise the first comprehensive grid of its community.
    """
    n_hh = world.n_households
    n_units = world.unit_community.shape[0]
    community = np.concatenate([
        np.repeat(np.arange(world.community_code.shape[0], dtype=np.int32),
                  world.community_households),
        world.unit_community.astype(np.int32)])
    comprehensive = np.flatnonzero(world.grid_kind != KIND_EXCLUSIVE)
    # comprehensive grids come first, in community order, at least one per community
    first_grid = comprehensive[np.searchsorted(world.grid_community[comprehensive],
                                               world.unit_community)]
    unit_grid = np.where(world.unit_grid >= 0, world.unit_grid, first_grid)
    weight = np.concatenate([np.ones(n_hh), np.full(n_units, float(unit_households))])
    return Locations(
        households=n_hh, cumulative=np.cumsum(weight),
        township=world.community_township[community].astype(np.int32),
        grid=np.concatenate([world.hh_grid, unit_grid]).astype(np.int32),
        township_code=world.township_code)
