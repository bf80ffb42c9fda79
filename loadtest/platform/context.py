"""Per-app state and the request dependencies every route shares: platform, actor, writes.

`run_write` is the one place a write request's transaction is opened; it also implements
Idempotency-Key (stored in the database in the same transaction as the work it remembers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy import Connection, Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from loadtest.platform.auth import Actor, Registry
from loadtest.platform.db import Database, Prepared
from loadtest.platform.errors import ApiError, conflict, not_found, unauthenticated
from loadtest.platform.models import IDEMPOTENCY_KEYS, Case, Patrol, Record, Visit

REPLAYED_HEADER = "Idempotent-Replayed"
T = TypeVar("T")


@dataclass(frozen=True)
class Platform:
    """What one app instance runs on."""

    db: Database
    registry: Registry

    async def run(self, work: Callable[[], T], *, long: bool = False) -> T:
        """Run blocking database work: inline for SQLite, on the threadpool otherwise.

        A SQLite request is CPU-bound and takes well under a millisecond (WAL with
        synchronous=NORMAL does not fsync per commit), so a thread hop would cost more than it
        saves and add GIL contention; a network database's round trips must not block the loop.
        ``long`` work (lists of up to 1000 rows) always goes to the threadpool, so that the
        interpreter's thread switching lets short requests through meanwhile.
        """
        if self.db.is_sqlite and not long:
            return work()
        return await run_in_threadpool(work)


def platform_of(request: Request) -> Platform:
    """The platform of the app serving ``request``.

    A plain call rather than a FastAPI dependency: resolving a dependency costs more per
    request than the request's own SQL statements, and routes need the request anyway.
    """
    platform: Platform = request.app.state.platform
    return platform


class BearerActor(HTTPBearer):
    """The caller named by the bearer token; 401 without a known one.

    The only dependency a route has (rather than platform → credentials → actor), for the
    same reason as `platform_of`; as an HTTPBearer it still documents the security scheme in
    OpenAPI. ``__call__`` is `async def` on purpose: FastAPI runs sync dependencies on the
    threadpool, one thread hop each.
    """

    async def __call__(self, request: Request) -> Actor:  # type: ignore[override]
        """The actor for the request's ``Authorization: Bearer`` token."""
        # HTTPBearer's own parsing, without the credentials model it would build.
        scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
        if scheme.lower() != "bearer" or not token:
            raise unauthenticated()
        return actor_for_token(platform_of(request), token)


def actor_for_token(platform: Platform, token: str) -> Actor:
    """The actor for a raw token; 401 if unknown."""
    # A cache hit costs nothing; a miss reads one user row (once per token and app).
    actor = platform.registry.actor(token)
    if actor is None:
        raise unauthenticated()
    return actor


ActorDep = Annotated[
    Actor,
    Depends(
        BearerActor(
            scheme_name="HTTPBearer",
            auto_error=False,
            description="token from `gridsim platform seed`",
        )
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retry-safe key: a repeat returns the first response unchanged.",
    ),
]


# A row reference from a URL: (column, value), e.g. ("id", 17) or ("external_id", "C000042").
Ref = tuple[str, int | str]


def parse_ref(ref: str, what: str) -> Ref:
    """A path reference: a numeric id, or ``ext:<external_id>``; anything else is a 404."""
    if ref.startswith("ext:"):
        return ("external_id", ref[4:])
    if ref.isdigit():
        return ("id", int(ref))
    raise not_found(what)


@cache  # one prepared statement per model
def _external_id_owner(model: type[Case] | type[Patrol] | type[Visit]) -> Prepared:
    return Prepared(select(model.id).where(model.external_id == bindparam("external_id")))


def check_new_external_id(
    conn: Connection, model: type[Case] | type[Patrol] | type[Visit], external_id: str | None
) -> None:
    """409 if another row of ``model`` already has ``external_id`` (client ids are unique)."""
    if external_id is None:
        return
    existing = _external_id_owner(model).first(conn, {"external_id": external_id})
    if existing is not None:
        raise conflict("duplicate_external_id", f"{external_id!r} exists", id=existing.id)


@cache  # one prepared statement per table
def _inserter(into: Table) -> Prepared:
    return Prepared(insert(into).returning(into.c.id))


def insert_record(conn: Connection, into: Table, values: dict[str, Any]) -> Record:
    """Insert one row; returns it, with its new id, as a Record."""
    inserted = _inserter(into).first(conn, values)
    assert inserted is not None  # RETURNING answers with the row inserted
    return Record({"id": inserted.id, **values})


Work = Callable[[Connection], tuple[int, Any]]


_K = IDEMPOTENCY_KEYS.c
_STORED_ANSWER = Prepared(
    select(_K.method, _K.path, _K.status_code, _K.body).where(
        _K.user_id == bindparam("user_id"), _K.key == bindparam("key")
    )
)


def _lookup(conn: Connection, user_id: str, key: str) -> Record | None:
    return _STORED_ANSWER.first(conn, {"user_id": user_id, "key": key})


def _replay(record: Record, method: str, path: str) -> JSONResponse:
    if (record.method, record.path) != (method, path):
        raise ApiError(
            422,
            "idempotency_key_reused",
            f"Idempotency-Key was first used for {record.method} {record.path}",
        )
    return JSONResponse(record.body, record.status_code, headers={REPLAYED_HEADER: "true"})


def run_write(
    platform: Platform, actor: Actor, key: str | None, request: Request, work: Work
) -> JSONResponse:
    """Run ``work`` in one write transaction, or replay the answer stored under ``key``.

    Only successful answers are stored: an error rolls the transaction back, key and all, so a
    retry is judged afresh.
    """
    # The path as routed (`request.url.path` would build a whole URL object to give it back).
    method, path = request.method, request.scope["path"]
    try:
        with platform.db.write() as conn:
            if key is not None:
                stored = _lookup(conn, actor.user_id, key)
                if stored is not None:
                    return _replay(stored, method, path)
            status, body = work(conn)
            if key is not None:
                insert_record(
                    conn,
                    IDEMPOTENCY_KEYS,
                    {
                        "user_id": actor.user_id,
                        "key": key,
                        "method": method,
                        "path": path,
                        "status_code": status,
                        "body": body,
                        "created_at": datetime.now(UTC),
                    },
                )
    except IntegrityError as exc:
        # On PostgreSQL two requests can race past the lookup; the loser's unique key insert
        # fails, and it answers as the winner did.
        if key is not None:
            with platform.db.read() as conn:
                stored = _lookup(conn, actor.user_id, key)
            if stored is not None:
                return _replay(stored, method, path)
        raise conflict("conflict", "a concurrent request changed the same data; retry") from exc
    return JSONResponse(body, status)
