"""Errors as problem documents (RFC 9457, `application/problem+json`) that name the parameter.

Every 4xx/5xx the API gives is one of these: `type` (a stable URI of the kind of problem under
the API's own docs), `title`, `status`, `detail` (in plain words, naming the parameter and the
bad value), `instance` (the request path) and, for a bad parameter, the extension members
`parameter`, `value` and where useful `allowed`. No traceback and no SQL ever reaches a client.

Only `title` and `detail` are words: they come from the `api_problems` locale domain in the
request's language (`api.language`: `lang=`, else `Accept-Language`, else the configured default),
numbers in them formatted as the pages format them. Every other member is the same in every
language, so a client branches on `type`, `status` and `parameter`, never on the words.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import language
from kuntamittari.i18n import has, t
from readout.formatting import format_integer, format_number

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "/api/v1/docs#problem-"
DOMAIN = "api_problems"


class Problem(Exception):
    """A problem to answer with (raise it anywhere in a route).

    `message` is a key of `api_problems.detail` and `words` its placeholders: the text is made
    when the answer is, in the request's language, so a problem raised before the language is
    read (a bad token, an unknown endpoint) is still in the caller's language.
    """

    def __init__(self, status: int, kind: str, message: str, *, words: Mapping[str, Any] | None = None,
                 parameter: str | None = None, value: Any = None, allowed: list[str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{kind}: {message}")
        self.status = status
        self.kind = kind
        self.message = message
        self.words = dict(words or {})
        self.parameter = parameter
        self.value = value
        self.allowed = allowed
        self.headers = headers or {}

    def title(self, lang: str) -> str:
        key = f"{DOMAIN}.title.{self.status}"
        return t(key if has(key) else f"{DOMAIN}.title.other", lang)

    def detail(self, lang: str) -> str:
        return t(f"{DOMAIN}.detail.{self.message}", lang, **{k: _word(v, lang) for k, v in self.words.items()})

    def document(self, instance: str, lang: str) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": TYPE_BASE + self.kind, "title": self.title(lang), "status": self.status,
            "detail": self.detail(lang), "instance": instance,
        }
        if self.parameter is not None:
            doc["parameter"] = self.parameter
        if self.value is not None:
            doc["value"] = self.value
        if self.allowed:
            doc["allowed"] = self.allowed[:50]
        return doc


def _word(value: Any, lang: str) -> str:
    """A placeholder as text: counts and limits through the project's number formatter."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return format_integer(value, lang) if isinstance(value, int) else format_number(value, lang)


def bad_parameter(parameter: str, value: Any, message: str, *, allowed: list[str] | None = None,
                  kind: str = "invalid-parameter", **words: Any) -> Problem:
    """400 for a parameter that names something unknown or is malformed (`words`: the message's placeholders)."""
    return Problem(400, kind, message, words=words, parameter=parameter, value=value, allowed=allowed)


def _answer(problem: Problem, request: Request) -> JSONResponse:
    lang = language.of_request(request)
    headers = {**problem.headers, "Content-Language": lang, "Vary": "Accept-Language"}
    return JSONResponse(problem.document(request.url.path, lang), status_code=problem.status,
                        media_type=MEDIA_TYPE, headers=headers)


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return _answer(exc, request)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    location = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "header", "body")]
    parameter = ".".join(location) or None
    message, words = ("invalid_value", {"parameter": parameter}) if parameter else ("invalid_request", {})
    return _answer(Problem(400, "invalid-parameter", message, words=words, parameter=parameter,
                           value=first.get("input")), request)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    kinds = {404: "not-found", 405: "method-not-allowed"}
    messages = {404: "no_endpoint", 405: "method_not_allowed"}
    return _answer(Problem(exc.status_code, kinds.get(exc.status_code, "http-error"),
                           messages.get(exc.status_code, "http_error"), words={"status": str(exc.status_code)},
                           headers=dict(exc.headers or {})), request)


async def _on_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("api: unexpected error on %s", request.url.path)
    return _answer(Problem(500, "internal-error", "internal_error"), request)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem document."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_error)
