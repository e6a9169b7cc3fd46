"""Ennusteet ja skenaariot / Prognoser och scenarier / Forecasts and scenarios.

Thin: widgets, the metric's values through the cached `ui.data.metric_frame`, then
`forecasting.metric_adapter.forecast_frame` (which drops suppressed values, fits every model,
backtests them, calibrates their bands, recommends one, builds the scenarios, and caches the fits
by content), then display.

Drawn progressively: the first municipality's forecast is drawn from the models' fits alone
(a fraction of a second), then the backtests of every municipality run with a progress bar and
the chart is redrawn as each one comes in, with calibrated bands and the recommended model.
"""

from __future__ import annotations

import datetime
import logging
import time

import pandas as pd
import streamlit as st

from forecasting.scenarios import (
    BaselineScenario,
    DriverScenario,
    LevelShiftScenario,
    Scenario,
    TrendChangeScenario,
    suggested_drivers,
)
from forecasting.horizon import DEFAULT_YEARS_AHEAD, default_until, is_long, until_choices
from forecasting.metric_adapter import forecast_frame, last_year
from forecasting.results import ScenarioOutcome, SeriesForecast
from forecasting.service import MIN_POINTS
from kuntamittari.i18n import t
from readout.forecast import explain, fmt_number, model_label
from readout.text import escape_markdown, text_plain
from readout.provenance import frame_provenance
from ui import data, render
from charts.forecast import MAX_AREAS, chart_frame, forecast_chart
from ui.frame import guarded, page_frame
from ui.vintage import draw_metric_vintage

logger = logging.getLogger(__name__)

NO_DRIVER = "-"

started = time.perf_counter()  # the request: this run of the page script
ctx = page_frame("forecast")
lang = ctx.lang
st.title(t("forecasting.page.title", lang))
st.caption(t("forecasting.page.intro", lang))

metrics = sorted(ctx.catalog.approved() or ctx.catalog.metrics.values(), key=lambda m: text_plain(m.name, lang).lower())
metric = ctx.choose_metric(metrics, t("forecasting.page.metric", lang))
if metric is None:
    st.info(t("forecasting.page.no_metrics", lang))
    st.stop()
by_id = {m.id: m for m in metrics}
metric_id = metric.id
name = text_plain(metric.name, lang)
unit = text_plain(metric.unit, lang)
with guarded(ctx):
    draw_metric_vintage(ctx, metric_id)  # the year the history is about, the sources' dates, stale notice

munis = ctx.areas[ctx.areas["area_type"] == "kunta"].drop_duplicates("code", keep="last")
codes = sorted(munis["code"], key=lambda c: ctx.area_label(c))
left, right = st.columns([3, 1])
chosen = left.multiselect(t("forecasting.page.areas", lang), codes, default=[ctx.area] if ctx.area in codes else [],
                          format_func=lambda c: f"{ctx.area_label(c)} ({c})", max_selections=MAX_AREAS, key="fc_areas")
frame = pd.DataFrame({"area_code": [], "period": [], "value": []})
with guarded(ctx):
    if chosen:
        frame = data.metric_frame(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key, metric_id, tuple(chosen))
# the horizon fits the data: 5 years past the last observation by default, chosen by the year
last_observed = last_year(frame) or datetime.date.today().year - 1
choices = until_choices(last_observed)
if st.session_state.get("fc_until") not in choices:
    st.session_state.pop("fc_until", None)  # another metric ends in another year
until = int(right.selectbox(t("forecasting.page.until", lang), choices,
                            index=choices.index(default_until(last_observed)), key="fc_until"))
all_models = right.checkbox(t("forecasting.page.all_models", lang), key="fc_all_models")
if is_long(until, last_observed):
    st.warning(t("forecasting.page.until_long", lang, years=DEFAULT_YEARS_AHEAD, last=last_observed))

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
                              format_func=lambda i: "–" if i == NO_DRIVER else text_plain(by_id[i].name, lang))
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
        driver_name = text_plain(by_id[p["driver"]].name, lang) if p["driver"] in by_id else p["driver"]
        return f"{label}: {driver_name} {fmt_number(p['amount'], 1, lang, signed=True)} ({p['from_year']}–)"
    return label


def draw(areas: list[SeriesForecast], slot: st.delta_generator.DeltaGenerator, draw_no: int) -> None:
    """(Re)draw the chart in its slot: each draw has its own key (one element per key and run)."""
    with slot.container():
        rows = chart_frame(areas, lang, area_label=ctx.area_label, scenario_label=scenario_label, all_models=all_models)
        spec = forecast_chart(rows, lang, value_title=f"{name} ({unit})" if unit else name, decimals=metric.decimals)
        render.vega(spec, lang, t("forecasting.page.chart_alt", lang, metric=name, until=until), key=f"fc_chart_{draw_no}")
        if any(a.pending for a in areas):
            st.caption(t("forecasting.page.provisional", lang))


def backtest_table(areas: tuple[SeriesForecast, ...]) -> pd.DataFrame:
    """Per area and model: MAE, MAPE, folds, and how many held-out values the band held."""
    rows = []
    for a in areas:
        for m in a.models:
            score, cal = m.score, m.calibration
            rows.append({
                t("forecasting.page.col_area", lang): ctx.area_label(a.area_code),
                t("forecasting.page.col_model", lang): model_label(m.name, lang),
                t("forecasting.page.col_mae", lang): fmt_number(score.mae if score and score.folds else None, 2, lang),
                t("forecasting.page.col_mape", lang): fmt_number(score.mape if score and score.folds else None, 1, lang),
                t("forecasting.page.col_coverage", lang): f"{cal.hits}/{cal.checked}" if cal and cal.checked else "–",
                t("forecasting.page.col_folds", lang): score.folds if score else 0,
                t("forecasting.page.col_shown", lang): t("forecasting.page.shown_mark", lang) if m.name == a.model else "",
            })
    return pd.DataFrame(rows)


with guarded(ctx):
    driver_frames = {s.driver: data.metric_frame(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key, s.driver, tuple(chosen))
                     for s in scenarios if isinstance(s, DriverScenario)}
    common = dict(scenarios=tuple(scenarios), with_target=with_target, driver_frames=driver_frames,
                  driver_min_counts={d: by_id[d].min_count for d in driver_frames})
    chart_slot, status_slot = st.empty(), st.empty()
    drawn: dict[str, SeriesForecast] = {}
    first = forecast_frame(frame, metric, chosen[:1], until, with_backtest=False, **common)
    if first.areas:
        drawn[first.areas[0].area_code] = first.areas[0]
        draw(list(drawn.values()), chart_slot, 0)
        logger.info("forecast page: first area drawn %.3f s after the request", time.perf_counter() - started)
    bar = status_slot.progress(0.0, text=t("forecasting.page.checking", lang, done=0, count=len(chosen)))

    def on_progress(done: int, total: int, area: str) -> None:
        bar.progress(done / max(total, 1), text=t("forecasting.page.checking", lang, done=done, count=total))

    def on_result(area_result: SeriesForecast) -> None:
        drawn[area_result.area_code] = area_result
        draw([drawn[c] for c in chosen if c in drawn], chart_slot, len(drawn) + 1)

    try:
        result = forecast_frame(frame, metric, chosen, until, progress=on_progress, on_result=on_result, **common)
    finally:
        status_slot.empty()
    logger.info("forecast page: all areas checked %.3f s after the request", time.perf_counter() - started)
    for code, reason in result.failures.items():
        # The library's reason is a technical English sentence: log it, tell the reader in their language.
        logger.info("forecast of %s for %s failed: %s", metric_id, code, reason)
        published = int(frame.loc[frame["area_code"] == code, "value"].notna().sum())
        key = "forecasting.page.failed_too_few" if published < MIN_POINTS else "forecasting.page.failed_other"
        st.warning(t(key, lang, area=ctx.area_label(code), min=MIN_POINTS))
    if not result.areas:
        chart_slot.empty()
        st.stop()
    draw(list(result.areas), chart_slot, len(chosen) + 2)
    ctx.attribution()

    st.header(t("forecasting.page.backtest_title", lang))
    folds = max((a.backtest.n_folds for a in result.areas if a.backtest is not None), default=0)
    st.caption(t("forecasting.page.backtest_caption", lang, folds=folds, years=result.areas[0].settings.backtest_years))
    st.dataframe(backtest_table(result.areas), hide_index=True, width="stretch")

    st.header(t("forecasting.page.scenario_table", lang))
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

    st.header(t("forecasting.page.explanation", lang))
    driver_names = {d: text_plain(by_id[d].name, lang).lower() for d in driver_frames}
    for a in result.areas:
        if len(result.areas) > 1:
            st.markdown(f"**{escape_markdown(ctx.area_label(a.area_code))}**")
        for paragraph in explain(a, lang, unit=unit, decimals=metric.decimals, driver_names=driver_names):
            st.markdown(escape_markdown(paragraph))

    download = result.to_frame()
    st.download_button(t("forecasting.page.download", lang), render.csv_bytes(download, lang, frame_provenance(
                       frame, data.batches(ctx.engine, ctx.db), audience="internal", title=name)),
                       file_name=f"{metric_id}_{t('forecasting.page.file_stem', lang)}_{until}.csv", mime="text/csv", key="fc_csv", on_click="ignore")
