"""Tokens, the caller, what it may see (002 第二十条 tiered access), how it stands to a case."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, false, literal, or_, select

from loadtest.platform.db import Database, Prepared
from loadtest.platform.directory import Directory, UnitInfo
from loadtest.platform.models import USERS, Case, CaseHolder, Patrol, Record, Visit, table
from loadtest.platform.states import CENTRE_ROLES, GRID_ROLES, Relation, Role

SECRET_ENV = "GRIDSIM_PLATFORM_SECRET"
# A fixed default so that the same directory always yields the same tokens on a dev machine;
# anything facing more than loopback should set GRIDSIM_PLATFORM_SECRET.
DEFAULT_SECRET = "gridsim-reference-platform-dev-secret"


def make_token(secret: str, user_id: str) -> str:
    """The user's bearer token: HMAC-SHA256(secret, user id), hex."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def token_digest(token: str) -> str:
    """What the database keeps instead of the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller."""

    user_id: str
    name: str
    role: Role
    unit: UnitInfo
    grids: tuple[str, ...]  # in directory order: a resident's first grid is their home
    grid_unit_ids: frozenset[int]

    def acts_for(self, unit_id: int) -> bool:
        """Whether the actor works for ``unit_id`` (a grid worker works for each grid it covers)."""
        return unit_id == self.unit.id or unit_id in self.grid_unit_ids


class Registry:
    """Directory snapshot and token → actor cache, shared by all requests of one app."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._directory: Directory | None = None
        self._actors: dict[str, Actor] = {}

    @property
    def directory(self) -> Directory:
        """The unit tree, loaded on first use."""
        directory = self._directory
        if directory is None:
            directory = self.reload()
        return directory

    def reload(self) -> Directory:
        """Re-read units (after seeding) and forget cached actors."""
        with self._lock, self._db.read() as conn:
            self._directory = Directory.load(conn)
            self._actors = {}
            return self._directory

    def actor(self, token: str) -> Actor | None:
        """The actor a bearer token belongs to, or None."""
        digest = token_digest(token)
        cached = self._actors.get(digest)
        if cached is not None:
            return cached
        with self._db.read() as conn:
            user = conn.execute(select(USERS).where(USERS.c.token_digest == digest)).first()
        if user is None:
            return None
        directory = self.directory
        if user.unit_id not in directory.by_id:
            directory = self.reload()
        role = Role(user.role)
        # Only grid roles work for the grids they list; a resident's grid is just their home.
        grid_ids = frozenset(
            directory.by_code[g].id
            for g in user.grids
            if g in directory.by_code and role in GRID_ROLES
        )
        actor = Actor(
            user.id, user.name, role, directory.by_id[user.unit_id], tuple(user.grids), grid_ids
        )
        self._actors[digest] = actor
        return actor


_CENTRE_SCOPE = {
    Role.TOWNSHIP_STAFF: "township_id",
    Role.COUNTY_STAFF: "county_id",
    Role.CITY_STAFF: "city_id",
}


@lru_cache(maxsize=4096)  # SQL expressions are immutable; built once per actor and model
def visible(actor: Actor, model: type[Case] | type[Patrol] | type[Visit]) -> ColumnElement[bool]:
    """SQL condition: rows of ``model`` the actor may see. Used for lists and single reads alike.

    Staff see their territory, and any case their unit has been handed, even from outside it
    (a county may assign a case to a neighbouring township; a department sees what it was
    dispatched). Residents see their own reports.
    """
    if model is Case and actor.role is Role.RESIDENT:
        return Case.reported_by == actor.user_id
    scope = _CENTRE_SCOPE.get(actor.role)
    if scope is not None:
        territory = getattr(model, scope) == actor.unit.id
    elif actor.role in GRID_ROLES and actor.grids:
        territory = _one_of(model.grid, actor.grids)
    else:
        territory = false()
    if model is not Case:
        return territory
    return or_(territory, _held_by({actor.unit.id, *actor.grid_unit_ids}))


def _held_by(unit_ids: set[int]) -> ColumnElement[bool]:
    """Cases that any of ``unit_ids`` has held.

    A correlated EXISTS probes the (case_id, unit_id) primary key once per candidate case; an
    IN (subquery) would collect every case the unit ever held, on every read.
    """
    return (
        select(CaseHolder.case_id)
        .where(CaseHolder.case_id == Case.id, _one_of(CaseHolder.unit_id, unit_ids))
        .exists()
    )


def _one_of(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN (...)`` with one bound parameter per value.

    A plain IN list is an "expanding" parameter that SQLAlchemy renders anew for every
    execution; separate parameters are compiled once, as a `Prepared` statement needs.
    """
    return column.in_([literal(v, column.type) for v in sorted(values)])


@lru_cache(maxsize=4096)
def lookup(
    actor: Actor, model: type[Case] | type[Patrol], column: str, *, for_update: bool = False
) -> Prepared:
    """SELECT one row of ``model`` by ``column = :ref``, if the actor may see it.

    Built once per actor (and compiled once per shape, see `Prepared`): SQLAlchemy would
    otherwise derive a cache key from the statement's whole tree (here with the visibility
    subquery) on every execution, which costs more than running the query.
    """
    columns = table(model)
    stmt = select(columns).where(columns.c[column] == bindparam("ref"), visible(actor, model))
    return Prepared(stmt.with_for_update() if for_update else stmt)


def relations(actor: Actor, case: Record, directory: Directory) -> set[Relation]:
    """How the actor stands to ``case`` (see states.Relation)."""
    out: set[Relation] = set()
    if actor.role is Role.RESIDENT:
        return out
    if actor.acts_for(case.holder_id):
        out.add(Relation.HOLDER)
    if actor.role in GRID_ROLES and case.grid in actor.grids:
        out.add(Relation.LINE)
    if actor.role in CENTRE_ROLES:
        if actor.unit.id in (case.township_id, case.county_id, case.city_id):
            out.add(Relation.LINE)
        if (
            actor.unit.id == case.sender_id
            or directory.is_strictly_above(actor.unit.id, case.holder_id)
            or (Relation.HOLDER in out and directory.centre_above(case.holder_id) is None)
        ):
            out.add(Relation.OVERSEER)
    return out
