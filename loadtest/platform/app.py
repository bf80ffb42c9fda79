"""The FastAPI application factory."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from loadtest.platform.auth import Registry
from loadtest.platform.context import ActorDep, Platform
from loadtest.platform.db import DB_URL_ENV, DEFAULT_DB_URL, Database
from loadtest.platform.errors import ApiError, first_validation_error
from loadtest.platform.routes import cases, health, open311, patrols
from loadtest.platform.schemas import MeOut

OPEN311_PREFIX = "/open311/"


def _open311_error(status: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": status, "description": description}], status)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    # One handler for both faces of the platform: Open311 clients expect the spec's list.
    if request.url.path.startswith(OPEN311_PREFIX):
        return _open311_error(exc.status, exc.message)
    return JSONResponse(exc.body(), exc.status)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if request.url.path.startswith(OPEN311_PREFIX):
        return _open311_error(400, first_validation_error(exc.errors()))
    return await request_validation_exception_handler(request, exc)


def create_app(db_url: str = DEFAULT_DB_URL) -> FastAPI:
    """A platform app on ``db_url``; creates missing tables. Close with ``close_app``."""
    db = Database(db_url)
    db.create_all()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        db.dispose()

    app = FastAPI(
        title="gridsim reference case platform",
        version="1.0",
        description="网格化服务管理信息平台 reference implementation; see API.md.",
        lifespan=lifespan,
        # The routers' routes (they carry their prefixes and tags) go straight into the app's
        # own list, the case routes first and the docs after them: `include_router` would nest
        # each router, and match every request against its routes twice, which cost a tenth
        # of a request's CPU.
        routes=[r for module in (cases, patrols, open311, health) for r in module.router.routes],
    )
    app.state.platform = Platform(db, Registry(db))
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)

    @app.get("/api/me", tags=["auth"], response_model=MeOut, summary="the caller")
    async def me(actor: ActorDep) -> MeOut:
        """Who the bearer token belongs to."""
        return MeOut(
            user_id=actor.user_id,
            name=actor.name,
            role=actor.role.value,
            unit=actor.unit.code,
            grids=list(actor.grids),
        )

    return app


def close_app(app: FastAPI) -> None:
    """Release the app's database connections (for callers that skip the lifespan)."""
    platform: Platform = app.state.platform
    platform.db.dispose()


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker serving: the DB URL from the env."""
    return create_app(os.environ.get(DB_URL_ENV, DEFAULT_DB_URL))
