"""Summarise a world per tier, and its rule compliance, for tables and JSON."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.config.rules import Rules
from sim.world.codes import EXCLUSIVE_KINDS, KIND_EXCLUSIVE, KIND_RURAL, KIND_URBAN
from sim.world.compliance import check_world
from sim.world.tables import ROLES, SPECIAL_KINDS, TIERS, World


def grid_kind_counts(w: World) -> dict[str, int]:
    """Grids by kind, exclusive ones by exclusive kind."""
    out = {"urban_comprehensive": int(np.count_nonzero(w.grid_kind == KIND_URBAN)),
           "rural_comprehensive": int(np.count_nonzero(w.grid_kind == KIND_RURAL))}
    ex = w.grid_subkind[w.grid_kind == KIND_EXCLUSIVE]
    for sub, name in enumerate(EXCLUSIVE_KINDS, start=1):
        n = int(np.count_nonzero(ex == sub))
        if n:
            out[f"exclusive_{name}"] = n
    return out


def _tier_rows(w: World) -> list[dict[str, Any]]:
    """Units per tier with per-unit means of households, residents and grids, and staff there."""
    households = w.n_households
    residents = int(w.hh_size.sum(dtype=np.int64))
    n_grids = w.grid_code.shape[0]
    urban_tw = int(w.township_urban.sum())
    urban_comm = int(w.community_urban.sum())
    staff = np.bincount(w.worker_tier, minlength=len(TIERS))
    rows = [
        ("city", 1, w.city_name),
        ("county", w.county_code.shape[0],
         ", ".join(f"{k}: {int(np.sum(w.county_kind == k))}"
                   for k in sorted(set(w.county_kind.tolist())))),
        ("township", w.township_code.shape[0],
         f"streets: {urban_tw}, towns: {w.township_code.shape[0] - urban_tw}"),
        ("community", w.community_code.shape[0],
         f"communities: {urban_comm}, villages: {w.community_code.shape[0] - urban_comm}"),
        ("grid", n_grids, f"comprehensive: {int(np.sum(w.grid_kind != KIND_EXCLUSIVE))}, "
         f"exclusive: {int(np.sum(w.grid_kind == KIND_EXCLUSIVE))}"),
    ]
    return [
        {"tier": tier, "units": n, "detail": detail,
         "grids_per_unit": round(n_grids / n, 1),
         "households_per_unit": round(households / n, 1),
         "residents_per_unit": round(residents / n, 1),
         "households": households, "residents": residents,
         "staff_at_tier": int(staff[TIERS.index(tier)])}
        for tier, n, detail in rows
    ]


def summarise(w: World, rules: Rules) -> dict[str, Any]:
    """Everything `gridsim world` shows: tiers, grids, households, workers, violations."""
    grid_roles = w.worker_role
    workers = {name: int(np.count_nonzero(grid_roles == r)) for r, name in enumerate(ROLES)}
    workers["grid_head_concurrent"] = int(np.count_nonzero(
        (w.grid_head >= 0) & (w.worker_role[np.maximum(w.grid_head, 0)] != ROLES.index("grid_head"))
    ))
    comp = w.grid_kind != KIND_EXCLUSIVE
    hh = w.grid_households[comp]
    return {
        "world": w.name, "rules": w.rules_key, "seed": w.seed,
        "tiers": _tier_rows(w),
        "grids": grid_kind_counts(w),
        "grid_households": ({"min": int(hh.min()), "mean": round(float(hh.mean()), 1),
                             "max": int(hh.max())} if hh.size else {}),
        "households": w.n_households,
        "residents": int(w.hh_size.sum(dtype=np.int64)),
        "special_households": {k: w.special_count(k) for k in SPECIAL_KINDS},
        "workers": {k: v for k, v in workers.items() if v},
        "departments": {"units": int(w.dept_unit_dept.shape[0]), "kinds": len(w.departments)},
        "exclusive_units_without_grid": dict(w.unrecognised_exclusive),
        "violations": [v.as_dict() for v in check_world(w, rules)],
    }
