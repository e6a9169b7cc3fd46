"""Sotkanet REST client (THL's indicator bank, https://sotkanet.fi/rest/1.1).

Endpoints used: `/indicators/{id}` (metadata in fi/sv/en), `/regions` (region ids and codes) and
`/json?indicator=..&years=..&genders=..` (data; see `datamodel.loaders.sotkanet` for its shape).
Responses go through the same parser as the bundled snapshot and saved files.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Engine

from datamodel.errors import SourceFormatError
from datamodel.sources.http import CallPolicy, request_json
from datamodel.loaders.core import LoadResult, ProgressHook, SeriesMeta, checksum_of
from datamodel.loaders.sotkanet import (
    API_LOADER,
    ATTRIBUTION,
    LICENCE,
    SOURCE,
    parse_data_records,
    region_code_map,
    series_code,
)
from kuntamittari.settings import get_settings

logger = logging.getLogger(__name__)

_TAGS = re.compile(r"<[^>]+>")
COUNT_TYPES = {"ABSOLUTE", "COUNT", "LUKUMAARA"}


def _text(node: Any, lang: str) -> str | None:
    if isinstance(node, dict):
        value = node.get(lang)
        if value:
            return html.unescape(_TAGS.sub(" ", str(value))).replace("  ", " ").strip() or None
    return None


def meta_from_indicator(doc: dict[str, Any]) -> SeriesMeta:
    """`SeriesMeta` from an `/indicators/{id}` response (HTML stripped from descriptions)."""
    try:
        ind = int(doc["id"])
        title = doc["title"]
    except (KeyError, TypeError, ValueError) as exc:
        raise SourceFormatError(f"indicator metadata without id/title ({exc})") from exc
    value_type = doc.get("primaryValueType") or {}
    return SeriesMeta(
        code=series_code(ind), source=SOURCE, source_id=str(ind),
        title_fi=_text(title, "fi") or f"Sotkanet-indikaattori {ind}",
        title_sv=_text(title, "sv"), title_en=_text(title, "en"),
        description_fi=_text(doc.get("description"), "fi"), description_sv=_text(doc.get("description"), "sv"),
        description_en=_text(doc.get("description"), "en"),
        unit=(_text(value_type.get("title"), "fi") or value_type.get("code")),
        decimals=doc.get("decimals"),
        is_count=str(value_type.get("code", "")).upper() in COUNT_TYPES,
        category=None,  # keep the Sotkanet category already stored (organisation is not one)
        licence=LICENCE, attribution=ATTRIBUTION,
        source_url=f"https://sotkanet.fi/sotkanet/fi/metadata/indicators/{ind}",
    )


class SotkanetClient:
    """Thin typed client; every network or format problem becomes a typed exception."""

    def __init__(self, base_url: str | None = None, *, transport: httpx.BaseTransport | None = None,
                 timeout: float = 30.0, policy: CallPolicy | None = None) -> None:
        self.base_url = (base_url or get_settings().sotkanet_base_url).rstrip("/")
        self.policy = policy
        self._client = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout,
                                    headers={"User-Agent": "kuntamittari"}, follow_redirects=True)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def __enter__(self) -> SotkanetClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str, params: Sequence[tuple[str, str]] | None = None) -> tuple[Any, bytes]:
        return request_json(self._client, self.base_url, "GET", path, policy=self.policy, params=list(params or []))

    def indicator_doc(self, indicator_id: int) -> dict[str, Any]:
        """The raw `/indicators/{id}` document (with `data-updated` and `range` {start, end})."""
        doc, _ = self._get(f"/indicators/{int(indicator_id)}")
        if not isinstance(doc, dict):
            raise SourceFormatError(f"{self.base_url}/indicators/{int(indicator_id)}: expected an object")
        return doc

    def indicator(self, indicator_id: int) -> SeriesMeta:
        """Metadata of one indicator."""
        return meta_from_indicator(self.indicator_doc(indicator_id))

    def regions(self) -> list[dict[str, Any]]:
        """The region list: dicts with id, code, category and fi/sv/en titles."""
        doc, _ = self._get("/regions")
        if not isinstance(doc, list):
            raise SourceFormatError(f"{self.base_url}/regions: expected a list")
        return doc

    def data(self, indicator_id: int, years: Sequence[int], genders: Sequence[str] = ("total", "male", "female")
             ) -> tuple[list[dict[str, Any]], bytes]:
        """Data-endpoint rows of one indicator for the given years (and the raw bytes)."""
        params = [("indicator", str(int(indicator_id)))]
        params += [("years", str(int(y))) for y in years]
        params += [("genders", g) for g in genders]
        doc, raw = self._get("/json", params)
        return doc, raw


def fetch_and_load(
    engine: Engine,
    client: SotkanetClient,
    indicator_ids: Sequence[int],
    years: Sequence[int],
    *,
    genders: Sequence[str] = ("total", "male", "female"),
    on_progress: ProgressHook | None = None,
    accept_partial: bool = False,
) -> LoadResult:
    """Fetch metadata and data of the indicators and load them as one release (one batch).
    `accept_partial` leaves out values that cannot be real instead of refusing the release."""
    import pandas as pd

    from datamodel.loaders.sotkanet import load_records

    regions = region_code_map(engine)
    metas, frames, raws, skipped = {}, [], [], 0
    for ind in indicator_ids:
        metas[int(ind)] = client.indicator(ind)
        records, raw = client.data(ind, years, genders)
        parsed = parse_data_records(records, regions, origin=f"{client.base_url}/json?indicator={ind}")
        frames.append(parsed.observations)
        raws.append(raw)
        skipped += parsed.regions_skipped
    obs = pd.concat(frames, ignore_index=True)
    return load_records(
        engine, obs, loader=API_LOADER, location=f"{client.base_url} indicators {list(indicator_ids)} years {list(years)}",
        checksum=checksum_of(raws), metas=metas, fetched_at=datetime.now(UTC), regions_skipped=skipped,
        on_progress=on_progress, accept_partial=accept_partial,
    )
