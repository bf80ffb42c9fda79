"""Seeding: the neutral directory JSON the world generator emits, into units, users and tokens."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from loadtest.platform.auth import make_token, token_digest
from loadtest.platform.db import Database
from loadtest.platform.models import Unit, User
from loadtest.platform.states import ROLE_TIERS, Role, Tier

# township-tier departments are the stations of linked departments (派出所, 司法所 …)
_DEPARTMENT_PARENTS = frozenset({Tier.TOWNSHIP, Tier.COUNTY, Tier.CITY})


class UnitSpec(BaseModel):
    """One unit of the jurisdiction tree."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64, description="grid units: the 19-digit code")
    name: str = Field(min_length=1, max_length=200)
    tier: Tier
    parent: str | None = None
    kind: str | None = Field(default=None, description="urban/rural/exclusive, department key")


class UserSpec(BaseModel):
    """One user: a worker, centre or department staff member, or a resident."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    unit: str
    grids: list[str] = Field(default_factory=list, description="19-digit grid codes covered")


class DirectorySpec(BaseModel):
    """The whole directory, checked for a consistent tree before anything is written."""

    model_config = ConfigDict(extra="forbid")

    units: list[UnitSpec]
    users: list[UserSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> DirectorySpec:
        units = {u.code: u for u in self.units}
        if len(units) != len(self.units):
            raise ValueError("duplicate unit codes")
        for u in self.units:
            _check_unit(u, units)
        for u in self.units:
            _check_acyclic(u, units)
        if len({u.id for u in self.users}) != len(self.users):
            raise ValueError("duplicate user ids")
        for user in self.users:
            _check_user(user, units)
        return self


def _check_unit(u: UnitSpec, units: dict[str, UnitSpec]) -> None:
    if u.parent is None:
        if u.tier is not Tier.CITY:
            raise ValueError(f"unit {u.code}: only the city may have no parent")
        return
    parent = units.get(u.parent)
    if parent is None:
        raise ValueError(f"unit {u.code}: unknown parent {u.parent}")
    if u.tier is Tier.DEPARTMENT and parent.tier not in _DEPARTMENT_PARENTS:
        raise ValueError(f"department {u.code}: parent must be a township, county or city unit")


def _check_acyclic(u: UnitSpec, units: dict[str, UnitSpec]) -> None:
    seen = {u.code}
    parent = u.parent
    while parent is not None:
        if parent in seen:
            raise ValueError(f"unit {u.code}: parent chain loops")
        seen.add(parent)
        parent = units[parent].parent


def _check_user(user: UserSpec, units: dict[str, UnitSpec]) -> None:
    unit = units.get(user.unit)
    if unit is None:
        raise ValueError(f"user {user.id}: unknown unit {user.unit}")
    if unit.tier not in ROLE_TIERS[user.role]:
        raise ValueError(f"user {user.id}: a {user.role.value} cannot belong to a {unit.tier} unit")
    for grid in user.grids:
        if grid not in units or units[grid].tier is not Tier.GRID:
            raise ValueError(f"user {user.id}: {grid} is not a grid unit")


def load_directory(path: Path) -> DirectorySpec:
    """Parse and check a directory JSON file."""
    return DirectorySpec.model_validate_json(path.read_bytes())


def seed(db: Database, spec: DirectorySpec, secret: str) -> dict[str, str]:
    """Upsert units and users (creating tables if needed); returns ``{user_id: token}``.

    Re-seeding the same file changes nothing; a changed file updates names, tiers, parents and
    users in place. Cases already made keep the placement they were given.
    """
    db.create_all()
    tokens = {u.id: make_token(secret, u.id) for u in spec.users}
    with db.orm() as session:
        existing = {u.code: u for u in session.scalars(select(Unit))}
        for s in spec.units:
            unit = existing.get(s.code)
            if unit is None:
                unit = existing[s.code] = Unit(code=s.code)
                session.add(unit)
            unit.name, unit.tier, unit.kind = s.name, s.tier.value, s.kind
        session.flush()  # ids for the parent links
        for s in spec.units:
            existing[s.code].parent_id = existing[s.parent].id if s.parent else None
        users = {u.id: u for u in session.scalars(select(User))}
        for s in spec.users:
            user = users.get(s.id)
            if user is None:
                user = User(id=s.id)
                session.add(user)
            user.name, user.role, user.unit_id = s.name, s.role.value, existing[s.unit].id
            user.grids = list(s.grids)
            user.token_digest = token_digest(tokens[s.id])
    return tokens
