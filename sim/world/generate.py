"""Generate a world from a scenario: hierarchy, grids, households, workers."""

from __future__ import annotations

import numpy as np

from sim.config.scenario import Scenario
from sim.world.grids import cut_grids
from sim.world.hierarchy import build_hierarchy
from sim.world.households import draw_households
from sim.world.tables import World
from sim.world.workers import staff_world


def generate_world(scenario: Scenario, seed: int | None = None) -> World:
    """Build the world of ``scenario`` under its rules, deterministically from ``seed``.

    Population draws (hierarchy, sizes, households, exclusive units) use streams that do not
    depend on the rules, so swapping the rules keeps the same people and places.
    """
    seed = scenario.meta.seed if seed is None else seed
    s_hier, s_hh, s_ex, s_staff = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )
    spec, rules = scenario.world, scenario.rules
    h = build_hierarchy(spec, s_hier)
    g = cut_grids(h, spec, rules, s_ex)
    hh = draw_households(int(h.community_households.sum()), spec.population, s_hh)
    comprehensive = g.households > 0
    hh_grid = np.repeat(np.flatnonzero(comprehensive).astype(np.int32), g.households[comprehensive])
    residents = np.bincount(hh_grid, weights=hh.size, minlength=g.code.shape[0]).astype(np.int32)
    needed = {t.department for t in scenario.workload.types.values() if t.department}
    st = staff_world(h, g, rules, scenario.staffing, needed, s_staff)
    return World(
        name=spec.name, city_code=spec.city_code, city_name=spec.city_name,
        rules_key=rules.jurisdiction.key, seed=seed,
        county_code=h.county_code, county_kind=h.county_kind,
        township_code=h.township_code, township_county=h.township_county,
        township_urban=h.township_urban,
        community_code=h.community_code, community_township=h.community_township,
        community_urban=h.community_urban, community_households=h.community_households,
        grid_code=g.code, grid_community=g.community, grid_kind=g.kind,
        grid_subkind=g.subkind, grid_households=g.households, grid_residents=residents,
        hh_grid=hh_grid, hh_size=hh.size, hh_flags=hh.flags,
        unit_community=g.unit_community, unit_subkind=g.unit_subkind, unit_grid=g.unit_grid,
        worker_role=st.role, worker_tier=st.tier, worker_unit=st.unit, worker_age=st.age,
        worker_edu=st.edu, worker_hours=st.hours,
        cover_worker=st.cover_worker, cover_grid=st.cover_grid, grid_head=st.grid_head,
        departments=st.departments, dept_unit_dept=st.dept_unit_dept,
        dept_unit_tier=st.dept_unit_tier, dept_unit_parent=st.dept_unit_parent,
        unrecognised_exclusive=g.unrecognised_exclusive,
    )
