"""A run split across processes keeps one city tier: the same cases, the same city queue, the
city's real staff (sim/model/partition.py, sim/model/citylink.py)."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.model.partition import reaches_city
from sim.runner import simulate
from tests.model.conftest import small_scenario

# three counties, seven case types the county cannot resolve, one city dispatcher and few city
# department handlers: the city tier queues
CITY_LOAD = (
    'world.counties=[{kind="district", count=3, urban_townships=1, rural_townships=1}]',
    'workload.types.opinion_demand.resolve_tier="city"',
    'workload.types.info_population.resolve_tier="city"',
    'workload.types.dept_survey_task.resolve_tier="city"',
    'workload.types.labour_dispute.resolve_tier="city"',
    'workload.types.proxy_service.resolve_tier="city"',
    'workload.types.care_needs.resolve_tier="city"',
    'workload.types.neighbour_dispute.resolve_tier="city"',
    "staffing.centres.city=1",
    "staffing.departments.city=0.01",
)


def _bytes(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def test_the_rules_say_up_front_whether_a_case_can_reach_the_city() -> None:
    assert not reaches_city(small_scenario("jiangsu"))
    assert reaches_city(small_scenario("jiangsu", *CITY_LOAD))
    opinion = 'workload.types.opinion_demand.resolve_tier="city"'
    assert reaches_city(small_scenario("qingdao", opinion))
    # a department Qingdao's rules do not link is reached from the county, which dispatches
    labour = 'workload.types.labour_dispute.resolve_tier="city"'
    assert "hr_social_security" not in small_scenario("qingdao").rules.departments
    assert not reaches_city(small_scenario("qingdao", labour))
    assert reaches_city(small_scenario("jiangsu", labour))


@pytest.fixture(scope="module")
def split_runs() -> dict[int, object]:
    s = small_scenario("qingdao", *CITY_LOAD)
    return {p: simulate(s, days=21, seed=5, processes=p, warmup=3) for p in (1, 2, 3)}


def test_split_runs_share_one_city_queue(split_runs) -> None:
    one = split_runs[1]
    paths = one.cases.column("tier_path").to_pylist()
    assert sum("city" in p for p in paths) > 100  # the city tier is busy here
    city = one.kpis["little"]["city"]
    assert city["W"] > 0.05 and city["L"] > 0.01  # and it queues
    for p in (2, 3):
        other = split_runs[p]
        assert other.model is None and other.kpis["processes"] == p
        # every case lives the same life, city part included
        assert _bytes(other.cases) == _bytes(one.cases), p
        for key in ("cases", "on_time", "time_to_close_hours", "overdue"):
            assert other.kpis[key] == one.kpis[key], (p, key)
        # pool sums come in another order: equal but for the last bits
        for key in ("little", "utilisation"):
            for name, row in one.kpis[key].items():
                assert other.kpis[key][name] == pytest.approx(row, rel=1e-12), (p, key, name)
        a = one.timeseries.group_by("tier").aggregate([("backlog", "sum")]).sort_by("tier")
        b = other.timeseries.group_by("tier").aggregate([("backlog", "sum")]).sort_by("tier")
        assert a.equals(b), p


def test_the_city_keeps_its_real_staff(split_runs) -> None:
    for p, r in split_runs.items():
        city = [s for s in r.record.pools if s.tier == "city" and s.kind == "centre"]
        assert [s.capacity for s in city] == [1], p  # one dispatcher, not one per partition
        handlers = sum(s.capacity for s in r.record.pools
                       if s.tier == "city" and s.kind == "department")
        staffed = sum(s.capacity for s in split_runs[1].record.pools
                      if s.tier == "city" and s.kind == "department")
        assert handlers == staffed and np.isfinite(handlers), p
