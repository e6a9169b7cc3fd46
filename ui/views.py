"""Cached page models: everything a page draws, computed once per choice of primitives.

Building an Altair chart costs 0.1-0.2 s of JSON-schema validation, more than the queries, so
the finished Vega-Lite specs (dicts) are cached together with the tables, keyed by primitives
(metric id, period, areas, language). A rerun with the same choices draws from the cache.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from kuntamittari.i18n import t
from metrics import service
from metrics.catalog import Catalog
from metrics.model import Selection
from readout.build import metric_info
from readout.downloads import round_half_up
from readout.rank import rank_areas
from readout.tables import area_label_column, rules_line, values_table
from readout.text import text_plain
from charts import maps
from charts import specs as charts
from ui.data import SMALL, TTL, area_names

logger = logging.getLogger(__name__)


@dataclass
class CompareView:
    """The compare page's content for one metric, period and set of municipalities."""

    period: str | None
    year: int | None
    ranking: dict[str, Any] | None = None
    multiples: dict[str, Any] | None = None
    distribution: dict[str, Any] | None = None
    map_spec: dict[str, Any] | None = None
    map_layer: str = ""
    map_attribution: str = ""
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    all_values: pd.DataFrame = field(default_factory=pd.DataFrame)  # every municipality: map/distribution as text
    missing: list[str] = field(default_factory=list)
    municipalities_with_value: int = 0
    rules: list[tuple[str, str]] = field(default_factory=list)
    download: pd.DataFrame = field(default_factory=pd.DataFrame)  # `table` with the values as numbers
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)  # the metric layer's rows behind `table`


def _labelled(frame: pd.DataFrame, lang: str, names: dict[str, str]) -> pd.DataFrame:
    return frame.assign(label=area_label_column(frame, lang, names))


@st.cache_data(ttl=TTL, max_entries=SMALL, show_spinner=False)
def compare_view(_engine: Engine, _catalog: Catalog, db: str, cat: str, metric_id: str, period: str | None,
                 chosen: tuple[str, ...], area: str, lang: str) -> CompareView:
    metric = _catalog.get(metric_id)
    names = area_names(_engine, db, lang)
    unit = text_plain(metric.unit, lang)
    decimals = metric.decimals
    everyone = service.metric_values_all_municipalities(_engine, _catalog, metric_id, period)
    everyone = everyone.dropna(subset=["value"])
    if everyone.empty:
        return CompareView(period=period, year=int(period) if period and period.isdigit() else None)
    used_period = str(everyone["period"].iloc[0])
    year = int(everyone["year"].iloc[0])
    everyone = _labelled(everyone, lang, names)
    view = CompareView(period=used_period, year=year, municipalities_with_value=len(everyone))

    rule_codes: list[str] = []
    for kind in ("region", "county", "finland"):
        rule_codes += service.comparison_areas(_engine, area, kind)[:1]
    rules = service.query_metric(_engine, _catalog, metric_id, Selection(areas=tuple(rule_codes), periods=(used_period,)))
    rules = _labelled(rules.dropna(subset=["value"]), lang, names)
    view.rules = rules_line(rules, lang, decimals, names, metric_info(metric).approximation_note)

    shown = everyone[everyone["area_code"].isin(chosen)]
    view.missing = [c for c in chosen if c not in set(shown["area_code"])]
    if not shown.empty:
        view.ranking = charts.ranking_chart(shown, value_title=unit, decimals=decimals, highlight=(area,),
                                            rules=rules[["label", "value"]] if not rules.empty else None)
    view.distribution = charts.distribution_chart(everyone, value_title=unit, decimals=decimals, highlight=chosen)

    if chosen:
        series = service.query_metric(_engine, _catalog, metric_id, Selection(areas=chosen))
        series = _labelled(series.dropna(subset=["value"]), lang, names)
        series = series[series["year"] > year - 15]
        if not series.empty:
            view.multiples = charts.small_multiples(series, value_title=unit, decimals=decimals)

    layer = maps.layer_for_year(year)
    view.map_layer = layer.name
    view.map_attribution = layer.attribution
    view.map_spec = maps.choropleth(everyone, layer, value_title=unit, decimals=decimals, highlight=chosen)

    ranked = rank_areas(everyone, metric.direction.value)
    table = ranked[ranked["area_code"].isin(chosen)]
    view.all_values = pd.DataFrame({
        t("compare.col.rank", lang): ranked["rank"].astype(str).to_numpy(),
        t("compare.col.area", lang): ranked["label"].to_numpy(),
        t("compare.col.value", lang): values_table(ranked, lang, decimals)[t("detail.col.value", lang)].to_numpy(),
    })
    view.table = pd.DataFrame({
        t("compare.col.rank", lang): [f"{r} / {len(ranked)}" for r in table["rank"]],
        t("compare.col.area", lang): table["label"].to_numpy(),
        t("compare.col.code", lang): table["area_code"].to_numpy(),
        t("compare.col.value", lang): values_table(table, lang, decimals)[t("detail.col.value", lang)].to_numpy(),
        t("compare.col.period", lang): table["period"].astype(str).to_numpy(),
    })
    value = t("compare.col.value", lang)
    view.download = view.table.assign(**{value: pd.array([round_half_up(v, decimals) for v in table["value"]], dtype="Float64")})
    view.rows = table
    return view


