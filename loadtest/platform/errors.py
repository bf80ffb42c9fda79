"""Errors a request can end in, carrying the HTTP status and the JSON body to send."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class ApiError(Exception):
    """An error answered as ``{"error": code, "message": message, **extra}``."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body of the error response."""
        return {"error": self.code, "message": self.message, **self.extra}


def unauthenticated(message: str = "missing or unknown bearer token") -> ApiError:
    """401: no usable credentials."""
    return ApiError(401, "unauthenticated", message)


def forbidden(message: str) -> ApiError:
    """403: the object is visible but the actor may not do this to it."""
    return ApiError(403, "forbidden", message)


def not_found(what: str) -> ApiError:
    """404: absent or not visible to the actor (the two are indistinguishable on purpose)."""
    return ApiError(404, "not_found", f"{what} not found")


def conflict(code: str, message: str, **extra: Any) -> ApiError:
    """409: the request is well-formed but the object's state does not allow it."""
    return ApiError(409, code, message, **extra)


def unprocessable(message: str) -> ApiError:
    """422: a well-formed body that names something that does not exist or does not fit."""
    return ApiError(422, "unprocessable", message)


def first_validation_error(errors: Sequence[Any]) -> str:
    """'where: what' for the first of pydantic's/FastAPI's validation errors (Open311 wants one
    line, not FastAPI's list)."""
    if not errors:
        return "invalid request"
    first = errors[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
