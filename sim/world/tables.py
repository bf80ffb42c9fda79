"""The synthetic world as numpy columns: one array per attribute, one row per unit.

Households are rows, not objects (3.5M households must fit in a few hundred MB). Units refer
to their parent by row index (``grid_community``, ``community_township`` …).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SPECIAL_KINDS: tuple[str, ...] = (
    "floating_renter", "difficulty", "key_person", "elderly_alone", "disabled",
)
ROLES: tuple[str, ...] = (
    "full_time", "part_time", "exclusive", "grid_head", "instructor",
    "township_staff", "county_staff", "city_staff", "department_handler",
)
GRID_ROLES = ("full_time", "part_time", "exclusive", "grid_head")
TIERS: tuple[str, ...] = ("grid", "community", "township", "county", "city", "department")
EDUCATION: tuple[str, ...] = ("below_high_school", "high_school", "college")


def role_id(name: str) -> int:
    """Index of a role in :data:`ROLES`."""
    return ROLES.index(name)


@dataclass
class World:
    """A generated world: hierarchy, grids, households and workers, under one rule set."""

    name: str
    city_code: str
    city_name: str
    rules_key: str
    seed: int
    # counties / districts
    county_code: np.ndarray
    county_kind: np.ndarray
    # townships / streets
    township_code: np.ndarray
    township_county: np.ndarray
    township_urban: np.ndarray
    # communities / villages
    community_code: np.ndarray
    community_township: np.ndarray
    community_urban: np.ndarray
    community_households: np.ndarray
    # grids
    grid_code: np.ndarray
    grid_community: np.ndarray
    grid_kind: np.ndarray
    grid_subkind: np.ndarray
    grid_households: np.ndarray
    grid_residents: np.ndarray
    # households (in community order; grid index per row)
    hh_grid: np.ndarray
    hh_size: np.ndarray
    hh_flags: np.ndarray
    # exclusive units (schools, markets …), every one drawn whatever the rules, in (community,
    # kind) order: kind as in grid codes (EXCLUSIVE_KINDS index + 1); grid row or -1 where the
    # rules give the kind no exclusive grid (those are counted in ``unrecognised_exclusive``)
    unit_community: np.ndarray
    unit_subkind: np.ndarray
    unit_grid: np.ndarray
    # workers
    worker_role: np.ndarray
    worker_tier: np.ndarray
    worker_unit: np.ndarray
    worker_age: np.ndarray
    worker_edu: np.ndarray
    worker_hours: np.ndarray
    # which worker covers which grid (full-time sharing makes it many-to-many)
    cover_worker: np.ndarray
    cover_grid: np.ndarray
    grid_head: np.ndarray
    # department units: (department key index, tier name, parent unit index)
    departments: list[str]
    dept_unit_dept: np.ndarray
    dept_unit_tier: np.ndarray
    dept_unit_parent: np.ndarray
    unrecognised_exclusive: dict[str, int] = field(default_factory=dict)

    @property
    def grid_township(self) -> np.ndarray:
        """Township row of each grid."""
        return self.community_township[self.grid_community]

    @property
    def grid_county(self) -> np.ndarray:
        """County row of each grid."""
        return self.township_county[self.grid_township]

    @property
    def n_households(self) -> int:
        """Number of households."""
        return int(self.hh_size.shape[0])

    def special_count(self, kind: str) -> int:
        """Households flagged with a special kind."""
        bit = np.uint8(1 << SPECIAL_KINDS.index(kind))
        return int(np.count_nonzero(self.hh_flags & bit))

    def dept_unit_code(self, i: int) -> str:
        """Stable code of a department unit: parent unit code + '-' + department key."""
        tier = self.dept_unit_tier[i]
        parent = int(self.dept_unit_parent[i])
        base = {"township": self.township_code, "county": self.county_code}.get(tier)
        prefix = self.city_code if base is None else base[parent]
        return f"{prefix}-{self.departments[int(self.dept_unit_dept[i])]}"
