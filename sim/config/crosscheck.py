"""Checks across parts: a staffing policy must satisfy the rules it runs under."""

from __future__ import annotations

from sim.config.errors import ScenarioError
from sim.config.scenario import Scenario


def check_scenario(s: Scenario) -> None:
    """Raise :class:`ScenarioError` where staffing breaks the jurisdiction's minimum staffing."""
    rules, gw = s.rules.staffing, s.staffing.grid_workers
    rules_file, staff_file = s.files["rules"], s.files["staffing"]
    cite = rules.cite or "assumed"

    def fail(key: str, reason: str) -> None:
        raise ScenarioError(staff_file, f"grid_workers.{key}", f"{reason} ({rules_file}, {cite})")

    if rules.full_time_required_urban and gw.full_time_per_urban_grid == 0:
        fail("full_time_per_urban_grid",
             "is 0 but the rules require a full-time worker in every urban comprehensive grid")
    if gw.full_time_per_rural_grid == 0:
        if rules.full_time_required_rural and not rules.part_time_only_rural_allowed:
            fail("full_time_per_rural_grid",
                 "is 0 but the rules require a full-time worker in every rural grid")
        if gw.part_time_per_rural_grid == 0:
            fail("part_time_per_rural_grid",
                 "is 0 and so is full_time_per_rural_grid: rural grids would have no worker")
    if gw.full_time_per_urban_grid == 0 and gw.part_time_per_urban_grid == 0:
        fail("part_time_per_urban_grid",
             "is 0 and so is full_time_per_urban_grid: urban grids would have no worker")
    if gw.grids_per_full_time > rules.max_grids_per_full_time:
        fail("grids_per_full_time",
             f"is {gw.grids_per_full_time} but the rules let one full-time worker cover at most "
             f"{rules.max_grids_per_full_time} grid(s)")
