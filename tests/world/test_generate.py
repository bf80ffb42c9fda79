"""Generated worlds satisfy their rules; jurisdictions differ where their rules differ."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config import ScenarioError, load_scenario
from sim.world import generate_world
from sim.world.codes import KIND_EXCLUSIVE, KIND_RURAL, KIND_URBAN, parse_grid_code
from sim.world.compliance import check_world
from sim.world.export import export_world
from sim.world.tables import role_id
from tests.conftest import RULE_SETS, SCENARIOS

DISTRICT = SCENARIOS / "district-jiangsu.toml"


def scenario(rules: str = "jiangsu", *sets: str):
    return load_scenario(DISTRICT, parts={"rules": rules}, sets=sets)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rules=st.sampled_from(RULE_SETS),
    seed=st.integers(0, 2**32 - 1),
    urban_median=st.integers(800, 5000),
    rural_median=st.integers(40, 2000),
    sigma=st.floats(0.0, 0.9),
    per_township=st.integers(1, 12),
)
def test_generated_worlds_satisfy_their_rules(rules, seed, urban_median, rural_median, sigma,
                                              per_township) -> None:
    s = scenario(
        rules, f"scenario.seed={seed}",
        f"world.urban_community_households.median={urban_median}",
        f"world.urban_community_households.sigma={sigma}",
        f"world.rural_village_households.median={rural_median}",
        f"world.rural_village_households.sigma={sigma}",
        f"world.communities_per_urban_township.max={per_township}",
        "world.communities_per_urban_township.min=1",
        f"world.villages_per_rural_township.max={per_township}",
        "world.villages_per_rural_township.min=1",
    )
    w = generate_world(s)
    assert check_world(w, s.rules) == []
    # household ranges, explicitly
    for kind, r in ((KIND_URBAN, s.rules.grids.urban), (KIND_RURAL, s.rules.grids.rural)):
        hh = w.grid_households[w.grid_kind == kind]
        assert (hh <= r.households_max).all()
    # every household is in exactly one comprehensive grid; counts add up
    assert w.grid_households.sum() == w.n_households == w.community_households.sum()
    assert (np.bincount(w.hh_grid, minlength=len(w.grid_code)) == w.grid_households).all()
    # codes: unique, 19 digits, hierarchical
    codes = w.grid_code.tolist()
    assert len(set(codes)) == len(codes)
    for i, code in enumerate(codes):
        parsed = parse_grid_code(code)
        assert parsed.division == w.community_code[w.grid_community[i]]
        assert parsed.division.startswith(w.township_code[w.grid_township[i]])
    # every grid has a worker; full-time required grids have one
    assert (np.bincount(w.cover_grid, minlength=len(codes)) > 0).all()


def test_checker_finds_injected_violations() -> None:
    s = scenario("jiangsu")
    w = generate_world(s)
    urban = int(np.flatnonzero(w.grid_kind == KIND_URBAN)[0])
    w.grid_households[urban] = 900
    w.grid_residents[urban] = 2400
    w.grid_code[1] = w.grid_code[0]
    w.grid_code[2] = "12345"
    ft_pairs = np.flatnonzero((w.worker_role[w.cover_worker] == role_id("full_time"))
                              & (w.grid_kind[w.cover_grid] == KIND_URBAN))
    victim = int(w.cover_grid[ft_pairs[5]])
    w.cover_grid[ft_pairs[5]] = urban  # its full-time worker moves away: victim has none
    w.cover_worker[ft_pairs[9]] = w.cover_worker[ft_pairs[8]]  # one worker now covers two
    found = {v.check: v for v in check_world(w, s.rules)}
    assert {"grid_size", "grid_code_duplicate", "grid_code_malformed", "full_time_required",
            "full_time_sharing"} <= set(found)
    assert found["grid_size"].rule == "000 第六条"
    assert w.grid_code[victim] in found["full_time_required"].examples


def test_liaocheng_lets_rural_grids_run_on_part_time_only() -> None:
    part_time_only = ("staffing.grid_workers.full_time_per_rural_grid=0",
                      "staffing.grid_workers.part_time_per_rural_grid=2")
    s = scenario("liaocheng", *part_time_only)
    w = generate_world(s)
    assert check_world(w, s.rules) == []
    rural = np.flatnonzero(w.grid_kind == KIND_RURAL)
    ft_cover = w.cover_grid[w.worker_role[w.cover_worker] == role_id("full_time")]
    assert not np.isin(rural, ft_cover).any()
    with pytest.raises(ScenarioError, match="full_time_per_rural_grid"):
        scenario("qingdao", *part_time_only)  # 001 三.1: at least one full-time per grid


def test_qingdao_lets_one_full_time_worker_cover_two_grids() -> None:
    s = scenario("qingdao", "staffing.grid_workers.grids_per_full_time=2")
    w = generate_world(s)
    assert check_world(w, s.rules) == []
    per_community = np.bincount(w.grid_community[w.grid_kind != KIND_EXCLUSIVE])
    n_ft = int(np.sum(w.worker_role == role_id("full_time")))
    assert n_ft == int(np.sum(-(-per_community // 2)))  # adjacent pairs within a community
    for other in ("jiangsu", "liaocheng"):
        with pytest.raises(ScenarioError, match="grids_per_full_time"):
            scenario(other, "staffing.grid_workers.grids_per_full_time=2")
        rules = load_scenario(DISTRICT, parts={"rules": other}).rules
        assert "full_time_sharing" in {v.check for v in check_world(w, rules)}


def test_jiangsu_requires_full_time_only_in_urban_grids() -> None:
    s = scenario("jiangsu", "staffing.grid_workers.full_time_per_rural_grid=0")
    assert check_world(generate_world(s), s.rules) == []
    with pytest.raises(ScenarioError, match="full_time_per_urban_grid"):
        scenario("jiangsu", "staffing.grid_workers.full_time_per_urban_grid=0")
    # Zigong leaves staffing to the county (003 第十二条): part-time-only urban grids are allowed
    s = scenario("zigong", "staffing.grid_workers.full_time_per_urban_grid=0")
    assert check_world(generate_world(s), s.rules) == []


def test_same_population_different_grids_across_rules() -> None:
    worlds = {r: generate_world(scenario(r)) for r in RULE_SETS}
    base = worlds["jiangsu"]
    for w in worlds.values():
        assert np.array_equal(w.hh_size, base.hh_size)
        assert np.array_equal(w.hh_flags, base.hh_flags)
        assert np.array_equal(w.community_households, base.community_households)
    # Jiangsu cuts rural grids around 300 households (000 第六条), the others around 400
    rural_mean = {r: w.grid_households[w.grid_kind == KIND_RURAL].mean()
                  for r, w in worlds.items()}
    assert rural_mean["jiangsu"] < min(rural_mean[r] for r in ("qingdao", "liaocheng", "zigong"))
    # exclusive grid kinds follow each list: only Jiangsu names administrative centres
    admin = {r: int(np.sum(w.grid_subkind == 1)) for r, w in worlds.items()}
    assert admin["jiangsu"] > 0 and admin["qingdao"] == admin["liaocheng"] == 0
    # every exclusive unit stays in the world; those of a listed kind have their grid
    for r, w in worlds.items():
        assert np.array_equal(w.unit_community, base.unit_community)
        assert np.array_equal(w.unit_subkind, base.unit_subkind)
        has = w.unit_grid >= 0
        assert np.array_equal(w.unit_grid[has], np.flatnonzero(w.grid_kind == KIND_EXCLUSIVE))
        assert np.array_equal(w.grid_community[w.unit_grid[has]], w.unit_community[has])
        assert np.array_equal(w.grid_subkind[w.unit_grid[has]], w.unit_subkind[has])
        assert int(np.count_nonzero(~has)) == sum(w.unrecognised_exclusive.values()), r


def _export_bytes(seed: int, out: Path) -> dict[str, bytes]:
    w = generate_world(scenario("qingdao", f"scenario.seed={seed}"))
    paths = export_world(w, out, names=True)
    return {k: p.read_bytes() for k, p in paths.items()}


def test_same_seed_same_tables_different_seed_different(tmp_path: Path) -> None:
    a = _export_bytes(7, tmp_path / "a")
    b = _export_bytes(7, tmp_path / "b")
    c = _export_bytes(8, tmp_path / "c")
    assert a == b
    for name in ("grids", "households", "workers"):
        assert a[name] != c[name], name


def test_export_schema_is_stable(tmp_path: Path) -> None:
    from sim.world.export import GRID_SCHEMA, HOUSEHOLD_SCHEMA, WORKER_SCHEMA

    paths = export_world(generate_world(scenario("zigong")), tmp_path)
    assert pq.read_schema(paths["grids"]).remove_metadata() == GRID_SCHEMA
    assert pq.read_schema(paths["households"]).remove_metadata() == HOUSEHOLD_SCHEMA
    assert pq.read_schema(paths["workers"]).remove_metadata() == WORKER_SCHEMA
