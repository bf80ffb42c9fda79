"""Write a world as Parquet tables with stable schemas, and as the platform's directory JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.world.codes import EXCLUSIVE_KINDS, KIND_NAMES
from sim.world.names import NamePool
from sim.world.tables import EDUCATION, ROLES, SPECIAL_KINDS, TIERS, World
from sim.world.units import name_units, unit_rows

GRID_SCHEMA = pa.schema([
    ("grid_code", pa.string()), ("community_code", pa.string()), ("township_code", pa.string()),
    ("county_code", pa.string()), ("kind", pa.string()), ("exclusive_kind", pa.string()),
    ("households", pa.int32()), ("residents", pa.int32()), ("workers", pa.int32()),
    ("full_time_workers", pa.int32()), ("grid_head_id", pa.string()), ("name", pa.string()),
])
HOUSEHOLD_SCHEMA = pa.schema([
    ("household_id", pa.int64()), ("grid_code", pa.dictionary(pa.int32(), pa.string())),
    ("size", pa.int8()), *[(k, pa.bool_()) for k in SPECIAL_KINDS],
    ("head_name", pa.string()), ("phone", pa.string()), ("address", pa.string()),
])
WORKER_SCHEMA = pa.schema([
    ("worker_id", pa.string()), ("role", pa.string()), ("tier", pa.string()),
    ("unit_code", pa.string()), ("grid_codes", pa.list_(pa.string())), ("age", pa.int8()),
    ("education", pa.string()), ("hours_per_week", pa.float32()), ("name", pa.string()),
    ("phone", pa.string()),
])
DIRECTORY_ROLE = {
    "full_time": "grid_worker", "part_time": "grid_worker", "exclusive": "grid_worker",
    "grid_head": "grid_head", "instructor": "grid_worker", "township_staff": "township_staff",
    "county_staff": "county_staff", "city_staff": "city_staff",
    "department_handler": "department_handler",
}


def worker_ids(n: int) -> np.ndarray:
    """Stable worker ids ``W0000001`` …"""
    return np.char.add("W", np.char.zfill(np.arange(1, n + 1).astype(str), 7)).astype(object)


def worker_unit_codes(w: World) -> np.ndarray:
    """The code of the unit each worker belongs to."""
    out = np.empty(w.worker_role.shape[0], dtype=object)
    by_tier = {"grid": w.grid_code, "community": w.community_code,
               "township": w.township_code, "county": w.county_code}
    for t, name in enumerate(TIERS):
        sel = w.worker_tier == t
        if name in by_tier:
            out[sel] = by_tier[name][w.worker_unit[sel]]
        elif name == "city":
            out[sel] = w.city_code
        elif name == "department":
            codes = np.array([w.dept_unit_code(i) for i in range(w.dept_unit_dept.shape[0])],
                             dtype=object)
            out[sel] = codes[w.worker_unit[sel]]
    return out


def worker_grid_lists(w: World) -> list[list[str]]:
    """Grid codes each worker covers (instructors: their community's grids)."""
    order = np.lexsort((w.cover_grid, w.cover_worker))
    cw, cg = w.cover_worker[order], w.cover_grid[order]
    bounds = np.searchsorted(cw, np.arange(w.worker_role.shape[0] + 1))
    codes = w.grid_code
    lists = [codes[cg[bounds[i]:bounds[i + 1]]].tolist() for i in range(w.worker_role.shape[0])]
    instructor = ROLES.index("instructor")
    for i in np.flatnonzero(w.worker_role == instructor):
        lists[i] = codes[w.grid_community == w.worker_unit[i]].tolist()
    return lists


def export_world(w: World, out: Path, names: bool = False) -> dict[str, Path]:
    """Write grids, households, workers and units Parquet tables (+ directory.json) to ``out``.

    With ``names``, households and workers get Faker zh_CN names, phones and addresses.
    """
    out.mkdir(parents=True, exist_ok=True)
    pool = NamePool.make(w.seed)
    unit_names = name_units(w, pool)
    n_grids = w.grid_code.shape[0]
    ft = ROLES.index("full_time")
    ids = worker_ids(w.worker_role.shape[0])
    head = np.where(w.grid_head >= 0, ids[np.maximum(w.grid_head, 0)], None)
    grids = pa.table({
        "grid_code": w.grid_code, "community_code": w.community_code[w.grid_community],
        "township_code": w.township_code[w.grid_township],
        "county_code": w.county_code[w.grid_county],
        "kind": np.array([KIND_NAMES[int(k)] for k in w.grid_kind], dtype=object),
        "exclusive_kind": np.array([EXCLUSIVE_KINDS[s - 1] if s else None
                                    for s in w.grid_subkind.tolist()], dtype=object),
        "households": w.grid_households, "residents": w.grid_residents,
        "workers": np.bincount(w.cover_grid, minlength=n_grids).astype(np.int32),
        "full_time_workers": np.bincount(
            w.cover_grid[w.worker_role[w.cover_worker] == ft], minlength=n_grids
        ).astype(np.int32),
        "grid_head_id": head, "name": unit_names.grid,
    }, schema=GRID_SCHEMA)
    n = w.n_households
    hh_cols: dict[str, object] = {
        "household_id": np.arange(1, n + 1, dtype=np.int64),
        "grid_code": pa.DictionaryArray.from_arrays(pa.array(w.hh_grid), pa.array(w.grid_code)),
        "size": w.hh_size,
    }
    for bit, kind in enumerate(SPECIAL_KINDS):
        hh_cols[kind] = (w.hh_flags >> bit) & 1 == 1
    if names:
        comm = w.grid_community[w.hh_grid]
        hh_cols["head_name"] = pool.names(n)
        hh_cols["phone"] = pool.phones(n)
        hh_cols["address"] = pool.addresses(unit_names.community[comm], w.community_urban[comm])
    else:
        hh_cols.update({k: pa.nulls(n, pa.string()) for k in ("head_name", "phone", "address")})
    households = pa.table(hh_cols, schema=HOUSEHOLD_SCHEMA)
    nw = w.worker_role.shape[0]
    workers = pa.table({
        "worker_id": ids, "role": np.asarray(ROLES, dtype=object)[w.worker_role],
        "tier": np.asarray(TIERS, dtype=object)[w.worker_tier],
        "unit_code": worker_unit_codes(w), "grid_codes": worker_grid_lists(w),
        "age": w.worker_age, "education": np.asarray(EDUCATION, dtype=object)[w.worker_edu],
        "hours_per_week": w.worker_hours,
        "name": pool.names(nw) if names else pa.nulls(nw, pa.string()),
        "phone": pool.phones(nw) if names else pa.nulls(nw, pa.string()),
    }, schema=WORKER_SCHEMA)
    units = pa.Table.from_pylist(unit_rows(w, unit_names), schema=pa.schema([
        ("code", pa.string()), ("name", pa.string()), ("tier", pa.string()),
        ("parent", pa.string()), ("kind", pa.string())]))
    paths = {}
    for name, table in (("grids", grids), ("households", households), ("workers", workers),
                        ("units", units)):
        paths[name] = out / f"{name}.parquet"
        pq.write_table(table, paths[name], compression="zstd")
    paths["directory"] = out / "directory.json"
    write_directory(w, paths["directory"], units.to_pylist(), workers)
    return paths


def write_directory(w: World, path: Path, units: list[dict], workers: pa.Table) -> None:
    """The platform's seed file: units and users (see loadtest/platform/API.md)."""
    users = [
        {"id": wid, "name": name or wid, "role": DIRECTORY_ROLE[role], "unit": unit,
         "grids": grids}
        for wid, name, role, unit, grids in zip(
            workers["worker_id"].to_pylist(), workers["name"].to_pylist(),
            workers["role"].to_pylist(), workers["unit_code"].to_pylist(),
            workers["grid_codes"].to_pylist(), strict=True)
    ]
    # one residents' account per grid (keyed by its grid code): a replay reports residents'
    # cases with it, since households have no accounts of their own
    users += [{"id": u["code"], "name": f"{u['name']}居民", "role": "resident",
               "unit": u["code"], "grids": [u["code"]]} for u in units if u["tier"] == "grid"]
    path.write_text(json.dumps({"units": units, "users": users}, ensure_ascii=False,
                               sort_keys=True), encoding="utf-8")
