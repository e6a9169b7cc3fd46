"""Kuntamittari's read-only HTTP API: `create_app()` for uvicorn (`kuntamittari serve-api`).

A surface like the pages and the command line: it reads the same readout and metric layer, so
a number has the same value, status and provenance in the API as on the public pages. It runs
as its own stateless process against the configured database URL (SQLite file or
PostgreSQL), so any number of replicas can serve behind a load balancer. See docs/api.md.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, RedirectResponse

from api import problems
from api.context import Warehouse
from api.docs import docs_html
from api.routes import PREFIX, router
from kuntamittari.settings import Settings, get_settings
from metrics.disclosure_publication import publication_context

logger = logging.getLogger(__name__)

DESCRIPTION = """Open data of Kuntamittari, the welfare-indicator service of Finnish municipalities.

Public by default: approved metrics only, with the public pages' disclosure control (small
counts and the figures they could be derived from are hidden, status `too_few`). Internal data
needs `Authorization: Bearer <token>`. Formats by `?format=` or `Accept`: JSON, JSON-stat 2.0,
CSV, Finnish-Excel CSV (`csv-fi`), Excel, Parquet and Frictionless Data Package. Errors are
RFC 9457 problem documents naming the parameter, worded in the
request's language (`lang`, else `Accept-Language`). Every answer carries an ETag
(`If-None-Match` gives 304 while the data is unchanged)."""


def _warm_up(house: Warehouse) -> None:
    """Decide the publication's disclosure once before the first public answer needs it (a few
    seconds of queries on a full database); a request arriving meanwhile waits for the same work."""
    try:
        publication_context(house.engine, house.catalog)
    except Exception:  # noqa: BLE001 - the first request retries and reports
        logger.exception("api: warming up the disclosure decisions failed")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    threading.Thread(target=_warm_up, args=(app.state.warehouse,), name="api-warm-up", daemon=True).start()
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app (uvicorn: `api.app:create_app` with `--factory`)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Kuntamittari API", version="1", description=DESCRIPTION, lifespan=_lifespan,
        openapi_url=f"{PREFIX}/openapi.json", docs_url=None, redoc_url=None,
        license_info={"name": "Data: the licence of each source (CC BY 4.0 for THL and Statistics Finland)"},
    )
    app.state.warehouse = Warehouse(settings)
    # Open data: any web page may read it (GET only; no cookies, so no credentials to protect).
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET"],
                       allow_headers=["Authorization", "Accept", "Accept-Language", "If-None-Match"],
                       expose_headers=["ETag", "Content-Disposition"])
    problems.install(app)
    app.include_router(router)

    default_openapi = app.openapi

    def openapi() -> dict:
        """FastAPI's description without its 422 answers: invalid input is a 400 problem here."""
        if app.openapi_schema is None:
            spec = default_openapi()
            for operations in spec.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get(f"{PREFIX}/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs(request: Request) -> HTMLResponse:
        return HTMLResponse(docs_html(app.openapi(), str(request.base_url).rstrip("/")))

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/docs")

    return app
