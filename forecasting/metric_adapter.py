"""Metric adapters: from a metric of the catalogue to the forecasting layer's plain inputs.

- `bounds_for_metric`: the metric's range, so no bound leaves it: 0-100 for a share in per
  cent, a floor of 0 for counts, rates, euros and indices, none for a difference (net migration
  can be negative);
- `published_history`: the metric's values by area with everything hidden by disclosure control
  dropped *before* fitting, and every value without enough coverage to be the area's figure
  (status `insufficient`) left out as a gap, never fitted as if it were real;
- `history_notes`: which history values are partial (fitted and marked) or withheld, with their
  coverage, so the explanation, the JSON and the CSV say what the cards and the public summary say;
- `target_for`: the metric's own target as a target-path scenario;
- `forecast_metric` / `forecast_frame`: read (or take) the metric's values and forecast each area.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from forecasting.base import ForecastSettings, period_year
from forecasting.pool import ExecutorKind
from forecasting.results import HistoryNote, MetricForecast, SeriesForecast
from forecasting.scenarios import DriverScenario, Scenario, TargetScenario
from forecasting.service import OnResult, Progress, forecast_many

PERCENT_WORDS = ("%", "prosent", "per cent", "percent", "procent")
#: words of a metric id or English name that mark a difference of two quantities (may be negative)
SIGNED_WORDS = ("net_", "balance", "net ")


def _unit_texts(metric: Any) -> list[str]:
    unit = getattr(metric, "unit", None)
    if unit is None:
        return []
    if isinstance(unit, str):
        return [unit]
    if hasattr(unit, "as_dict"):
        return [str(v) for v in unit.as_dict().values() if v]
    if isinstance(unit, Mapping):
        return [str(v) for v in unit.values()]
    return []


def may_be_negative(metric: Any) -> bool:
    """A difference of two quantities (a derived metric that subtracts, a net or balance figure)."""
    if getattr(metric, "kind", None) == "derived" and "-" in str(getattr(metric, "expression", "")):
        return True
    name = getattr(metric, "name", None)
    english = str(name.as_dict().get("en") or "") if hasattr(name, "as_dict") else ""
    text = f"{getattr(metric, 'id', '')} {english}".lower()
    return any(word in text for word in SIGNED_WORDS)


def bounds_for_metric(metric: Any) -> tuple[float, float] | None:
    """(0, 100) for a per-cent metric, (0, inf) for other non-negative ones, None when it can be
    negative. `planning.range_for_values` loosens a side that the published values cross (a
    "per cent" such as relative indebtedness can exceed 100)."""
    if may_be_negative(metric):
        return None
    joined = " ".join(_unit_texts(metric)).lower()
    if any(word in joined for word in PERCENT_WORDS):
        return (0.0, 100.0)
    return (0.0, math.inf)


def settings_for_metric(metric: Any, base: ForecastSettings | None = None) -> ForecastSettings:
    """The default settings with the metric's range."""
    base = base or ForecastSettings()
    return dataclasses.replace(base, bounds=bounds_for_metric(metric))


def target_for(metric: Any, area_code: str, after_year: int) -> TargetScenario | None:
    """The metric's first target after `after_year` for this area (area-specific wins over general)."""
    targets = list(getattr(metric, "targets", ()) or ())
    candidates = [t for t in targets if getattr(t, "year", 0) > after_year
                  and getattr(t, "area", None) in (None, "", area_code)]
    if not candidates:
        return None
    candidates.sort(key=lambda t: (t.year, 0 if getattr(t, "area", None) == area_code else 1))
    chosen = candidates[0]
    return TargetScenario(value=float(chosen.value), year=int(chosen.year))


def published_history(frame: pd.DataFrame, min_count: int) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Split a metric frame by area into published (period, value) histories and dropped counts.

    Rows with status 'suppressed', or a numerator below `min_count` (metrics.disclosure's rule),
    are dropped before anything is fitted, and their values never leave this function. A value
    with status 'insufficient' (too little coverage to be the area's figure) is left out as a gap
    and not counted as hidden by disclosure control (`history_notes` reports it).
    """
    from metrics.disclosure import apply_disclosure, visible

    if frame.empty:
        return {}, {}
    df = frame.copy()
    status = df["status"].astype(str).str.lower() if "status" in df.columns else pd.Series("ok", index=df.index)
    df["suppressed"] = status.eq("suppressed").astype(bool)
    df = df[~status.eq("insufficient")]
    keys = [c for c in ("area_code", "period") if c in df.columns]
    shown = visible(apply_disclosure(df.drop(columns=["group_code"], errors="ignore"), min_count, key_columns=keys))
    shown = shown[pd.to_numeric(shown["value"], errors="coerce").notna()]
    histories: dict[str, pd.DataFrame] = {}
    dropped: dict[str, int] = {}
    for area in frame["area_code"].drop_duplicates():
        group, pub = df[df["area_code"] == area], shown[shown["area_code"] == area]
        histories[str(area)] = pub[["period", "value"]].reset_index(drop=True)
        dropped[str(area)] = max(0, int((group["value"].notna() | group["suppressed"]).sum()) - len(pub))
    return histories, dropped


def history_notes(frame: pd.DataFrame) -> dict[str, tuple[HistoryNote, ...]]:
    """Per area, the history values that are not plain figures: partial ones (kept, marked with
    their coverage) and insufficient ones (left out), by period. Empty without a status column."""
    if frame.empty or "status" not in frame.columns:
        return {}
    status = frame["status"].astype(str).str.lower()
    marked = frame[status.isin(("partial", "insufficient"))]
    coverage = marked["coverage"] if "coverage" in marked.columns else pd.Series(float("nan"), index=marked.index)
    notes: dict[str, list[HistoryNote]] = {}
    for area, period, state, share in zip(marked["area_code"], marked["period"], status[marked.index], coverage, strict=True):
        share = None if pd.isna(share) else float(share)
        notes.setdefault(str(area), []).append(HistoryNote(str(period), str(state), share))
    return {area: tuple(sorted(items, key=lambda n: n.period)) for area, items in notes.items()}


def last_year(frame: pd.DataFrame) -> int | None:
    """The last year with a value in a metric frame (None when it has none)."""
    if frame.empty or "value" not in frame.columns:
        return None
    periods = frame.loc[pd.to_numeric(frame["value"], errors="coerce").notna(), "period"]
    return max((period_year(str(p)) for p in periods), default=None)


def forecast_metric(engine: Any, catalog: Any, metric_id: str, areas: Sequence[str], until: int, *,
                    settings: ForecastSettings | None = None, scenarios: Sequence[Scenario] = (),
                    with_target: bool = False, executor: ExecutorKind = "auto",
                    progress: Progress | None = None) -> MetricForecast:
    """Forecast `metric_id` for each area to `until`, reading the values from the database.

    Driver scenarios read the driver metric for the same areas. See `forecast_frame`.
    """
    from metrics.model import Selection
    from metrics.service import query_metric

    metric = catalog.get(metric_id)
    frame = query_metric(engine, catalog, metric_id, Selection(areas=tuple(areas)))
    driver_frames = {
        driver_id: query_metric(engine, catalog, driver_id, Selection(areas=tuple(areas)))
        for driver_id in sorted({s.driver for s in scenarios if isinstance(s, DriverScenario)})
    }
    driver_min = {d: int(getattr(catalog.get(d), "min_count", 5)) for d in driver_frames}
    return forecast_frame(frame, metric, areas, until, settings=settings, scenarios=scenarios,
                          with_target=with_target, driver_frames=driver_frames, driver_min_counts=driver_min,
                          executor=executor, progress=progress)


def forecast_frame(frame: pd.DataFrame, metric: Any, areas: Sequence[str], until: int, *,
                   settings: ForecastSettings | None = None, scenarios: Sequence[Scenario] = (),
                   with_target: bool = False, driver_frames: Mapping[str, pd.DataFrame] | None = None,
                   driver_min_counts: Mapping[str, int] | None = None, executor: ExecutorKind = "auto",
                   progress: Progress | None = None, on_result: OnResult | None = None,
                   with_backtest: bool = True) -> MetricForecast:
    """Forecast a metric frame already read by `metrics.service.query_metric` (the page reads it
    through its own cache, then calls this).

    Suppressed values are dropped first (`published_history`). `with_target` adds the metric's
    own target path for each area with a target after its last observation.
    """
    settings = settings_for_metric(metric, settings)
    histories, dropped = published_history(frame, int(getattr(metric, "min_count", 5)))
    notes = history_notes(frame)
    noted = _noting(notes)
    if on_result is not None:
        on_result = _with_notes(on_result, noted)
    histories = {a: histories.get(a, pd.DataFrame({"period": [], "value": []})) for a in areas}
    drivers = _driver_histories(areas, driver_frames or {}, driver_min_counts or {})
    groups: dict[tuple[Scenario, ...], list[str]] = {}
    for area in areas:  # areas with the same scenario list are fitted together (usually all)
        groups.setdefault(_area_scenarios(metric, area, histories[area], scenarios, with_target), []).append(area)
    results: dict[str, SeriesForecast] = {}
    failures: dict[str, str] = {}
    done_before = 0
    for scen, group_areas in groups.items():

        def _progress(done: int, total: int, area: str, offset: int = done_before) -> None:
            if progress:
                progress(offset + done, len(areas), area)

        res, fail = forecast_many({a: histories[a] for a in group_areas}, until, settings, scen,
                                  {a: drivers[a] for a in group_areas}, dropped=dropped, executor=executor,
                                  progress=_progress, on_result=on_result, with_backtest=with_backtest)
        results.update({a: noted(r) for a, r in res.items()})
        failures.update(fail)
        done_before += len(group_areas)
    ordered = tuple(results[a] for a in areas if a in results)
    return MetricForecast(str(getattr(metric, "id", "metric")), until, ordered, failures)


def _noting(notes: Mapping[str, tuple[HistoryNote, ...]]) -> Callable[[SeriesForecast], SeriesForecast]:
    """A result with its area's history notes (a copy: cached results are shared, never changed)."""

    def noted(result: SeriesForecast) -> SeriesForecast:
        found = notes.get(result.area_code, ())
        return dataclasses.replace(result, notes=found) if found != result.notes else result

    return noted


def _with_notes(on_result: OnResult, noted: Callable[[SeriesForecast], SeriesForecast]) -> OnResult:
    def callback(result: SeriesForecast) -> None:
        on_result(noted(result))

    return callback


def _driver_histories(areas: Sequence[str], driver_frames: Mapping[str, pd.DataFrame],
                      min_counts: Mapping[str, int]) -> dict[str, dict[str, pd.DataFrame]]:
    drivers: dict[str, dict[str, pd.DataFrame]] = {a: {} for a in areas}
    for driver_id, driver_frame in driver_frames.items():
        driver_hist, _ = published_history(driver_frame, int(min_counts.get(driver_id, 5)))
        for area in areas:
            drivers[area][driver_id] = driver_hist.get(area, pd.DataFrame({"period": [], "value": []}))
    return drivers


def _area_scenarios(metric: Any, area: str, history: pd.DataFrame, scenarios: Sequence[Scenario],
                    with_target: bool) -> tuple[Scenario, ...]:
    scen = tuple(scenarios)
    if with_target and not history.empty:
        target = target_for(metric, area, max(period_year(str(p)) for p in history["period"]))
        if target is not None:
            scen = scen + (target,)
    return scen
