"""Scenario configuration: validated models of world, rules, workload and staffing."""

from sim.config.errors import ScenarioError
from sim.config.rules import Rules
from sim.config.scenario import Scenario, load_part, load_scenario
from sim.config.staffing import StaffingSpec
from sim.config.workload import WorkloadSpec
from sim.config.world import WorldSpec

__all__ = [
    "Rules", "Scenario", "ScenarioError", "StaffingSpec", "WorkloadSpec", "WorldSpec",
    "load_part", "load_scenario",
]
