"""Staff the world: grid workers per the staffing policy, centre staff and department handlers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from sim.config.rules import CENTRE_TIERS, Rules
from sim.config.staffing import StaffingSpec, WorkerProfile
from sim.world.codes import KIND_EXCLUSIVE, KIND_URBAN
from sim.world.grids import Grids
from sim.world.hierarchy import Hierarchy
from sim.world.tables import ROLES, TIERS, role_id

GRID_TIER = TIERS.index("grid")


@dataclass
class Staff:
    """Workers as columns plus the (worker, grid) coverage pairs."""

    role: np.ndarray
    tier: np.ndarray
    unit: np.ndarray
    age: np.ndarray
    edu: np.ndarray
    hours: np.ndarray
    cover_worker: np.ndarray
    cover_grid: np.ndarray
    grid_head: np.ndarray
    departments: list[str]
    dept_unit_dept: np.ndarray
    dept_unit_tier: np.ndarray
    dept_unit_parent: np.ndarray


class _Roster:
    """Accumulates blocks of workers of one role at one tier."""

    def __init__(self) -> None:
        self.blocks: list[tuple[int, int, np.ndarray]] = []
        self.n = 0

    def add(self, role: str, tier: str, units: np.ndarray) -> np.ndarray:
        """Add one worker per entry of ``units``; return their worker indices."""
        ids = np.arange(self.n, self.n + units.shape[0], dtype=np.int32)
        self.blocks.append((role_id(role), TIERS.index(tier), units.astype(np.int32)))
        self.n += units.shape[0]
        return ids

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        role = np.concatenate([np.full(u.shape[0], r, np.int8) for r, _, u in self.blocks])
        tier = np.concatenate([np.full(u.shape[0], t, np.int8) for _, t, u in self.blocks])
        unit = np.concatenate([u for _, _, u in self.blocks])
        return role, tier, unit


def _share_full_time(g: Grids, per_grid: np.ndarray, share: int, roster: _Roster,
                     cover: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Full-time workers: ``per_grid`` slots per grid, one worker per ``share`` adjacent grids."""
    comp = np.flatnonzero(g.kind != KIND_EXCLUSIVE)
    community = g.community[comp].astype(np.int64)
    starts = np.searchsorted(community, community)  # comprehensive grids are community-sorted
    position = np.arange(comp.shape[0]) - starts
    first_ft = np.full(g.code.shape[0], -1, np.int32)
    for level in range(int(per_grid.max(initial=0))):
        sel = per_grid[comp] > level
        keys = community[sel] * 100_000 + position[sel] // share
        uniq, inverse = np.unique(keys, return_inverse=True)
        owner_grid = comp[sel][np.searchsorted(keys, uniq)]
        ids = roster.add("full_time", "grid", owner_grid)
        workers = ids[inverse]
        cover.append((workers, comp[sel]))
        if level == 0:
            first_ft[comp[sel]] = workers
    return first_ft


def staff_world(h: Hierarchy, g: Grids, rules: Rules, staffing: StaffingSpec,
                workload_departments: set[str], rng: np.random.Generator) -> Staff:
    """Create every worker the staffing policy hires, within the jurisdiction's roles."""
    gw = staffing.grid_workers
    roster = _Roster()
    cover: list[tuple[np.ndarray, np.ndarray]] = []
    urban = g.kind == KIND_URBAN
    comprehensive = g.kind != KIND_EXCLUSIVE
    ft_per = np.where(urban, gw.full_time_per_urban_grid, gw.full_time_per_rural_grid)
    ft_per = np.where(comprehensive, ft_per, 0)
    first_ft = _share_full_time(g, ft_per, gw.grids_per_full_time, roster, cover)

    pt_per = np.where(urban, gw.part_time_per_urban_grid, gw.part_time_per_rural_grid)
    pt_grids = np.repeat(np.flatnonzero(comprehensive), pt_per[comprehensive])
    cover.append((roster.add("part_time", "grid", pt_grids), pt_grids))
    ex_role = "exclusive" if "exclusive" in rules.roles else "part_time"
    ex_grids = np.repeat(np.flatnonzero(~comprehensive), gw.workers_per_exclusive_grid)
    cover.append((roster.add(ex_role, "grid", ex_grids), ex_grids))

    cover_worker = np.concatenate([w for w, _ in cover]).astype(np.int32)
    cover_grid = np.concatenate([gr for _, gr in cover]).astype(np.int32)
    head = _grid_heads(g, rules, gw.grid_head_is_full_time, first_ft, cover_grid, roster)
    if rules.staffing.instructor_per_community and "instructor" in rules.roles:
        roster.add("instructor", "community", np.arange(h.community_code.shape[0]))

    counts = {"township": h.township_code.shape[0], "county": h.county_code.shape[0], "city": 1}
    centre_size = {"township": staffing.centres.township, "county": staffing.centres.county,
                   "city": staffing.centres.city}
    for tier in CENTRE_TIERS:
        if tier in rules.centres.tiers:
            roster.add(f"{tier}_staff", tier, np.repeat(np.arange(counts[tier]), centre_size[tier]))

    # Departments the rules name as linked, plus those the workload needs that they do not
    # name ("等有关部门"): the latter exist at county level only, outside the grid channel.
    departments = sorted(set(rules.departments) | set(workload_departments))
    du_dept, du_tier, du_parent, handlers = [], [], [], []
    served = {
        "township": np.bincount(h.community_township, weights=h.community_households,
                                minlength=counts["township"]),
        "county": np.bincount(h.township_county, weights=np.bincount(
            h.community_township, weights=h.community_households,
            minlength=counts["township"]), minlength=counts["county"]),
        "city": np.array([h.community_households.sum()], dtype=float),
    }
    for d, key in enumerate(departments):
        tiers = rules.departments[key].tiers if key in rules.departments else ["county"]
        for tier in tiers:
            rate = staffing.departments.overrides.get(key, {}).get(
                tier, getattr(staffing.departments, tier))
            n = np.where(rate > 0, np.maximum(1, np.ceil(rate * served[tier] / 10_000)), 0)
            du_dept += [d] * counts[tier]
            du_tier += [tier] * counts[tier]
            du_parent += list(range(counts[tier]))
            handlers += n.astype(np.int64).tolist()
    roster.add("department_handler", "department",
               np.repeat(np.arange(len(du_dept)), np.asarray(handlers, dtype=np.int64)))

    role, tier, unit = roster.columns()
    age, edu = _profiles(role, staffing, rng)
    return Staff(
        role=role, tier=tier, unit=unit, age=age, edu=edu,
        hours=_weekly_hours(role, staffing),
        cover_worker=cover_worker, cover_grid=cover_grid, grid_head=head,
        departments=departments,
        dept_unit_dept=np.asarray(du_dept, dtype=np.int16),
        dept_unit_tier=np.asarray(du_tier, dtype=object),
        dept_unit_parent=np.asarray(du_parent, dtype=np.int32),
    )


def _grid_heads(g: Grids, rules: Rules, concurrent: bool, first_ft: np.ndarray,
                cover_grid: np.ndarray, roster: _Roster) -> np.ndarray:
    """Grid head per grid (-1 none): the full-time worker concurrently, or a separate person."""
    head = np.full(g.code.shape[0], -1, np.int32)
    policy = rules.staffing.grid_head
    if policy == "none":
        return head
    comprehensive = g.kind != KIND_EXCLUSIVE
    workers_per_grid = np.bincount(cover_grid, minlength=g.code.shape[0])
    needs = comprehensive & (
        (workers_per_grid >= 2) if policy == "multi_worker_grids" else True
    )
    if concurrent:
        take = needs & (first_ft >= 0)
        head[take] = first_ft[take]
        needs &= ~take
    grids = np.flatnonzero(needs)
    head[grids] = roster.add("grid_head", "grid", grids)
    return head


_PROFILE_OF = {
    "full_time": "full_time", "part_time": "part_time", "exclusive": "exclusive",
    "grid_head": "grid_head", "instructor": "instructor",
}
_SHIFT_OF = {
    "full_time": "full_time", "part_time": "part_time", "exclusive": "exclusive",
    "grid_head": "part_time", "instructor": "part_time", "township_staff": "centre",
    "county_staff": "centre", "city_staff": "centre", "department_handler": "department",
}


def _profiles(role: np.ndarray, staffing: StaffingSpec,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Ages and education per role from the staffing profiles (staff use full-time's).

    Hiring fills quotas: within each role, ages follow the profile's normal quantiles and the
    education shares are met exactly (to one worker), in a random order, so a small world
    hires the same mix as a large one.
    """
    n = role.shape[0]
    age = np.zeros(n, np.int8)
    edu = np.zeros(n, np.int8)
    for r, name in enumerate(ROLES):
        sel = np.flatnonzero(role == r)
        if not sel.size:
            continue
        p: WorkerProfile = staffing.profiles.get(  # type: ignore[call-overload]
            _PROFILE_OF.get(name, "full_time")) or staffing.profiles["full_time"]
        q_age = (rng.permutation(sel.size) + 0.5) / sel.size
        q_edu = (rng.permutation(sel.size) + 0.5) / sel.size
        age[sel] = np.clip(np.rint(p.age_mean + p.age_sd * ndtri(q_age)), p.age_min, p.age_max)
        edu[sel] = (q_edu < p.high_school_share).astype(np.int8) + (q_edu < p.college_share)
    return age, edu


def _weekly_hours(role: np.ndarray, staffing: StaffingSpec) -> np.ndarray:
    shifts = [staffing.shifts[_SHIFT_OF[name]] for name in ROLES]  # type: ignore[index]
    table = np.array([s.hours_per_day * len(s.workdays) for s in shifts], dtype=np.float32)
    return table[role]
