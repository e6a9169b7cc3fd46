"""Plain-language explanation of a forecast, generated from its numbers, in fi/sv/en.

A participant in a municipal workshop should be able to read what the model says and how much to
trust it without knowing what Prophet is: which way the forecast goes and how fast, how wide the
interval is at the end and how often such a band held in past years, which model the backtest
recommends (or that the models are equally good, and when "same as last year" is as good), what
each scenario changes, and the caveats (few points, gaps, breaks, suppressed values, a horizon
longer than the backtest checked, partial or withheld values with the readout's status words).
Every sentence is a template in `locales/<lang>/forecasting.yaml`, filled with numbers from
`readout.formatting`.

The words live in the readout like every other sentence about a number; the readout reads the
forecasting layer's result types (`forecasting.results`), never the other way round.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from forecasting.base import PERIODS_PER_YEAR, parse_period, period_ordinal, period_year
from forecasting.horizon import is_long
from forecasting.results import HistoryNote, ScenarioOutcome, SeriesForecast
from kuntamittari.i18n import normalise_language, t
from readout.formatting import format_number, format_period
from readout.localise import status_text
from readout.model import Point

logger = logging.getLogger(__name__)

FEW_POINTS = 10


def fmt_number(value: float | None, decimals: int = 1, lang: str = "fi", *, signed: bool = False) -> str:
    """A number as the rest of the app writes it (`readout.formatting`): `1 234,5` in fi/sv."""
    return format_number(value, normalise_language(lang), decimals, signed=signed)


def model_label(model: str, lang: str) -> str:
    """The reader's name of a model ('same as last year' for naive)."""
    return t(f"forecasting.model.{model}", lang)


def _capitalised(text: str) -> str:
    """A label that starts a sentence ("the Theta method forecasts" -> "The Theta method ...")."""
    return text[:1].upper() + text[1:]


def _per_year_change(start_period: str, start: float, end_period: str, end: float) -> float:
    grain = parse_period(start_period)[0]
    years = (period_ordinal(end_period) - period_ordinal(start_period)) / PERIODS_PER_YEAR[grain]
    return (end - start) / years if years > 0 else 0.0


def explain(result: SeriesForecast, lang: str = "fi", *, unit: str = "", decimals: int = 1,
            driver_names: dict[str, str] | None = None) -> list[str]:
    """Paragraphs explaining `result` in `lang`: trend, interval, backtest, scenarios, caveats."""
    lang = normalise_language(lang)

    def n(value: float | None, signed: bool = False) -> str:
        return fmt_number(value, decimals, lang, signed=signed)

    def nu(value: float | None, signed: bool = False, change: bool = False) -> str:
        """A value with its unit; a change of a percentage is in percentage points."""
        text = n(value, signed)
        if not unit:
            return text
        if change and unit == "%":
            return f"{text}\u00a0{t('forecasting.unit.pp', lang)}"
        return f"{text}\u00a0{unit}"

    out: list[str] = []
    last_p, last_v = result.last_period, result.last_value
    fc = result.forecast
    if last_p is None or last_v is None or fc.empty:
        out.append(t("forecasting.explain.no_forecast", lang))
    else:
        end_p, end_v = str(fc["period"].iloc[-1]), float(fc["yhat"].iloc[-1])
        per_year = _per_year_change(last_p, last_v, end_p, end_v)
        flat = abs(end_v - last_v) < max(0.5 * 10 ** (-decimals), 0.01 * abs(last_v))
        key = "flat" if flat else ("up" if end_v > last_v else "down")
        out.append(t(f"forecasting.explain.trend_{key}", lang, model=_capitalised(model_label(result.model, lang)),
                     start=nu(last_v), start_period=format_period(last_p, lang), end=nu(end_v),
                     end_period=format_period(end_p, lang),
                     per_year=nu(per_year, signed=True, change=True)))
        lower, upper = float(fc["lower"].iloc[-1]), float(fc["upper"].iloc[-1])
        if math.isfinite(lower) and math.isfinite(upper):
            out.append(t("forecasting.explain.interval", lang, level=round(result.settings.interval_width * 100),
                         period=format_period(end_p, lang), lower=nu(lower), upper=nu(upper), width=nu(upper - lower, change=True))
                       + " " + coverage_text(result, lang))
    out.append(_choice_text(result, lang, nu))
    for outcome in result.outcomes:
        text = _scenario_text(outcome, result, lang, nu, driver_names or {})
        if text:
            out.append(text)
    out.extend(_caveats(result, lang))
    return out


def coverage_text(result: SeriesForecast, lang: str) -> str:
    """How often a band built this way held in past years, or why it was not checked."""
    if result.pending:
        return t("forecasting.explain.coverage_pending", lang)
    calibration = result.shown.calibration
    if calibration is None or not calibration.calibrated or not calibration.checked:
        return t("forecasting.explain.coverage_unchecked", lang)
    return t("forecasting.explain.coverage", lang, inside=calibration.hits, checked=calibration.checked)


def _choice_text(result: SeriesForecast, lang: str, nu: Any) -> str:
    """Which model the backtest recommends, or that the models are equally good."""
    if result.pending:
        return t("forecasting.explain.recommend_pending", lang, model=model_label(result.model, lang))
    bt = result.backtest
    choice = result.recommendation
    best = bt.score(choice.shown) if bt is not None else None
    if bt is None or best is None or best.folds == 0 or choice.folds == 0:
        return t("forecasting.explain.backtest_none", lang)
    if choice.clear:
        others = sorted((s for s in bt.scores if s.model != choice.shown and s.folds), key=lambda s: s.mae)
        runner = others[0] if others else best
        text = t("forecasting.explain.recommend_clear", lang, model=model_label(choice.shown, lang), folds=choice.folds,
                 mae=nu(best.mae, change=True), mae_next=nu(runner.mae, change=True), next=model_label(runner.model, lang))
    else:
        names = [model_label(m, lang) for m in choice.equally_good]
        text = t("forecasting.explain.recommend_tie", lang, folds=choice.folds, models=", ".join(names),
                 model=model_label(choice.shown, lang), mae=nu(best.mae, change=True))
    if choice.naive_as_good:
        text += " " + t("forecasting.explain.naive_as_good", lang, naive=_capitalised(model_label("naive", lang)))
    return text


def _scenario_text(o: ScenarioOutcome, result: SeriesForecast, lang: str, nu: Any,
                   driver_names: dict[str, str]) -> str | None:
    if o.kind == "baseline":
        return None
    if o.error is not None:
        return t("forecasting.explain.scenario_failed", lang, scenario=t(f"forecasting.scenario.{o.kind}", lang))
    p = o.params
    common = {"end": nu(o.end_value), "base": nu(o.baseline_end_value), "period": format_period(o.end_period, lang) if o.end_period else ""}
    if o.kind == "target":
        base_change = None
        if result.last_period and result.last_value is not None and not result.forecast.empty:
            base_change = _per_year_change(result.last_period, result.last_value,
                                           str(result.forecast["period"].iloc[-1]), float(result.forecast["yhat"].iloc[-1]))
        return t("forecasting.explain.target", lang, value=nu(p["value"]), year=p["year"],
                 required=nu(o.required_change_per_year, signed=True, change=True),
                 base_change=nu(base_change, signed=True, change=True))
    if o.kind == "level_shift":
        return t("forecasting.explain.level_shift", lang, amount=nu(p["amount"], signed=True, change=True), from_year=p["from_year"], **common)
    if o.kind == "trend_change":
        return t("forecasting.explain.trend_change", lang, per_year=nu(p["per_year"], signed=True, change=True),
                 from_year=p["from_year"], **common)
    if o.kind == "driver":
        name = driver_names.get(p["driver"], p["driver"])
        return t("forecasting.explain.driver", lang, driver=name, amount=fmt_number(p["amount"], 1, lang, signed=True),
                 from_year=p["from_year"], effect=nu(o.effect_per_unit, signed=True, change=True), **common)
    return None


def _noted_value(note: HistoryNote, lang: str) -> str:
    """'2011: partial, coverage 97 %': the period with the readout's own status words."""
    point = Point(period=note.period, year=period_year(note.period), value=None, status=note.status,  # type: ignore[arg-type]
                  coverage=note.coverage)
    return f"{format_period(note.period, lang)}: {status_text(point, lang)}"


def _caveats(result: SeriesForecast, lang: str) -> list[str]:
    out: list[str] = []
    n_points = len(result.history)
    if result.last_period is not None and not result.forecast.empty:
        last_year = period_year(result.last_period)
        end_year = period_year(str(result.forecast["period"].iloc[-1]))
        if is_long(end_year, last_year, result.settings.backtest_years):
            out.append(t("forecasting.explain.long_horizon", lang, years=end_year - last_year,
                         checked=result.settings.backtest_years))
    if n_points < FEW_POINTS:
        out.append(t("forecasting.explain.few_points", lang, count=n_points))
    if result.gaps:
        out.append(t("forecasting.explain.gaps", lang, periods=", ".join(format_period(p, lang) for p in result.gaps[:8])))
    if result.breaks:
        out.append(t("forecasting.explain.breaks", lang, periods=", ".join(format_period(p, lang) for p in result.breaks[:8])))
    if result.dropped:
        out.append(t("forecasting.explain.suppressed", lang, count=result.dropped))
    for key, notes in (("partial", result.partial), ("withheld", result.withheld)):
        if notes:
            out.append(t(f"forecasting.explain.{key}", lang, values="; ".join(_noted_value(n, lang) for n in notes)))
    bounds = result.settings.bounds
    if bounds is not None and math.isfinite(bounds[0]) and math.isfinite(bounds[1]):
        out.append(t("forecasting.explain.bounded", lang, floor=fmt_number(bounds[0], 0, lang),
                     cap=fmt_number(bounds[1], 0, lang)))
    elif bounds is not None and math.isfinite(bounds[0]):
        out.append(t("forecasting.explain.floored", lang, floor=fmt_number(bounds[0], 0, lang)))
    if "prophet" in result.settings.models and result.get_model("prophet") is None:
        out.append(t("forecasting.explain.prophet_missing", lang))
    return out
