"""Linked departments (联动部门): handler pools per department unit (department × tier × unit)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import simpy

from sim.config.scenario import Scenario
from sim.model.clock import calendar, holidays_of
from sim.model.resource import Pool, rosters
from sim.world.export import worker_ids
from sim.world.tables import ROLES, World


@dataclass
class Departments:
    """Pools by (department key, tier, parent unit row); ``tiers`` of linked departments."""

    pools: dict[tuple[str, str, int], Pool]
    actors: dict[tuple[str, str, int], str]
    tiers: dict[str, tuple[str, ...]]
    linked_keys: set[str]

    def find(self, dept: str, tier: str, parent: int) -> Pool | None:
        """The department's pool at ``tier`` under unit ``parent``, if it has one there."""
        return self.pools.get((dept, tier, parent))

    def linked(self, dept: str | None) -> bool:
        """Whether the rules name this department as linked."""
        return dept is not None and dept in self.linked_keys


def build_departments(env: simpy.Environment, w: World, s: Scenario) -> Departments:
    """One pool per department unit, sized by its handlers."""
    sh = s.staffing.shifts["department"]
    cal = calendar(sh.start_hour, sh.start_hour + sh.hours_per_day, tuple(sh.workdays),
                   holidays_of(s.holidays) if sh.observes_holidays else None)
    handlers = np.flatnonzero(w.worker_role == ROLES.index("department_handler"))
    size = np.bincount(w.worker_unit[handlers], minlength=w.dept_unit_dept.shape[0])
    ids = worker_ids(w.worker_role.shape[0])
    first = {int(u): str(ids[i]) for i, u in zip(handlers[::-1], w.worker_unit[handlers][::-1],
                                                  strict=True)}
    duty = s.staffing.duty.get("department")
    pools: dict[tuple[str, str, int], Pool] = {}
    actors: dict[tuple[str, str, int], str] = {}
    for i in range(w.dept_unit_dept.shape[0]):
        if size[i] == 0:  # a unit nobody staffs cannot take cases
            continue
        key = (w.departments[int(w.dept_unit_dept[i])], str(w.dept_unit_tier[i]),
               int(w.dept_unit_parent[i]))
        n = int(size[i])
        pools[key] = Pool(env, f"{key[0]}@{key[1]}{key[2]}", key[1], "department", i,
                          rosters(n, cal, duty))
        pools[key].deferred = key[1] == "city"  # see build_centres
        actors[key] = first.get(i, key[0])
    tiers = {k: tuple(d.tiers) for k, d in s.rules.departments.items()}
    return Departments(pools, actors, tiers, set(s.rules.departments))
