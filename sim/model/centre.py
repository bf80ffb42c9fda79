"""Grid institutions (网格化机构 / 综治中心) at township, county and city: staffed pools."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import simpy

from sim.config.rules import CENTRE_TIERS
from sim.config.scenario import Scenario
from sim.model.clock import calendar, holidays_of
from sim.model.resource import Pool, rosters
from sim.world.export import worker_ids
from sim.world.tables import ROLES, World


@dataclass
class Centres:
    """Pools per centre tier (index = unit row of that tier), and the tiers that have one."""

    pools: dict[str, list[Pool]]
    actors: dict[str, list[str]]
    tiers: tuple[str, ...]

    def entry_tier(self) -> str:
        """The lowest tier with a grid institution: where the grid's reports go."""
        return self.tiers[0]

    def above(self, tier: str) -> str | None:
        """The next centre tier up, or None at the top."""
        i = self.tiers.index(tier)
        return self.tiers[i + 1] if i + 1 < len(self.tiers) else None

    def overseer(self, handler: str) -> str:
        """The centre tier that supervises (督办) ``handler``'s work: the centre that dispatched
        a department (``dept:<key>@<tier>``), the grid's entry centre for a grid worker, else
        the centre above the one handling it; the top centre supervises its own work, as
        nobody is above it."""
        if handler.startswith("dept:"):
            return handler.rpartition("@")[2]
        if handler == "grid":  # a grid worker's handling: the centre the grid reports to
            return self.entry_tier()
        return self.above(handler) or handler


def build_centres(env: simpy.Environment, w: World, s: Scenario) -> Centres:
    """Centre pools from the world's centre staff (one pool per township/county/city)."""
    sh = s.staffing.shifts["centre"]
    cal = calendar(sh.start_hour, sh.start_hour + sh.hours_per_day, tuple(sh.workdays),
                   holidays_of(s.holidays) if sh.observes_holidays else None)
    ids = worker_ids(w.worker_role.shape[0])
    counts = {"township": w.township_code.shape[0], "county": w.county_code.shape[0], "city": 1}
    pools: dict[str, list[Pool]] = {}
    actors: dict[str, list[str]] = {}
    tiers = tuple(t for t in CENTRE_TIERS if t in s.rules.centres.tiers)
    for tier in tiers:
        staff = np.flatnonzero(w.worker_role == ROLES.index(f"{tier}_staff"))
        unit = w.worker_unit[staff]
        size = np.bincount(unit, minlength=counts[tier])
        first = {int(u): str(ids[i]) for i, u in zip(staff[::-1], unit[::-1], strict=True)}
        duty = s.staffing.duty.get(tier)
        pools[tier] = [Pool(env, f"{tier}{u}", tier, "centre", u,
                            rosters(int(size[u]), cal, duty)) for u in range(counts[tier])]
        for p in pools[tier]:
            # the city tier is shared by a split run's processes: its ties settle one way
            p.deferred = tier == "city"
        actors[tier] = [first.get(u, f"{tier}{u}") for u in range(counts[tier])]
    return Centres(pools, actors, tiers)
