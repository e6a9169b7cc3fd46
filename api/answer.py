"""From a checked request to the HTTP response: the table, its format, ETag and caching headers.

An answer depends only on the request (path, query, format, language), the caller's access
level and the data version (load batches, area dimension, catalogue content), so its ETag is a
hash of those and is known before any value is read: a client polling with `If-None-Match`
gets `304 Not Modified` for the cost of one small query. ETags are weak (`W/"…"`): the bytes
carry a generation time, the content is the same. Public answers may be cached by shared caches
for a few minutes; internal ones only privately, and vary with the Authorization header.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
from cachetools import LRUCache
from fastapi import Request, Response

from api.context import Access, Warehouse
from api.datapackage import datapackage_zip
from api.formats import EXTENSIONS, FORMATS, Answer, json_document, render_table
from api.jsonstat import jsonstat_dataset
from api.problems import Problem
from kuntamittari.i18n import t
from readout.provenance import frame_provenance
from readout.text import text_plain

PUBLIC_MAX_AGE = 300
#: Public answers kept in memory per process, by ETag: at most this many bytes in all, and no
#: single answer larger than MAX_KEPT_BYTES.
KEPT_BYTES = 64 * 1024 * 1024
MAX_KEPT_BYTES = 8 * 1024 * 1024

_lock = threading.Lock()
_answers: LRUCache = LRUCache(maxsize=KEPT_BYTES, getsizeof=lambda entry: len(entry[0]) + 200)


def etag_for(request: Request, access: Access, version: str, fmt: str, lang: str) -> str:
    query = sorted((k, v) for k, v in request.query_params.multi_items() if k != "format")
    key = json.dumps([version, access.level, request.url.path, query, fmt, lang])
    return 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def _matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = [tag.strip() for tag in header.split(",")]
    bare = etag.removeprefix("W/")
    return "*" in tags or any(tag.removeprefix("W/") == bare for tag in tags)


def caching_headers(access: Access, etag: str) -> dict[str, str]:
    headers = {"ETag": etag, "Vary": "Accept, Accept-Language, Authorization"}
    headers["Cache-Control"] = (f"public, max-age={PUBLIC_MAX_AGE}" if not access.internal
                                else "private, no-cache")
    return headers


def cached(request: Request, access: Access, version: str, fmt: str, lang: str,
           build: Callable[[], Response]) -> Response:
    """304 when the client's ETag is current, else `build()` with ETag and cache headers.

    Public answers are also kept by ETag (bounded by bytes): the same public question asked again
    in this data version, by anyone, is answered from memory (bulk downloads above all)."""
    etag = etag_for(request, access, version, fmt, lang)
    headers = caching_headers(access, etag)
    if _matches(request, etag):
        return Response(status_code=304, headers=headers)
    if not access.internal:
        with _lock:
            hit = _answers.get(etag)
        if hit is not None:
            body, media_type, extra = hit
            return Response(body, media_type=media_type, headers={**extra, **headers})
    response = build()
    if not access.internal and len(response.body) <= MAX_KEPT_BYTES:
        extra = {k: v for k, v in response.headers.items() if k.lower() in ("content-disposition", "content-language")}
        with _lock:
            _answers[etag] = (bytes(response.body), response.media_type, extra)
    response.headers.update(headers)
    return response


def json_response(document: Any, media_type: str = "application/json") -> Response:
    body = json.dumps(document, ensure_ascii=False, allow_nan=False, default=str).encode("utf-8")
    return Response(body, media_type=media_type)


def make_answer(house: Warehouse, table: pd.DataFrame, access: Access, lang: str, title: str) -> Answer:
    """The table with what every format needs (words, area names, provenance of its batches)."""
    catalog, snapshot = house.catalog, house.snapshot()
    batches = snapshot.batches
    audience = "internal" if access.internal else "public"
    min_counts = [int(catalog.get(m).min_count) for m in dict.fromkeys(table["metric_id"].astype(str))]
    provenance = frame_provenance(table, batches, audience=audience, title=title, min_counts=min_counts)
    used = batches[batches["batch_id"].isin(provenance.batch_ids)] if not batches.empty else batches
    return Answer(table, catalog, snapshot.names, snapshot.types, provenance, lang, title, audience, used)


def check_size(table: pd.DataFrame, limit: int) -> None:
    cube = 1
    for column in ("metric_id", "area_code", "period", "gender"):
        cube *= max(1, table[column].nunique())
    if len(table) > limit or cube > limit:
        raise Problem(413, "too-large", "too_large", words={"cells": max(len(table), cube), "limit": limit})


def render(answer: Answer, fmt: str, href: str, links: Mapping[str, str], stem: str, attachment: bool) -> Response:
    """The answer in `fmt` as a response (downloads named `stem.<ext>`)."""
    if fmt == "json":
        response = json_response(json_document(answer, links))
    elif fmt == "jsonstat":
        response = json_response(jsonstat_dataset(answer, href))
    elif fmt == "datapackage":
        response = Response(datapackage_zip(answer, stem), media_type=FORMATS[fmt])
        attachment = True
    else:
        response = Response(render_table(answer, fmt), media_type=FORMATS[fmt])
        attachment = attachment or fmt in ("xlsx", "parquet")
    if attachment:
        suffix = "_fi" if fmt == "csv-fi" else ""
        response.headers["Content-Disposition"] = f'attachment; filename="{stem}{suffix}.{EXTENSIONS[fmt]}"'
    response.headers["Content-Language"] = answer.lang
    return response


def title_of(answer_metrics: list[str], house: Warehouse, lang: str) -> str:
    catalog = house.catalog
    if len(answer_metrics) == 1:
        return t("api.title_one", lang, metric=text_plain(catalog.get(answer_metrics[0]).name, lang))
    return t("api.title_many", lang, n=len(answer_metrics))
