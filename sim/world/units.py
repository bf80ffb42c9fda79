"""The world's units (city, counties, townships, communities, grids, departments) as rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.world.codes import EXCLUSIVE_KINDS, KIND_NAMES
from sim.world.names import NamePool
from sim.world.tables import World

EXCLUSIVE_ZH = {
    "admin_centre": "行政中心", "park": "园区", "enterprise": "企业", "institution": "事业单位",
    "factory": "厂区", "scenic": "景区", "market": "商圈市场", "business_building": "商务楼宇",
    "school": "学校", "hospital": "医院",
}


@dataclass
class UnitNames:
    """Names per unit row, drawn once from a :class:`NamePool`."""

    county: np.ndarray
    township: np.ndarray
    community: np.ndarray
    grid: np.ndarray


def name_units(w: World, pool: NamePool) -> UnitNames:
    """Chinese names for every unit (synthetic)."""
    county = np.where(w.county_kind == "district", pool.place(w.county_code.shape[0], "区"),
                      pool.place(w.county_code.shape[0], "县"))
    township = np.where(w.township_urban, pool.place(w.township_code.shape[0], "街道"),
                        pool.place(w.township_code.shape[0], "镇"))
    community = np.where(w.community_urban, pool.place(w.community_code.shape[0], "社区"),
                         pool.place(w.community_code.shape[0], "村"))
    seq = np.array([int(c[-4:]) for c in w.grid_code.tolist()])
    label = np.array([
        EXCLUSIVE_ZH[EXCLUSIVE_KINDS[s - 1]] if s else "" for s in w.grid_subkind.tolist()
    ], dtype=object)
    grid = np.char.add(np.char.add(np.char.add(
        community[w.grid_community].astype(str), label.astype(str)), "第"),
        np.char.add(seq.astype(str), "网格")).astype(object)
    return UnitNames(county, township, community, grid)


def unit_rows(w: World, names: UnitNames) -> list[dict[str, str | None]]:
    """Every unit as ``{code, name, tier, parent, kind}``: parents before children."""
    rows: list[dict[str, str | None]] = [
        {"code": w.city_code, "name": w.city_name, "tier": "city", "parent": None, "kind": None}]
    rows += [{"code": c, "name": n, "tier": "county", "parent": w.city_code, "kind": k}
             for c, n, k in zip(w.county_code, names.county, w.county_kind, strict=True)]
    rows += [{"code": c, "name": n, "tier": "township", "parent": w.county_code[p],
              "kind": "street" if u else "town"}
             for c, n, p, u in zip(w.township_code, names.township, w.township_county,
                                   w.township_urban, strict=True)]
    rows += [{"code": c, "name": n, "tier": "community", "parent": w.township_code[p],
              "kind": "community" if u else "village"}
             for c, n, p, u in zip(w.community_code, names.community, w.community_township,
                                   w.community_urban, strict=True)]
    rows += [{"code": c, "name": n, "tier": "grid", "parent": w.community_code[p],
              "kind": KIND_NAMES[int(k)]}
             for c, n, p, k in zip(w.grid_code, names.grid, w.grid_community, w.grid_kind,
                                   strict=True)]
    for i in range(w.dept_unit_dept.shape[0]):
        tier, parent = w.dept_unit_tier[i], int(w.dept_unit_parent[i])
        parent_code = {"township": w.township_code, "county": w.county_code}.get(tier)
        rows.append({"code": w.dept_unit_code(i), "name": w.departments[int(w.dept_unit_dept[i])],
                     "tier": "department",
                     "parent": w.city_code if parent_code is None else parent_code[parent],
                     "kind": w.departments[int(w.dept_unit_dept[i])]})
    return rows
