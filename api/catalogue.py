"""The catalogue and the areas as JSON: what `/api/v1/metrics` and `/api/v1/areas` answer.

Metric entries carry the catalogue's fi/sv/en texts, unit, direction, decimals and disclosure
threshold, and the source and licence of the series behind them (the metric's own declaration,
else the series' provenance from the warehouse). Area entries carry the official names in
Finnish, Swedish and English, the type, the validity years and the parent areas.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import pandas as pd
from cachetools import LRUCache

from api.context import Access, Warehouse
from kuntamittari.settings import LANGUAGES
from metrics import service
from metrics.areas import official_name, validity_year
from metrics.model import AnyMetric
from readout.publication import public_area_codes, public_metrics
from readout.text import plain_text

_lock = threading.Lock()
_memo: LRUCache = LRUCache(maxsize=32)


def _texts(value: Any) -> dict[str, str] | None:
    """A catalogue text in fi/sv/en as plain words: markup written for the pages is never passed on."""
    return None if value is None else {k: plain_text(v) for k, v in value.as_dict().items() if v}


def _provenance(house: Warehouse, metric: AnyMetric) -> tuple[list[dict[str, Any]], str | None, str | None]:
    prov = service.metric_provenance(house.engine, house.catalog, metric.id)
    series = []
    for row in prov.to_dict("records"):
        loaded = row.get("fetched_at") or row.get("loaded_at")
        series.append({
            "code": row["series_code"], "source": row.get("source") if isinstance(row.get("source"), str) else None,
            "licence": row.get("licence") if isinstance(row.get("licence"), str) else None,
            "attribution": row.get("attribution") if isinstance(row.get("attribution"), str) else None,
            "retrieved": None if loaded is None or (isinstance(loaded, float) and math.isnan(loaded)) else str(pd.Timestamp(loaded).isoformat()),
            "batch_id": None if pd.isna(row.get("batch_id")) else int(row["batch_id"]),
        })
    licences = sorted({s["licence"] for s in series if s["licence"]})
    attributions = sorted({s["attribution"] for s in series if s["attribution"]})
    return series, metric.licence or (", ".join(licences) or None), metric.attribution or ("; ".join(attributions) or None)


def metric_entry(house: Warehouse, metric: AnyMetric, base: str) -> dict[str, Any]:
    """One metric as the catalogue endpoint lists it."""
    series, licence, attribution = _provenance(house, metric)
    return {
        "id": metric.id, "status": metric.status.value, "theme": metric.theme.value, "kind": metric.kind,
        "name": _texts(metric.name), "description": _texts(metric.description), "unit": _texts(metric.unit),
        "why_it_matters": _texts(metric.why_it_matters), "caveats": _texts(metric.caveats),
        "direction": metric.direction.value, "decimals": metric.decimals, "update_frequency": metric.update_frequency.value,
        "min_count": metric.min_count, "source": metric.source or (series[0]["source"] if series else None),
        "licence": licence, "attribution": attribution, "owner": metric.owner, "series": series,
        "links": {"self": f"{base}/metrics/{metric.id}", "data": f"{base}/data?metric={metric.id}&area=SSS",
                  "download": f"{base}/metrics/{metric.id}/download"},
    }


def metric_entries(house: Warehouse, access: Access, base: str, version: str) -> list[dict[str, Any]]:
    """Every metric the caller may read, in theme order (memoised per data version)."""
    key = (version, access.drafts, base)
    with _lock:
        hit = _memo.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    catalog = house.catalog
    metrics = [m for ms in catalog.by_theme(include_drafts=True).values() for m in ms] if access.drafts \
        else public_metrics(catalog)
    entries = [metric_entry(house, m, base) for m in metrics]
    with _lock:
        _memo[key] = entries
    return entries


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def area_entries(house: Warehouse, access: Access, area_type: str | None) -> list[dict[str, Any]]:
    """The area dimension (public: the areas public data has), one entry per area version
    (memoised per data version)."""
    snapshot = house.snapshot()
    key = ("areas", snapshot.version, access.internal, area_type)
    with _lock:
        hit = _memo.get(key)
    if hit is None:
        hit = _area_entries(snapshot.areas, access, area_type)
        with _lock:
            _memo[key] = hit
    return hit  # type: ignore[no-any-return]


def _area_entries(areas: pd.DataFrame, access: Access, area_type: str | None) -> list[dict[str, Any]]:
    public = public_area_codes(areas)
    out = []
    for row in areas.to_dict("records"):
        code = str(row["code"])
        if (not access.internal and code not in public) or (area_type and row["area_type"] != area_type):
            continue
        out.append({
            "code": code, "type": row["area_type"],
            "name": {lang: official_name(row, lang) for lang in LANGUAGES},
            "valid_from": validity_year(row.get("valid_from")), "valid_to": validity_year(row.get("valid_to")),
            "successor": _text(row.get("successor_code")),
            "parents": {k: _text(row.get(f"{k}_code")) for k in ("region", "subregion", "county")},
            "public": code in public,
        })
    return out
