"""An in-memory snapshot of the unit tree, so that scope and permission checks cost no query.

Units change only when the platform is seeded; the snapshot is reloaded when a lookup misses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from loadtest.platform.models import Unit
from loadtest.platform.states import CENTRE_TIERS, Tier


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """A unit as the request handlers need it."""

    id: int
    code: str
    name: str
    tier: Tier
    parent_id: int | None
    kind: str | None


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a grid sits: its own unit and the township, county and city above it."""

    grid: str
    grid_unit_id: int
    township_id: int | None
    county_id: int | None
    city_id: int | None

    def columns(self) -> dict[str, Any]:
        """The `models.Territory` columns of a row placed here."""
        return {
            "grid": self.grid,
            "grid_unit_id": self.grid_unit_id,
            "township_id": self.township_id,
            "county_id": self.county_id,
            "city_id": self.city_id,
        }


class Directory:
    """The unit tree, indexed by id and by code."""

    def __init__(self, units: list[UnitInfo]) -> None:
        self.by_id = {u.id: u for u in units}
        self.by_code = {u.code: u for u in units}
        self._placements: dict[str, Placement] = {}

    @classmethod
    def load(cls, conn: Connection) -> Directory:
        """Read every unit from the database."""
        rows = conn.execute(
            select(Unit.id, Unit.code, Unit.name, Unit.tier, Unit.parent_id, Unit.kind)
        ).all()
        return cls(
            [UnitInfo(r.id, r.code, r.name, Tier(r.tier), r.parent_id, r.kind) for r in rows]
        )

    def ancestors(self, unit_id: int) -> list[UnitInfo]:
        """The units strictly above ``unit_id``, nearest first."""
        out: list[UnitInfo] = []
        parent = self.by_id[unit_id].parent_id
        while parent is not None:
            unit = self.by_id[parent]
            out.append(unit)
            parent = unit.parent_id
        return out

    def is_strictly_above(self, upper_id: int, lower_id: int) -> bool:
        """Whether ``upper_id`` is an ancestor of ``lower_id``."""
        return any(u.id == upper_id for u in self.ancestors(lower_id))

    def centre_above(self, unit_id: int) -> UnitInfo | None:
        """The nearest township, county or city centre above ``unit_id`` (None at the top)."""
        return next((u for u in self.ancestors(unit_id) if u.tier in CENTRE_TIERS), None)

    def place_grid(self, grid_code: str) -> Placement | None:
        """The placement of a 19-digit grid code, or None if no grid unit has that code."""
        placement = self._placements.get(grid_code)
        if placement is None:
            placement = self._place(grid_code)
            if placement is not None:  # the tree is a fixed snapshot; junk codes are not kept
                self._placements[grid_code] = placement
        return placement

    def _place(self, grid_code: str) -> Placement | None:
        unit = self.by_code.get(grid_code)
        if unit is None or unit.tier is not Tier.GRID:
            return None
        above = {u.tier: u.id for u in self.ancestors(unit.id)}
        return Placement(
            grid_code,
            unit.id,
            above.get(Tier.TOWNSHIP),
            above.get(Tier.COUNTY),
            above.get(Tier.CITY),
        )
