"""Ennusteet ja skenaariot / Prognoser och scenarier / Forecasts and scenarios.

Thin: widgets, the metric's values through the cached `ui.data.metric_frame`, then
`forecasting.service.forecast_frame` (which drops suppressed values, fits Prophet and the
baselines, backtests, builds the scenarios, and caches the fits by content), then display.
"""

from __future__ import annotations

import logging

import altair as alt
import pandas as pd
import streamlit as st

from forecasting.base import period_timestamp
from forecasting.explain import explain, fmt_number, model_label
from forecasting.scenarios import (
    BaselineScenario,
    DriverScenario,
    LevelShiftScenario,
    Scenario,
    TrendChangeScenario,
    suggested_drivers,
)
from forecasting.service import MIN_POINTS, MetricForecast, ScenarioOutcome, forecast_frame
from kuntamittari.i18n import pick, t
from readout.provenance import frame_provenance
from ui import data, render
from charts.specs import AXIS
from ui.frame import guarded, page_frame

logger = logging.getLogger(__name__)

DEFAULT_UNTIL = 2030
MAX_AREAS = 10
NO_DRIVER = "-"

ctx = page_frame("forecast")
lang = ctx.lang
st.title(t("forecasting.page.title", lang))
st.caption(t("forecasting.page.intro", lang))

metrics = sorted(ctx.catalog.approved() or ctx.catalog.metrics.values(), key=lambda m: pick(m.name.as_dict(), lang).lower())
metric = ctx.choose_metric(metrics, t("forecasting.page.metric", lang))
if metric is None:
    st.info(t("forecasting.page.no_metrics", lang))
    st.stop()
by_id = {m.id: m for m in metrics}
metric_id = metric.id
name = pick(metric.name.as_dict(), lang)
unit = pick(metric.unit.as_dict(), lang)

munis = ctx.areas[ctx.areas["area_type"] == "kunta"].drop_duplicates("code", keep="last")
codes = sorted(munis["code"], key=lambda c: ctx.area_label(c))
left, right = st.columns([3, 1])
chosen = left.multiselect(t("forecasting.page.areas", lang), codes, default=[ctx.area] if ctx.area in codes else [],
                          format_func=lambda c: f"{ctx.area_label(c)} ({c})", max_selections=MAX_AREAS, key="fc_areas")
until = int(right.selectbox(t("forecasting.page.until", lang), list(range(2012, 2041)),
                            index=list(range(2012, 2041)).index(DEFAULT_UNTIL), key="fc_until"))

scenarios: list[Scenario] = [BaselineScenario()]
with st.expander(t("forecasting.page.scenarios", lang), expanded=True):
    with_target = st.checkbox(t("forecasting.page.with_target", lang), value=bool(metric.targets), key="fc_target")
    c1, c2, c3 = st.columns(3)
    with c1:
        if st.checkbox(t("forecasting.page.level_shift", lang), key="fc_ls"):
            amount = st.number_input(t("forecasting.page.level_shift_amount", lang), value=-1.0, step=0.5, key="fc_ls_amount")
            year = st.number_input(t("forecasting.page.from_year", lang), 2012, 2040, 2015, key="fc_ls_year")
            scenarios.append(LevelShiftScenario(from_year=int(year), amount=float(amount)))
    with c2:
        if st.checkbox(t("forecasting.page.trend_change", lang), key="fc_tc"):
            per_year = st.number_input(t("forecasting.page.trend_change_amount", lang), value=-0.2, step=0.1, key="fc_tc_amount")
            year = st.number_input(t("forecasting.page.from_year", lang), 2012, 2040, 2015, key="fc_tc_year")
            scenarios.append(TrendChangeScenario(from_year=int(year), per_year=float(per_year)))
    with c3:
        drivers = suggested_drivers(metric_id, list(by_id))
        driver = st.selectbox(t("forecasting.page.driver_metric", lang), [NO_DRIVER, *drivers], key="fc_driver",
                              format_func=lambda i: "–" if i == NO_DRIVER else pick(by_id[i].name.as_dict(), lang))
        if driver != NO_DRIVER:
            change = st.number_input(t("forecasting.page.driver_amount", lang), value=1.0, step=0.5, key="fc_dr_amount")
            year = st.number_input(t("forecasting.page.from_year", lang), 2012, 2040, 2015, key="fc_dr_year")
            scenarios.append(DriverScenario(driver=driver, from_year=int(year), amount=float(change)))

if not chosen:
    st.info(t("forecasting.page.no_area", lang))
    st.stop()


def scenario_label(outcome: ScenarioOutcome) -> str:
    """The reader's name of a scenario with its parameters, e.g. 'Tasosiirto −1,0 (2015–)'."""
    label = t(f"forecasting.scenario.{outcome.kind}", lang)
    p = outcome.params
    d = metric.decimals
    if outcome.kind == "target":
        return f"{label} {fmt_number(p['value'], d, lang)} ({p['year']})"
    if outcome.kind == "level_shift":
        return f"{label} {fmt_number(p['amount'], d, lang, signed=True)} ({p['from_year']}–)"
    if outcome.kind == "trend_change":
        per_year = t("forecasting.page.per_year", lang)
        return f"{label} {fmt_number(p['per_year'], d, lang, signed=True)}{per_year} ({p['from_year']}–)"
    if outcome.kind == "driver":
        driver_name = pick(by_id[p["driver"]].name.as_dict(), lang) if p["driver"] in by_id else p["driver"]
        return f"{label}: {driver_name} {fmt_number(p['amount'], 1, lang, signed=True)} ({p['from_year']}–)"
    return label


def chart(result: MetricForecast) -> alt.LayerChart:
    """History, forecast with its interval, and scenarios; colour = municipality, dash = series."""
    rows = []
    for a in result.areas:
        label = ctx.area_label(a.area_code)
        for p, v in zip(a.history["period"], a.history["value"], strict=True):
            rows.append((label, t("forecasting.page.history", lang), p, v, None, None))
        if not a.history.empty and not a.forecast.empty:  # join the forecast line to the last value
            rows.append((label, t("forecasting.page.forecast", lang), a.history["period"].iloc[-1],
                         a.history["value"].iloc[-1], None, None))
        for r in a.forecast.itertuples(index=False):
            rows.append((label, t("forecasting.page.forecast", lang), r.period, r.yhat, r.lower, r.upper))
        outcomes = {o.key: o for o in a.outcomes}
        for r in a.scenarios.itertuples(index=False):
            outcome = outcomes.get(r.scenario)
            if outcome is not None and outcome.kind != "baseline":
                rows.append((label, scenario_label(outcome), r.period, r.yhat, None, None))
    frame = pd.DataFrame(rows, columns=["area", "series", "period", "value", "lower", "upper"])
    frame["date"] = [period_timestamp(p) for p in frame["period"]]
    y_title = f"{name} ({unit})" if unit else name
    base = alt.Chart(frame).encode(x=alt.X("date:T", title=t("forecasting.page.period", lang), axis=alt.Axis(format="%Y")))
    band = base.transform_filter(alt.datum.lower != None).mark_area(opacity=0.18).encode(  # noqa: E711 (Vega expression)
        y=alt.Y("lower:Q", title=y_title), y2="upper:Q", color=alt.Color("area:N", title=t("forecasting.page.areas", lang)))
    lines = base.mark_line(point=True).encode(
        y=alt.Y("value:Q", title=y_title),
        color=alt.Color("area:N", title=t("forecasting.page.areas", lang)),
        strokeDash=alt.StrokeDash("series:N", title=t("forecasting.page.series", lang)),
        tooltip=[alt.Tooltip("area:N", title=t("forecasting.page.areas", lang)),
                 alt.Tooltip("series:N", title=t("forecasting.page.series", lang)),
                 alt.Tooltip("period:N", title=t("forecasting.page.period", lang)),
                 alt.Tooltip("value:Q", title=t("forecasting.page.value", lang), format=f".{metric.decimals}f"),
                 alt.Tooltip("lower:Q", title=t("forecasting.page.interval", lang), format=f".{metric.decimals}f"),
                 alt.Tooltip("upper:Q", title=t("forecasting.page.interval", lang), format=f".{metric.decimals}f")],
    )
    return (band + lines).configure_axis(labelColor=AXIS, titleColor=AXIS).configure_legend(labelColor=AXIS, titleColor=AXIS)


with guarded(ctx):
    frame = data.metric_frame(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key, metric_id, tuple(chosen))
    driver_frames = {s.driver: data.metric_frame(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key, s.driver, tuple(chosen))
                     for s in scenarios if isinstance(s, DriverScenario)}
    bar = st.progress(0.0, text=t("forecasting.page.fitting", lang, done=0, total=len(chosen)))

    def on_progress(done: int, total: int, area: str) -> None:
        bar.progress(done / max(total, 1), text=t("forecasting.page.fitting", lang, done=done, total=total))

    try:
        result = forecast_frame(frame, metric, chosen, until, scenarios=tuple(scenarios), with_target=with_target,
                                driver_frames=driver_frames,
                                driver_min_counts={d: by_id[d].min_count for d in driver_frames},
                                progress=on_progress)
    finally:
        bar.empty()
    for code, reason in result.failures.items():
        # The library's reason is a technical English sentence: log it, tell the reader in their language.
        logger.info("forecast of %s for %s failed: %s", metric_id, code, reason)
        published = int(frame.loc[frame["area_code"] == code, "value"].notna().sum())
        key = "forecasting.page.failed_too_few" if published < MIN_POINTS else "forecasting.page.failed_other"
        st.warning(t(key, lang, area=ctx.area_label(code), min=MIN_POINTS))
    if not result.areas:
        st.stop()

    render.altair(chart(result), lang, t("forecasting.page.chart_alt", lang, metric=name, until=until), key="fc_chart")
    ctx.attribution()

    st.subheader(t("forecasting.page.backtest_title", lang))
    st.caption(t("forecasting.page.backtest_caption", lang))
    backtest = pd.DataFrame([
        {t("forecasting.page.col_area", lang): ctx.area_label(a.area_code),
         t("forecasting.page.col_model", lang): model_label(s.model, lang),
         t("forecasting.page.col_mae", lang): fmt_number(s.mae, 2, lang),
         t("forecasting.page.col_mape", lang): fmt_number(s.mape, 1, lang),
         t("forecasting.page.col_folds", lang): s.folds}
        for a in result.areas for s in a.backtest.scores
    ])
    st.dataframe(backtest, hide_index=True, width="stretch")

    st.subheader(t("forecasting.page.scenario_table", lang))
    table = pd.DataFrame([
        {t("forecasting.page.col_area", lang): ctx.area_label(a.area_code),
         t("forecasting.page.col_scenario", lang): scenario_label(o),
         t("forecasting.page.col_period", lang): o.end_period or "–",
         t("forecasting.page.col_value", lang): fmt_number(o.end_value, metric.decimals, lang),
         t("forecasting.page.col_base", lang): fmt_number(o.baseline_end_value, metric.decimals, lang),
         t("forecasting.page.col_required", lang): fmt_number(o.required_change_per_year, metric.decimals, lang, signed=True)}
        for a in result.areas for o in a.outcomes
    ])
    st.dataframe(table, hide_index=True, width="stretch")

    st.subheader(t("forecasting.page.explanation", lang))
    driver_names = {d: pick(by_id[d].name.as_dict(), lang).lower() for d in driver_frames}
    for a in result.areas:
        if len(result.areas) > 1:
            st.markdown(f"**{ctx.area_label(a.area_code)}**")
        for paragraph in explain(a, lang, unit=unit, decimals=metric.decimals, driver_names=driver_names):
            st.markdown(paragraph)

    download = result.to_frame()
    st.download_button(t("forecasting.page.download", lang), render.csv_bytes(download, lang, frame_provenance(
                       frame, data.batches(ctx.engine, ctx.db), audience="internal", title=name)),
                       file_name=f"{metric_id}_{t('forecasting.page.file_stem', lang)}_{until}.csv", mime="text/csv", key="fc_csv", on_click="ignore")
