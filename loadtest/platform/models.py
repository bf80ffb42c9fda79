"""The schema, declared as typed ORM models: directory (units, users), cases and their archive,
patrols, visits, idempotency keys.

Request handlers read and write these tables with SQLAlchemy Core (`TABLE` aliases, `Record`):
the ORM's unit of work cost several times the SQL itself per request, and the platform's writes
are a handful of single-row statements that need none of it.

Cases, patrols and visits carry their grid's township, county and city ids (fixed when the
row is made, since grids do not move) so that tiered visibility is one indexed equality.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Row,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, naive UTC in the database (same on SQLite and PG)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store as naive UTC; naive inputs are taken to be UTC already."""
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as aware UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base for every platform table."""

    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 - SQLAlchemy reads it as a class attr
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Unit(Base):
    """A node of the jurisdiction tree: city, county, township, community, grid or department."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str | None] = mapped_column(String(64))


class User(Base):
    """A platform user; only the SHA-256 of its token is kept."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    grids: Mapped[list[str]] = mapped_column(default=list)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)


class Territory:
    """Columns placing a row in the jurisdiction tree, for scoped queries."""

    grid: Mapped[str] = mapped_column(String(32), index=True)
    grid_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    county_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    city_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)


class Case(Territory, Base):
    """A case (事项) and where it stands now; its history is in `AuditEvent`."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    subtype: Mapped[str | None] = mapped_column(String(64))
    urgency: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(500))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    media_url: Mapped[str | None] = mapped_column(String(1000))
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_phone: Mapped[str | None] = mapped_column(String(64))
    reported_by: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # The current assignment, denormalised: who sent it (None for an acceptance) and its deadline.
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    deadline: Mapped[datetime | None]
    supervision: Mapped[str | None] = mapped_column(String(8))
    reported_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    event_count: Mapped[int] = mapped_column(default=0)
    # Optimistic locking: every update says `WHERE version = <read>` and bumps it, so a
    # concurrent transition on the same case fails instead of silently losing one.
    version: Mapped[int] = mapped_column(default=1)

    __table_args__ = (Index("ix_cases_reported_at", "reported_at"),)


class Assignment(Base):
    """One hand-over of a case (accept, dispatch, escalate, assign down) with its deadline.

    A case's active assignments form a stack, newest on top: a return deactivates the top one,
    and the one below (whoever sent the case to the returner) is current again.
    """

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    op: Mapped[str] = mapped_column(String(24))
    from_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    deadline: Mapped[datetime | None]
    at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(default=True)


class CaseHolder(Base):
    """A unit that has held a case after it was reported: a department sees what it was given,
    and a grid worker sees a case assigned to its grid from a neighbouring grid."""

    __tablename__ = "case_holders"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)


class AuditEvent(Base):
    """One row of a case's electronic archive (001 五.4): who did what, when, from and to."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int]
    op: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    actor_user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(32))
    actor_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    holder_before_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    holder_after_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_audit_case_seq"),)


class Patrol(Territory, Base):
    """A grid worker's patrol of one grid (001 五.1)."""

    __tablename__ = "patrols"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    checkin_count: Mapped[int] = mapped_column(default=0)


class Checkin(Base):
    """A point visited during a patrol."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrols.id"), index=True)
    at: Mapped[datetime]
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(500))


class Visit(Territory, Base):
    """A door visit (入户走访) to a household."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(64))
    household: Mapped[str | None] = mapped_column(String(128))
    notes: Mapped[str | None] = mapped_column(Text)


class IdempotencyRecord(Base):
    """The response first given to a (user, Idempotency-Key), replayed on a retry."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(300))
    status_code: Mapped[int]
    body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)


def table(model: type[Base]) -> Table:
    """The Core table of a model."""
    return cast(Table, model.__table__)


CASES = table(Case)
ASSIGNMENTS = table(Assignment)
CASE_HOLDERS = table(CaseHolder)
AUDIT_EVENTS = table(AuditEvent)
PATROLS = table(Patrol)
CHECKINS = table(Checkin)
VISITS = table(Visit)
USERS = table(User)
IDEMPOTENCY_KEYS = table(IdempotencyRecord)


class Record:
    """A row read or written with Core: its columns as attributes (like an ORM object), and
    the columns changed since it was read."""

    def __init__(self, columns: Mapping[str, Any]) -> None:
        self.__dict__.update(columns)
        self._loaded = dict(columns)

    def __getattr__(self, name: str) -> Any:
        """Only reached for a column the row does not have."""
        raise AttributeError(name)

    def changes(self) -> dict[str, Any]:
        """Columns whose value differs from what was read."""
        return {k: v for k, v in vars(self).items() if k in self._loaded and v != self._loaded[k]}


# A row as read (Core result row) or as written (Record): columns as attributes either way.
RowLike = Record | Row[Any]
