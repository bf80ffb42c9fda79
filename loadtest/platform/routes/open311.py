"""Open311 GeoReport v2 facade (JSON) over the case API, for residents' reports.

Errors here use the spec's format, ``[{"code": 400, "description": "..."}]``; app.py converts
every ApiError raised under /open311/ to it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import Connection, select

from loadtest.platform.auth import Actor, visible
from loadtest.platform.catalog import BY_CODE, SERVICES, ServiceType
from loadtest.platform.context import (
    IdempotencyKey,
    Platform,
    actor_for_token,
    platform_of,
    run_write,
)
from loadtest.platform.directory import Directory
from loadtest.platform.errors import (
    ApiError,
    first_validation_error,
    not_found,
    unauthenticated,
)
from loadtest.platform.models import CASES, Case, RowLike
from loadtest.platform.schemas import CaseReport
from loadtest.platform.states import STATE_LABELS, State
from loadtest.platform.views import iso
from loadtest.platform.workflow import report_case

router = APIRouter(prefix="/open311/v2", tags=["open311"])

MAX_REQUESTS = 1000  # spec: "first 1000 requests returned"
MAX_WINDOW = timedelta(days=90)  # spec: a range "may not span more than 90 days"


def bad_request(description: str) -> ApiError:
    """400 in the spec's sense."""
    return ApiError(400, "bad_request", description)


def _service_view(s: ServiceType) -> dict[str, Any]:
    return {
        "service_code": s.code,
        "service_name": s.name,
        "description": s.description,
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(s.keywords),
        "group": s.group,
    }


def request_view(case: RowLike, directory: Directory) -> dict[str, Any]:
    """A case as a GeoReport v2 service request."""
    state = State(case.state)
    service = BY_CODE.get(case.type)
    return {
        "service_request_id": str(case.id),
        "status": "closed" if state is State.CLOSED else "open",
        "status_notes": f"{STATE_LABELS[state]} ({state.value})",
        "service_name": service.name if service else case.type,
        "service_code": case.type,
        "description": case.description,
        "agency_responsible": directory.by_id[case.holder_id].name,
        "service_notice": service.notice if service else None,
        "requested_datetime": iso(case.reported_at),
        "updated_datetime": iso(case.updated_at),
        "expected_datetime": iso(case.deadline),
        "address": case.address,
        "address_id": case.grid,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": case.media_url,
    }


@router.get("/services.json", summary="GET Service List")
async def services() -> JSONResponse:
    """The case types residents may report."""
    return JSONResponse([_service_view(s) for s in SERVICES])


@router.get("/services/{service_code}.json", summary="GET Service Definition")
async def service_definition(service_code: str) -> JSONResponse:
    """Optional attributes every service takes: the grid and the urgency."""
    if service_code not in BY_CODE:
        raise not_found(f"service_code {service_code}")
    attributes = [
        {
            "variable": True,
            "code": "grid",
            "datatype": "string",
            "required": False,
            "datatype_description": "19-digit grid code (defaults to the reporter's grid)",
            "order": 1,
            "description": "网格编码",
        },
        {
            "variable": True,
            "code": "urgency",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": None,
            "order": 2,
            "description": "紧急程度",
            "values": [{"key": "normal", "name": "一般"}, {"key": "urgent", "name": "紧急"}],
        },
    ]
    return JSONResponse({"service_code": service_code, "attributes": attributes})


async def _form(request: Request) -> dict[str, Any]:
    """The POST body as a flat dict, from form encoding (the spec's) or JSON."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(raw or b"{}")
        except ValueError as exc:
            raise bad_request("body is not valid JSON") from exc
        if not isinstance(data, dict):
            raise bad_request("body must be a JSON object")
        for code, value in (data.pop("attribute", None) or {}).items():
            data[f"attribute[{code}]"] = value
        return data
    return dict(parse_qsl(raw.decode(), keep_blank_values=False))


def _token(request: Request, form_or_query: Any) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    key = form_or_query.get("api_key")
    if not key:
        raise unauthenticated("api_key required")
    return str(key)


def _grid_for(form: dict[str, Any], actor: Actor, directory: Directory) -> str:
    for candidate in (form.get("attribute[grid]"), form.get("address_id")):
        if candidate and directory.place_grid(str(candidate)) is not None:
            return str(candidate)
    if actor.grids:
        return actor.grids[0]
    raise bad_request("cannot place the request in a grid: give attribute[grid] or address_id")


def _report_body(form: dict[str, Any], grid: str) -> CaseReport:
    has_point = form.get("lat") not in (None, "") and form.get("long") not in (None, "")
    if not (has_point or form.get("address_string") or form.get("address_id")):
        raise bad_request("a location is required: lat & long, address_string or address_id")
    name = " ".join(str(form[k]) for k in ("last_name", "first_name") if form.get(k)) or None
    try:
        return CaseReport(
            type=str(form["service_code"]),
            urgency=str(form.get("attribute[urgency]") or "normal"),
            source="open311",
            grid=grid,
            description=form.get("description"),
            location={
                "address": form.get("address_string"),
                "lat": form.get("lat") if has_point else None,
                "lon": form.get("long") if has_point else None,
            },
            reporter={"name": name, "phone": form.get("phone")},
            media_url=form.get("media_url"),
        )
    except ValidationError as exc:
        raise bad_request(first_validation_error(exc.errors())) from exc


@router.post("/requests.json", status_code=201, summary="POST Service Request")
async def post_request(request: Request, key: IdempotencyKey = None) -> JSONResponse:
    """case.report through Open311; ``api_key`` (or a Bearer header) is the reporter's token."""
    platform = platform_of(request)
    form = await _form(request)
    return await platform.run(lambda: _create_request(platform, request, form, key))


def _create_request(
    platform: Platform, request: Request, form: dict[str, Any], key: str | None
) -> JSONResponse:
    actor = actor_for_token(platform, _token(request, form))
    code = form.get("service_code")
    if not code:
        raise bad_request("service_code was not provided")
    if code not in BY_CODE:
        raise not_found(f"service_code {code}")
    directory = platform.registry.directory
    body = _report_body(form, _grid_for(form, actor, directory))

    def work(conn: Connection) -> tuple[int, Any]:
        case, _ = report_case(conn, directory, actor, body)
        notice = BY_CODE[case.type].notice
        return 201, [
            {
                "service_request_id": str(case.id),
                "service_notice": notice,
                "account_id": actor.user_id,
            }
        ]

    return run_write(platform, actor, key, request, work)


def _w3(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise bad_request(f"{name} must be a w3 datetime, e.g. 2010-01-01T00:00:00Z") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@router.get("/requests.json", summary="GET Service Requests")
async def get_requests(request: Request) -> JSONResponse:
    """Visible requests, newest first, at most 1000, within a window of at most 90 days."""
    platform = platform_of(request)
    params = request.query_params
    actor = actor_for_token(platform, _token(request, params))
    stmt = select(CASES).where(visible(actor, Case))
    ids = _csv(params.get("service_request_id"))
    if ids:
        # The spec: service_request_id "overrides all other arguments".
        if not all(i.isdigit() for i in ids):
            raise bad_request("service_request_id must be a comma list of ids")
        stmt = stmt.where(Case.id.in_([int(i) for i in ids]))
    else:
        start, end = (
            _w3("start_date", params.get("start_date")),
            _w3("end_date", params.get("end_date")),
        )
        if start is not None and end is not None and end - start > MAX_WINDOW:
            raise bad_request("start_date..end_date may not span more than 90 days")
        if end is None:
            end = start + MAX_WINDOW if start is not None else datetime.now(UTC)
        if start is None:
            start = end - MAX_WINDOW
        stmt = stmt.where(Case.reported_at >= start, Case.reported_at <= end)
        codes = _csv(params.get("service_code"))
        if codes:
            stmt = stmt.where(Case.type.in_(codes))
        statuses = set(_csv(params.get("status")))
        if not statuses <= {"open", "closed"}:
            raise bad_request("status must be open, closed or both")
        if statuses == {"open"}:
            stmt = stmt.where(Case.state != State.CLOSED.value)
        elif statuses == {"closed"}:
            stmt = stmt.where(Case.state == State.CLOSED.value)
    stmt = stmt.order_by(Case.reported_at.desc(), Case.id.desc()).limit(MAX_REQUESTS)
    directory = platform.registry.directory

    def work() -> JSONResponse:
        with platform.db.read() as conn:
            return JSONResponse([request_view(c, directory) for c in conn.execute(stmt)])

    return await platform.run(work, long=True)


@router.get("/requests/{service_request_id}.json", summary="GET Service Request")
async def get_request(service_request_id: str, request: Request) -> JSONResponse:
    """One visible request, as a one-element list (the spec's shape)."""
    platform = platform_of(request)
    actor = actor_for_token(platform, _token(request, request.query_params))
    if not service_request_id.isdigit():
        raise not_found(f"service_request_id {service_request_id}")
    stmt = select(CASES).where(Case.id == int(service_request_id), visible(actor, Case))

    def work() -> JSONResponse:
        with platform.db.read() as conn:
            case = conn.execute(stmt).first()
            if case is None:
                raise not_found(f"service_request_id {service_request_id}")
            return JSONResponse([request_view(case, platform.registry.directory)])

    return await platform.run(work)
