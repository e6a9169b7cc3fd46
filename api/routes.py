"""The endpoints under /api/v1: catalogue, areas, data, per-metric bulk downloads, health.

Each route reads the request (`api.params`), asks the readout layer for a table
(`readout.publication`: public slices of the disclosure-controlled published table, or the
metric layer's internal values for a token), and answers through `api.answer` (format, ETag,
caching). Public by default; a bearer token for a role gives internal answers.
"""

from __future__ import annotations

import logging
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Header, Path, Query, Request, Response

from api import params
from api.answer import cached, check_size, json_response, make_answer, render, title_of
from api.catalogue import area_entries, metric_entries, metric_entry
from api.context import Access, Warehouse, access, warehouse
from api.formats import FORMATS, negotiate
from api.problems import Problem
from readout.publication import GENDERS, PublicationError, internal_table, public_table

logger = logging.getLogger(__name__)

PREFIX = "/api/v1"
_PROBLEM = {"content": {"application/problem+json": {"schema": {"type": "object", "properties": {
    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
    "instance": {"type": "string"}, "parameter": {"type": "string"}, "value": {}, "allowed": {"type": "array"}}}}}}
router = APIRouter(prefix=PREFIX, responses={
    304: {"description": "Not modified (If-None-Match matched the ETag)"},
    400: {"description": "A bad parameter (problem document naming it)", **_PROBLEM},
    401: {"description": "A bearer token is needed or not valid", **_PROBLEM},
    403: {"description": "The token's role may not read this", **_PROBLEM},
    406: {"description": "No acceptable format", **_PROBLEM},
    413: {"description": "The answer would be too large", **_PROBLEM},
})

Lang = Annotated[str | None, Query(description="fi, sv or en (default: Accept-Language, else the configured default language)")]
Format = Annotated[str | None, Query(description=f"One of {', '.join(FORMATS)} (overrides Accept)")]
Audience = Annotated[str | None, Query(description="public (default without a token) or internal (needs a token)")]
Many = Annotated[list[str] | None, Query()]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


@router.get("/health", summary="Health: the database answers", tags=["service"])
def health(request: Request) -> Response:
    house = warehouse(request)
    try:
        version = house.version()
    except Exception as exc:  # noqa: BLE001 - any database failure is 'unavailable', logged, never shown
        logger.warning("api: health check failed: %s", exc)
        raise Problem(503, "unavailable", "database_unavailable") from None
    return json_response({"status": "ok", "data_version": version})


@router.get("/metrics", summary="The metric catalogue (fi/sv/en texts, unit, direction, source, licence)", tags=["catalogue"])
def metrics(request: Request, lang: Lang = None, audience: Audience = None) -> Response:
    house, who = warehouse(request), access(request, audience)
    version = house.version()
    language = params.language(lang, request.headers.get("accept-language"), house.settings.default_language)
    return cached(request, who, version, "json", language,
                  lambda: json_response({"metrics": metric_entries(house, who, _base(request), version)}))


@router.get("/metrics/{metric_id}", summary="One metric of the catalogue", tags=["catalogue"])
def metric(request: Request, metric_id: Annotated[str, Path(description="Metric id, e.g. unemployment_rate")],
           audience: Audience = None) -> Response:
    house, who = warehouse(request), access(request, audience)
    params.check_metric(metric_id, house.catalog, who)
    return cached(request, who, house.version(), "json", "",
                  lambda: json_response(metric_entry(house, house.catalog.get(metric_id), _base(request))))


@router.get("/areas", summary="Areas: type, validity years, parents, official fi/sv/en names", tags=["catalogue"])
def areas(request: Request, type: Annotated[str | None, Query(description="kunta, maakunta, hyvinvointialue, maa, seutukunta")] = None,
          audience: Audience = None) -> Response:
    house, who = warehouse(request), access(request, audience)
    return cached(request, who, house.version(), "json", "",
                  lambda: json_response({"areas": area_entries(house, who, type)}))


def _latest(table: pd.DataFrame) -> pd.DataFrame:
    """Per metric, the newest period that has a shown value."""
    valued = table[table["value"].notna()]
    if valued.empty:
        return table.iloc[0:0]
    newest = valued.groupby("metric_id")["period"].max()
    return table[table["period"] == table["metric_id"].map(newest)]


@router.get("/data", summary="Values of metrics for areas and periods", tags=["data"])
def data(request: Request, metric: Many = None, area: Many = None,
         period: Annotated[list[str] | None, Query(description="Years or ranges (2005-2011), or 'latest'; default all")] = None,
         compare: Annotated[list[str] | None, Query(description="region, county, finland (internal also pilot, similar)")] = None,
         gender: Annotated[list[str] | None, Query(description="total (default), male, female")] = None,
         format: Format = None, lang: Lang = None, audience: Audience = None,
         accept: Annotated[str | None, Header()] = None) -> Response:
    house, who = warehouse(request), access(request, audience)
    fmt = negotiate(format, accept)
    language = params.language(lang, request.headers.get("accept-language"), house.settings.default_language)
    settings, catalog = house.settings, house.catalog
    metric_ids = params.metric_ids(metric, catalog, who, settings)
    area_frame = house.snapshot().areas
    codes = params.area_codes(area, compare, house.engine, who, settings, area_frame)
    periods, latest = params.periods(period, house.engine, settings)
    genders = params.genders(gender, codes, who, area_frame)

    def build() -> Response:
        table = _table(house, who, metric_ids, codes, periods, genders)
        if latest:
            table = _latest(table)
        check_size(table, settings.api_max_cells)
        answer = make_answer(house, table, who, language, title_of(metric_ids, house, language))
        return render(answer, fmt, str(request.url), {"self": str(request.url)}, "kuntamittari_data", attachment=False)

    return cached(request, who, house.version(), fmt, language, build)


def _table(house: Warehouse, who: Access, metric_ids: list[str], codes: list[str], periods: list[str] | None,
           genders: list[str]) -> pd.DataFrame:
    try:
        if who.internal:
            return internal_table(house.engine, house.catalog, metric_ids, codes, periods, genders)
        return public_table(house.engine, house.catalog, metric_ids, codes, periods, genders)
    except PublicationError as exc:
        raise Problem(400, "invalid-parameter", "not_public", words={"parameter": exc.parameter, "value": exc.value},
                      parameter=exc.parameter, value=exc.value) from None


@router.get("/metrics/{metric_id}/download", summary="Bulk download of one metric: every area and period", tags=["data"])
def download(request: Request, metric_id: Annotated[str, Path(description="Metric id")], format: Format = None,
             lang: Lang = None, audience: Audience = None, accept: Annotated[str | None, Header()] = None) -> Response:
    house, who = warehouse(request), access(request, audience)
    params.check_metric(metric_id, house.catalog, who)
    fmt = negotiate(format, accept, default="csv")
    language = params.language(lang, request.headers.get("accept-language"), house.settings.default_language)

    def build() -> Response:
        if who.internal:
            codes = list(house.snapshot().types)
            table = internal_table(house.engine, house.catalog, [metric_id], codes, None, GENDERS)
        else:
            table = public_table(house.engine, house.catalog, [metric_id], None, None, GENDERS)
        answer = make_answer(house, table, who, language, title_of([metric_id], house, language))
        return render(answer, fmt, str(request.url), {"self": str(request.url)}, f"kuntamittari_{metric_id}",
                      attachment=True)

    return cached(request, who, house.version(), fmt, language, build)
