"""The record of a run: everything the metrics read, detached from SimPy (picklable), so runs
made on several processes can be merged and measured as one."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from sim.config.rules import Rules
from sim.config.scenario import Scenario
from sim.config.workload import CaseType
from sim.model.arrivals import Arrivals
from sim.model.case import CaseTable
from sim.model.patrol import VisitPlan
from sim.model.resource import PoolStats
from sim.world import World


@dataclass
class RunRecord:
    """Cases, pools and patrols of one run (or of merged partitions of one run).

    Statistics cover the window [``window_start``, ``horizon``) hours: a run's warm-up comes
    before it. Cases and times are kept from hour 0, so a case reported in the warm-up is
    still there (the metrics leave it out).
    """

    scenario: Scenario
    world: World
    horizon: float
    arrivals: Arrivals
    cases: CaseTable
    pools: list[PoolStats]
    patrol_due: np.ndarray
    patrol_done: np.ndarray
    sweep_due: np.ndarray
    sweep_done: np.ndarray
    visits: VisitPlan
    visit_log: list[tuple[int, int, float, float]] = field(default_factory=list)
    open_cases: int = 0
    window_start: float = 0.0

    @property
    def window(self) -> tuple[float, float]:
        """The measured window in hours from the start of the run: (warm-up end, end)."""
        return self.window_start, self.horizon

    @property
    def window_hours(self) -> float:
        """The measured window's length in hours."""
        return self.horizon - self.window_start

    @property
    def rules(self) -> Rules:
        """The jurisdiction's rules."""
        return self.scenario.rules

    @cached_property
    def type_keys(self) -> list[str]:
        """Case type keys, in the model's index order."""
        return sorted(self.scenario.workload.types)

    @cached_property
    def types(self) -> list[CaseType]:
        """Case types, in index order."""
        return [self.scenario.workload.types[k] for k in self.type_keys]

    @cached_property
    def barred(self) -> list[bool]:
        """Per type: barred from grid workers under these rules."""
        barred = self.rules.matters.barred
        return [bool(t.barred and t.barred in barred) for t in self.types]

    @cached_property
    def grid_township(self) -> np.ndarray:
        """Township row per grid."""
        return self.world.grid_township

    @cached_property
    def grid_county(self) -> np.ndarray:
        """County row per grid."""
        return self.world.grid_county

    def pool_stats(self) -> list[PoolStats]:
        """Every pool's measurements."""
        return self.pools
