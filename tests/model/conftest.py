"""Small scenarios for model tests: a single-tier M/M/c and a two-township district."""

from __future__ import annotations

from pathlib import Path

from sim.config import Scenario, load_scenario
from tests.conftest import SCENARIOS

SMALL = (
    'world.counties=[{kind="district", count=1, urban_townships=1, rural_townships=1}]',
    "world.communities_per_urban_township={min=3, max=4}",
    "world.villages_per_rural_township={min=6, max=8}",
)

MMC_WORKLOAD = """
name = "mmc"
[sources]
rate_per_1000_households_per_day = "test"
urgency = "test"
difficulty = "test"
sources = "test"
self_resolve = "test"
worker_minutes = "test"
handling_hours = "test"
deadline_hours = "test"
patrol_discovery = "test"
multi_department = "test"
rework = "test"
steps = "test"
[steps]
accept_minutes = 1
dispatch_minutes = 1
feedback_minutes = 1
verify_minutes = 1
hard_factor = 1
rework_factor = 1
coordination_days = 0
resident_report_hours = 1
reference_patrol_minutes = 0.3
[profile]
hourly = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0,
          1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
weekly = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
source = "flat"
[categories.info]
name_zh = "信息"
cite = "001 附件1"
[types.job]
name_zh = "作业"
category = "info"
subcategory = "基础信息"
rate_per_1000_households_per_day = {rate}
urgency = {{ {urgency} }}
difficulty = {{ normal = 1.0 }}
sources = {{ resident = 1.0 }}
self_resolve = 1.0
resolve_tier = "township"
worker_minutes = {{ dist = "exponential", mean = {mean_minutes}, cv = 1.0, min = 0 }}
handling_hours = {{ mean = 1.0, cv = 1.0, min = 0 }}
deadline_hours = 1000
"""

HOUSEHOLDS = 400


def mmc_scenario(tmp: Path, servers: int, lam_per_hour: float, mu_per_hour: float,
                 hours_per_day: float = 24, urgent_share: float = 0.0) -> Scenario:
    """One grid of ``servers`` full-time workers, nothing but exponential jobs arriving as a
    Poisson process: an M/M/c queue on a 24/7 clock, or with the servers on shift
    ``hours_per_day`` from midnight every day (off the rest), and a share of the jobs urgent
    (served first, without pre-emption)."""
    rate = lam_per_hour * 24 * 1000 / HOUSEHOLDS
    wl = tmp / f"mmc-{servers}-{lam_per_hour}-{hours_per_day}-{urgent_share}.toml"
    urgency = (f"routine = {1 - urgent_share}, urgent = {urgent_share}" if urgent_share
               else "routine = 1.0")
    wl.write_text(MMC_WORKLOAD.format(rate=rate, mean_minutes=60.0 / mu_per_hour,
                                      urgency=urgency), encoding="utf-8")
    return load_scenario(SCENARIOS / "district-jiangsu.toml", parts={"workload": str(wl)}, sets=[
        'world.counties=[{kind="district", count=1, urban_townships=1, rural_townships=0}]',
        "world.communities_per_urban_township.min=1",
        "world.communities_per_urban_township.max=1",
        f"world.urban_community_households={{median={HOUSEHOLDS}, sigma=0.0, min=1}}",
        "world.exclusive_per_township={}",
        "world.population.special_rates={}",
        "rules.patrol.daily_patrol=false",
        "rules.patrol.monthly_sweep=false",
        "rules.patrol.visits_per_month={}",
        "rules.training.hours_per_year=0",
        "staffing.admin_share=0",
        f"staffing.grid_workers.full_time_per_urban_grid={servers}",
        "staffing.grid_workers.part_time_per_urban_grid=0",
        # every day, public holidays included (round the clock: an M/M/c queue)
        f"staffing.shifts.full_time={{hours_per_day={hours_per_day}, "
        "workdays=[0,1,2,3,4,5,6], start_hour=0, observes_holidays=false}",
        "staffing.duty={}",
    ])


def small_scenario(rules: str = "jiangsu", *sets: str) -> Scenario:
    """The district shrunk to one street and one town."""
    return load_scenario(SCENARIOS / "district-jiangsu.toml", parts={"rules": rules},
                         sets=[*SMALL, *sets])
