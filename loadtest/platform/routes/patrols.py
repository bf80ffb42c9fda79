"""Field work: patrols with check-ins, and door visits (001 五.1)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, update

from loadtest.platform.auth import Actor, lookup
from loadtest.platform.context import (
    ActorDep,
    IdempotencyKey,
    check_new_external_id,
    insert_record,
    parse_ref,
    platform_of,
    run_write,
)
from loadtest.platform.directory import Directory, Placement
from loadtest.platform.errors import conflict, forbidden, not_found, unprocessable
from loadtest.platform.models import CHECKINS, PATROLS, VISITS, Patrol, Record, Visit
from loadtest.platform.schemas import (
    ERROR_RESPONSES,
    CheckinBody,
    CheckinOut,
    PatrolEnd,
    PatrolOut,
    PatrolStart,
    VisitOut,
    VisitRecord,
)
from loadtest.platform.states import GRID_ROLES
from loadtest.platform.views import checkin_view, patrol_view, visit_view
from loadtest.platform.workflow import event_time

router = APIRouter(prefix="/api", tags=["field work"])


def _worker_placement(directory: Directory, actor: Actor, grid: str) -> Placement:
    """The grid's placement, if the actor is a grid worker covering it."""
    if actor.role not in GRID_ROLES:
        raise forbidden("only grid workers patrol and visit")
    placement = directory.place_grid(grid)
    if placement is None:
        raise unprocessable(f"unknown grid {grid!r}")
    if grid not in actor.grids:
        raise forbidden(f"the caller does not cover grid {grid}")
    return placement


def _own_patrol(conn: Connection, actor: Actor, ref: str) -> Record:
    """The caller's ongoing patrol, locked for update; 404 if invisible, 403 if someone else's,
    409 if it has ended."""
    column, value = parse_ref(ref, "patrol")
    patrol = lookup(actor, Patrol, column, for_update=True).first(conn, {"ref": value})
    if patrol is None:
        raise not_found("patrol")
    if patrol.user_id != actor.user_id:
        raise forbidden("only the patrolling worker may check in or end a patrol")
    if patrol.ended_at is not None:
        raise conflict("patrol_ended", "the patrol has ended")
    return patrol


async def _create_field_record(actor: Any, key: str | None, request: Request,
                               body: Any, model: Any, table: Any, view: Any,
                               fields: dict[str, Any]) -> JSONResponse:
    """Create a patrol or a visit in one of the caller's grids (idempotent, one transaction)."""
    platform = platform_of(request)
    placement = _worker_placement(platform.registry.directory, actor, body.grid)

    def work(conn: Connection) -> tuple[int, Any]:
        check_new_external_id(conn, model, body.external_id)
        values = {"external_id": body.external_id, "user_id": actor.user_id,
                  **placement.columns(), **fields}
        return 201, view(insert_record(conn, table, values))

    return await platform.run(lambda: run_write(platform, actor, key, request, work))


@router.post(
    "/patrols",
    status_code=201,
    summary="patrol.start",
    responses={201: {"model": PatrolOut}, **ERROR_RESPONSES},
)
async def start_patrol(
    body: PatrolStart,
    request: Request,
    actor: ActorDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Start a patrol of one of the caller's grids."""
    return await _create_field_record(
        actor, key, request, body, Patrol, PATROLS, patrol_view,
        {"started_at": event_time(body.at), "ended_at": None, "checkin_count": 0})


@router.post(
    "/patrols/{ref}/checkins",
    status_code=201,
    summary="patrol.checkin",
    responses={201: {"model": CheckinOut}, **ERROR_RESPONSES},
)
async def checkin(
    ref: str,
    body: CheckinBody,
    request: Request,
    actor: ActorDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a point of an ongoing patrol."""
    platform = platform_of(request)

    def work(conn: Connection) -> tuple[int, Any]:
        patrol = _own_patrol(conn, actor, ref)
        values = {
            "patrol_id": patrol.id,
            "at": event_time(body.at),
            "lat": body.lat,
            "lon": body.lon,
            "note": body.note,
        }
        point = insert_record(conn, CHECKINS, values)
        conn.execute(
            update(PATROLS)
            .where(PATROLS.c.id == patrol.id)
            .values(checkin_count=PATROLS.c.checkin_count + 1)
        )
        return 201, checkin_view(point)

    return await platform.run(lambda: run_write(platform, actor, key, request, work))


@router.post(
    "/patrols/{ref}/end",
    summary="patrol.end",
    responses={200: {"model": PatrolOut}, **ERROR_RESPONSES},
)
async def end_patrol(
    ref: str,
    body: PatrolEnd,
    request: Request,
    actor: ActorDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """End an ongoing patrol."""
    platform = platform_of(request)

    def work(conn: Connection) -> tuple[int, Any]:
        patrol = _own_patrol(conn, actor, ref)
        patrol.ended_at = event_time(body.at)
        conn.execute(update(PATROLS).where(PATROLS.c.id == patrol.id).values(patrol.changes()))
        return 200, patrol_view(patrol)

    return await platform.run(lambda: run_write(platform, actor, key, request, work))


@router.get(
    "/patrols/{ref}", summary="a patrol", responses={200: {"model": PatrolOut}, **ERROR_RESPONSES}
)
async def get_patrol(ref: str, request: Request, actor: ActorDep) -> JSONResponse:
    """One visible patrol by id or ``ext:<external_id>``."""
    platform = platform_of(request)
    column, value = parse_ref(ref, "patrol")

    def work() -> JSONResponse:
        with platform.db.read() as conn:
            patrol = lookup(actor, Patrol, column).first(conn, {"ref": value})
            if patrol is None:
                raise not_found("patrol")
            return JSONResponse(patrol_view(patrol))

    return await platform.run(work)


@router.post(
    "/visits",
    status_code=201,
    summary="visit.record",
    responses={201: {"model": VisitOut}, **ERROR_RESPONSES},
)
async def record_visit(
    body: VisitRecord,
    request: Request,
    actor: ActorDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a door visit in one of the caller's grids."""
    return await _create_field_record(
        actor, key, request, body, Visit, VISITS, visit_view,
        {"at": event_time(body.at), "kind": body.kind, "household": body.household,
         "notes": body.notes})
