"""Published metric values of every municipality: the before/after pictures the digest compares.

Values go through the forecasting layer's `published_history`, which drops whatever disclosure
control hides (suppressed at source, counts below the metric's `min_count`), so a digest, an
e-mail or a webhook never carries a value the dashboard would not show.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine

from forecasting.metric_adapter import published_history
from metrics.catalog import Catalog
from metrics.model import Selection
from metrics.service import list_areas, query_metric

COLUMNS = ["metric_id", "area_code", "period", "value"]
MUNICIPALITY = "kunta"


def municipality_codes(engine: Engine) -> tuple[str, ...]:
    """Codes of every municipality in the area dimension."""
    return tuple(sorted(set(list_areas(engine, MUNICIPALITY)["code"])))


def take_snapshot(engine: Engine, catalog: Catalog, metric_ids: Iterable[str]) -> pd.DataFrame:
    """Long frame metric_id, area_code, period, value (published values only, total group)."""
    codes = municipality_codes(engine)
    frames = []
    for metric_id in sorted(set(metric_ids)):
        metric = catalog.get(metric_id)
        values = query_metric(engine, catalog, metric_id, Selection(areas=codes))
        histories, _dropped = published_history(values, metric.min_count)
        for area_code, history in histories.items():
            if not history.empty:
                frames.append(history.assign(metric_id=metric_id, area_code=area_code))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(frames, ignore_index=True)[COLUMNS]
    out["period"] = out["period"].astype(str)
    out["value"] = out["value"].astype("float64")
    return out
