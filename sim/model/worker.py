"""Grid workers as pools: a team per set of grids sharing the same primary workers.

A grid's primary workers are its full-time workers or, where the rules let a grid run without
one, its part-time (or exclusive-grid) workers; they patrol, handle cases first and verify.
Part-time workers beside a full-time one help with door visits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import simpy

from sim.config.scenario import Scenario
from sim.model.clock import calendar, holidays_of
from sim.model.resource import Pool, Roster, rosters
from sim.world.codes import KIND_EXCLUSIVE
from sim.world.export import worker_ids
from sim.world.tables import ROLES, World

SHIFT_OF_ROLE = {"full_time": "full_time", "part_time": "part_time", "exclusive": "exclusive"}


@dataclass
class Teams:
    """Pools per team and per helper group, and each grid's team and helpers."""

    pools: list[Pool]
    grid_team: np.ndarray
    grid_helpers: np.ndarray
    team_grids: list[np.ndarray]
    team_role: list[str]
    team_actor: list[str]


def overhead_share(s: Scenario, role: str) -> float:
    """Share of a role's shift spent on admin and training, not on jobs."""
    shift = s.staffing.shifts[SHIFT_OF_ROLE.get(role, "full_time")]  # type: ignore[index]
    hours_year = shift.hours_per_day * len(shift.workdays) * 52
    training = s.rules.training.hours_per_year / hours_year if hours_year else 0.0
    return min(0.9, s.staffing.admin_share + training)


def build_teams(env: simpy.Environment, w: World, s: Scenario, mask: np.ndarray) -> Teams:
    """One pool per distinct set of primary workers; one helper pool per grid with helpers.

    Only grids in ``mask`` get pools (a partitioned run builds its own counties' teams)."""
    n_grids = w.grid_code.shape[0]
    role = w.worker_role[w.cover_worker]
    ids = worker_ids(w.worker_role.shape[0])
    by_grid: list[dict[str, list[int]]] = [{} for _ in range(n_grids)]
    for worker, grid, r in zip(w.cover_worker.tolist(), w.cover_grid.tolist(), role.tolist(),
                               strict=True):
        by_grid[grid].setdefault(ROLES[r], []).append(worker)
    teams: dict[tuple[int, ...], int] = {}
    pools: list[Pool] = []
    team_role: list[str] = []
    team_actor: list[str] = []
    team_members: list[list[int]] = []
    grid_team = np.full(n_grids, -1, np.int32)
    grid_helpers = np.full(n_grids, -1, np.int32)
    helper_pools: list[Pool] = []
    overhead = {r: overhead_share(s, r) for r in SHIFT_OF_ROLE}
    duty = s.staffing.duty.get("grid")
    holidays = holidays_of(s.holidays)

    def shift_cal(r: str):
        # admin and training take the end of each shift: no job runs then
        sh = s.staffing.shifts[SHIFT_OF_ROLE[r]]  # type: ignore[index]
        hours = sh.hours_per_day * (1.0 - overhead[r])
        return calendar(sh.start_hour, sh.start_hour + hours, tuple(sh.workdays),
                        holidays if sh.observes_holidays else None)

    for g in np.flatnonzero(mask).tolist():
        roles = by_grid[g]
        primary_role = next((r for r in ("full_time", "part_time", "exclusive") if r in roles),
                            None)
        if primary_role is None:
            continue
        key = tuple(sorted(roles[primary_role]))
        if w.grid_kind[g] == KIND_EXCLUSIVE:
            # an exclusive grid's worker keeps the unit's hours (000 第四十二条: the unit runs
            # it), whether the rules call the role exclusive or part-time
            primary_role = "exclusive"
        if key not in teams:
            teams[key] = len(pools)
            pools.append(Pool(env, f"team{len(pools)}", "grid", primary_role, len(pools),
                              rosters(len(key), shift_cal(primary_role), duty),
                              overhead[primary_role]))
            team_role.append(primary_role)
            team_actor.append(str(ids[key[0]]))
            team_members.append(list(key))
        grid_team[g] = teams[key]
        helpers = roles.get("part_time", []) if primary_role == "full_time" else []
        if helpers:
            grid_helpers[g] = len(helper_pools)
            helper_pools.append(Pool(env, f"helpers{g}", "grid", "part_time", g,
                                     [Roster(len(helpers), shift_cal("part_time"))],
                                     overhead["part_time"]))
    team_grids_sorted = np.argsort(grid_team, kind="stable")
    bounds = np.searchsorted(grid_team[team_grids_sorted], np.arange(len(pools) + 1))
    team_grids = [team_grids_sorted[bounds[i]:bounds[i + 1]] for i in range(len(pools))]
    offset = len(pools)
    for i, p in enumerate(helper_pools):
        p.unit = offset + i
    grid_helpers = np.where(grid_helpers >= 0, grid_helpers + offset, -1)
    return Teams(pools + helper_pools, grid_team, grid_helpers, team_grids, team_role,
                 team_actor)
