"""The forecast part of the monthly report, kept in one small module so that it can follow the
forecasting service's output (e.g. calibrated intervals and a recommended model) in one place.

Uses `forecasting.metric_adapter.forecast_metric` with the page's default settings, so the report
shows what the forecast page draws: the model the backtest recommends, with its calibrated interval
(80 % by default) and how often such a band held in past years, for the metrics most worth a look
(`readout.rank` order) that have a value, fitted on published values only. Model names and the
coverage sentence come from `readout.forecast`; numbers from the readout's formatter.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine

from forecasting.base import ForecastError, ForecastSettings
from forecasting.metric_adapter import forecast_metric
from kuntamittari.i18n import t
from metrics.catalog import Catalog
from readout.forecast import coverage_text, model_label
from readout.formatting import format_number, format_period
from readout.localise import pick_text
from readout.model import AreaReadout, MetricReadout
from readout.rank import arrange

logger = logging.getLogger(__name__)

HORIZON = 3  # years ahead of the latest value
MAX_METRICS = 6
#: The page's defaults: the backtest picks the model and calibrates its band.
SETTINGS = ForecastSettings()


def chosen_metrics(readout: AreaReadout, limit: int = MAX_METRICS) -> list[MetricReadout]:
    """The metrics most worth a look first, those with a yearly value only."""
    valued = [m for m in readout.metrics if m.latest is not None and m.latest.value is not None and m.latest.period.isdigit()]
    return arrange(valued, "worsening", None, False)[:limit]


def _one(engine: Engine, catalog: Catalog, area: str, item: MetricReadout, lang: str) -> dict[str, Any]:
    name, decimals = pick_text(item.info.name, lang), item.info.decimals
    out: dict[str, Any] = {"name": name, "unit": pick_text(item.info.unit, lang), "rows": [], "note": ""}
    try:
        result = forecast_metric(engine, catalog, item.metric_id, [area], item.latest.year + HORIZON,  # type: ignore[union-attr]
                                 settings=SETTINGS, executor="serial")
    except ForecastError as exc:
        logger.info("monthly report: no forecast for %s %s: %s", area, item.metric_id, exc)
        result = None
    series = result.get(area) if result is not None else None
    if series is None or series.forecast.empty:
        out["note"] = t("reports.monthly.forecast_none", lang)
        return out
    out["rows"] = [[format_period(str(r.period), lang), format_number(r.yhat, lang, decimals),
                    f"{format_number(r.lower, lang, decimals)}–{format_number(r.upper, lang, decimals)}"]
                   for r in series.forecast.itertuples(index=False)]
    out["note"] = t("reports.monthly.forecast_note", lang, interval=format_number(series.settings.interval_width * 100, lang, 0),
                    model=model_label(series.model, lang), last=format_period(series.last_period, lang))
    out["note"] += " " + coverage_text(series, lang)
    if item.target.value is not None and item.target.year is not None:
        out["note"] += " " + t("reports.monthly.forecast_target", lang, target=format_number(item.target.value, lang, decimals),
                               year=item.target.year)
    return out


def forecast_section(engine: Engine, catalog: Catalog, readout: AreaReadout, lang: str) -> dict[str, Any]:
    """Forecasts of the chosen metrics, each with its interval, in the report's words."""
    return {
        "heading": t("reports.monthly.forecast_heading", lang),
        "columns": [t("reports.monthly.forecast_col_year", lang), t("reports.monthly.forecast_col_value", lang),
                    t("reports.monthly.forecast_col_interval", lang)],
        "items": [_one(engine, catalog, readout.area.code, item, lang) for item in chosen_metrics(readout)],
    }
