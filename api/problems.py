"""Errors as problem documents (RFC 9457, `application/problem+json`) that name the parameter.

Every 4xx/5xx the API gives is one of these: `type` (a stable URI of the kind of problem under
the API's own docs), `title`, `status`, `detail` (in plain words, naming the parameter and the
bad value), `instance` (the request path) and, for a bad parameter, the extension members
`parameter`, `value` and where useful `allowed`. No traceback and no SQL ever reaches a client.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "/api/v1/docs#problem-"
TITLES = {
    400: "Bad request", 401: "Authentication needed", 403: "Not allowed", 404: "Not found",
    405: "Method not allowed", 406: "Not acceptable", 413: "Answer too large", 500: "Internal error",
    503: "Service unavailable",
}


class Problem(Exception):
    """A problem to answer with (raise it anywhere in a route)."""

    def __init__(self, status: int, kind: str, detail: str, *, parameter: str | None = None, value: Any = None,
                 allowed: list[str] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.parameter = parameter
        self.value = value
        self.allowed = allowed
        self.headers = headers or {}

    def document(self, instance: str) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": TYPE_BASE + self.kind, "title": TITLES.get(self.status, "Error"), "status": self.status,
            "detail": self.detail, "instance": instance,
        }
        if self.parameter is not None:
            doc["parameter"] = self.parameter
        if self.value is not None:
            doc["value"] = self.value
        if self.allowed:
            doc["allowed"] = self.allowed[:50]
        return doc


def bad_parameter(parameter: str, value: Any, detail: str, *, allowed: list[str] | None = None,
                  kind: str = "invalid-parameter") -> Problem:
    """400 for a parameter that names something unknown or is malformed."""
    return Problem(400, kind, detail, parameter=parameter, value=value, allowed=allowed)


def _answer(problem: Problem, request: Request) -> JSONResponse:
    return JSONResponse(problem.document(request.url.path), status_code=problem.status,
                        media_type=MEDIA_TYPE, headers=problem.headers)


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return _answer(exc, request)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    location = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "header", "body")]
    parameter = ".".join(location) or None
    detail = f"parameter '{parameter}': {first.get('msg', 'invalid value')}" if parameter else str(first.get("msg", "invalid request"))
    return _answer(Problem(400, "invalid-parameter", detail, parameter=parameter, value=first.get("input")), request)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    kinds = {404: "not-found", 405: "method-not-allowed"}
    detail = "no such endpoint; see /api/v1/docs" if exc.status_code == 404 else str(exc.detail)
    return _answer(Problem(exc.status_code, kinds.get(exc.status_code, "http-error"), detail,
                           headers=dict(exc.headers or {})), request)


async def _on_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("api: unexpected error on %s", request.url.path)
    return _answer(Problem(500, "internal-error", "the server could not answer; the error is logged"), request)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem document."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_error)
