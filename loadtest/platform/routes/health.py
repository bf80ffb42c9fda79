"""Liveness: is the database reachable."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from loadtest.platform.context import platform_of

router = APIRouter(tags=["health"])


@router.get("/health", summary="health check (database reachable)")
async def health(request: Request) -> JSONResponse:
    """200 when a trivial query succeeds, 503 otherwise."""
    platform = platform_of(request)
    try:
        await platform.run(platform.db.ping)
    except SQLAlchemyError as exc:
        return JSONResponse({"status": "error", "db": type(exc).__name__}, 503)
    return JSONResponse({"status": "ok", "db": "ok"})
