"""Decide what changed for each municipality: compare published metric values before and after a load.

Per metric and municipality (only where the metric had published values before: a first load
is not news) the items are, as language-independent facts:

- `new_period`: periods with a value now that had none (payload: periods, value, previous);
- `revised`: a value that changed where the source revised an input series (the revision is in
  `fact_observation_revision`), old -> new;
- `threshold`: the newest value falls in another band of the metric's `thresholds` than the
  newest value before (good / watch / poor, the metric layer's own rule);
- `target`: the newest value reaches, or no longer reaches, the metric's target;
- `outside_forecast`: a new value lies outside the interval of a forecast trained only on the
  values before the new periods (`forecasting.service.forecast_series`);
- `rank`: the municipality's rank among comparable municipalities (`digest_rank_group`) in the
  newest period differs from its rank in the newest period before.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from forecasting.base import ForecastError, ForecastSettings
from forecasting.metric_adapter import settings_for_metric
from forecasting.service import forecast_series
from kuntamittari.settings import get_settings
from readout.build import value_standing  # the readout's one rule for bands and targets
from metrics.catalog import Catalog
from metrics.model import AnyMetric, Direction
from metrics.service import leaf_metrics, list_areas

logger = logging.getLogger(__name__)

KINDS = ("new_period", "revised", "threshold", "target", "outside_forecast", "rank")


@dataclass(frozen=True)
class DigestEntry:
    """One change for one municipality and metric, before it is stored."""

    batch_id: int
    area_code: str
    metric_id: str
    theme: str
    kind: str
    period: str
    payload: dict[str, Any]


def _num(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _year(period: str) -> int:
    return int(str(period)[:4])


def metric_series(metric: AnyMetric, catalog: Catalog) -> set[str]:
    """Every series the metric reads (through derived metrics too)."""
    return {code for leaf in leaf_metrics(metric, catalog) for code in leaf.input_series()}


def _groups(engine: Engine, kind: str) -> dict[str, str]:
    """Municipality code -> key of its comparison group (same key = comparable)."""
    areas = list_areas(engine, "kunta")
    if kind == "pilot":
        pilot = set(get_settings().pilot_group)
        return {c: "pilot" for c in areas["code"] if c in pilot}
    column = {"similar": "size_class", "region": "region_code", "county": "county_code"}[kind]
    return {str(c): str(k) for c, k in zip(areas["code"], areas[column], strict=True) if isinstance(k, str) and k}


def _ranks(frame: pd.DataFrame, groups: Mapping[str, str], metric: AnyMetric) -> dict[tuple[str, str], tuple[int, int]]:
    """(area, period) -> (rank, group size); rank 1 is the best value of the group in that period."""
    if metric.direction is Direction.NEUTRAL or frame.empty:
        return {}
    df = frame.assign(group=frame["area_code"].map(groups)).dropna(subset=["group", "value"])
    if df.empty:
        return {}
    ascending = metric.direction is Direction.LOWER_IS_BETTER
    ranked = df.groupby(["group", "period"])["value"].rank(ascending=ascending, method="min")
    sizes = df.groupby(["group", "period"])["value"].transform("size")
    return {(a, p): (int(r), int(n)) for a, p, r, n in zip(df["area_code"], df["period"], ranked, sizes, strict=True)}


def _target_state(metric: AnyMetric, area: str, period: str, value: float) -> tuple[bool, Any] | None:
    _band, target = value_standing(metric, area, _year(period), value)
    if target.value is None:
        return None
    return target.verdict == "on_target", target


class _MetricDigest:
    """The items of one metric over every municipality."""

    def __init__(self, metric: AnyMetric, batch_id: int, before: pd.DataFrame, after: pd.DataFrame,
                 revised: set[tuple[str, str]], groups: Mapping[str, str], forecast: ForecastSettings) -> None:
        self.metric, self.batch_id, self.revised, self.forecast = metric, batch_id, revised, forecast
        self.before = {a: dict(zip(g["period"], g["value"], strict=True)) for a, g in before.groupby("area_code")}
        self.after = {a: dict(zip(g["period"], g["value"], strict=True)) for a, g in after.groupby("area_code")}
        self.rank_before = _ranks(before, groups, metric)
        self.rank_after = _ranks(after, groups, metric)
        self.groups = groups
        self.items: list[DigestEntry] = []

    def add(self, area: str, kind: str, period: str, **payload: Any) -> None:
        self.items.append(DigestEntry(self.batch_id, area, self.metric.id, self.metric.theme.value, kind, period, payload))

    def run(self) -> list[DigestEntry]:
        for area, old in self.before.items():
            new = self.after.get(area, {})
            if old and new:
                self.area(area, old, new)
        return self.items

    def area(self, area: str, old: dict[str, float], new: dict[str, float]) -> None:
        precision = 0.5 * 10 ** (-self.metric.decimals - 2)
        fresh = sorted(p for p in new if p not in old)
        prev_latest, latest = max(old), max(new)
        if fresh:
            self.add(area, "new_period", fresh[-1], periods=fresh, value=_num(new[fresh[-1]]),
                     previous_period=prev_latest, previous_value=_num(old[prev_latest]))
        for p in sorted(set(old) & set(new)):
            if (area, p) in self.revised and abs(new[p] - old[p]) > precision:
                self.add(area, "revised", p, old=_num(old[p]), new=_num(new[p]))
        if latest == prev_latest and abs(new[latest] - old[prev_latest]) <= precision:
            return
        self.judgements(area, prev_latest, float(old[prev_latest]), latest, float(new[latest]))
        if fresh:
            self.outside_forecast(area, new, fresh)

    def judgements(self, area: str, p0: str, v0: float, p1: str, v1: float) -> None:
        m = self.metric
        b0 = value_standing(m, area, _year(p0), v0)[0]
        b1 = value_standing(m, area, _year(p1), v1)[0]
        if b0 is not None and b1 is not None and b0 != b1:
            self.add(area, "threshold", p1, from_band=b0, to_band=b1, value=v1, previous_value=v0,
                     previous_period=p0, good=m.thresholds.good, poor=m.thresholds.poor)  # type: ignore[union-attr]
        s0, s1 = _target_state(m, area, p0, v0), _target_state(m, area, p1, v1)
        if s0 is not None and s1 is not None and s0[0] != s1[0]:
            self.add(area, "target", p1, reached=s1[0], value=v1, target=float(s1[1].value), target_year=int(s1[1].year),
                     previous_value=v0, previous_period=p0)
        r0, r1 = self.rank_before.get((area, p0)), self.rank_after.get((area, p1))
        if r0 is not None and r1 is not None and r0[0] != r1[0]:
            self.add(area, "rank", p1, rank=r1[0], of=r1[1], previous_rank=r0[0], previous_of=r0[1],
                     previous_period=p0, group=get_settings().digest_rank_group, group_key=self.groups.get(area))

    def outside_forecast(self, area: str, new: dict[str, float], fresh: list[str]) -> None:
        history = pd.DataFrame({"period": [p for p in sorted(new) if p < fresh[0]]})
        history["value"] = [new[p] for p in history["period"]]
        try:
            result = forecast_series(history, _year(fresh[-1]), self.forecast, area_code=area)
        except ForecastError as exc:  # too short a history: no forecast to compare with
            logger.debug("digest %s %s: no forecast (%s)", self.metric.id, area, exc)
            return
        bands = {str(r.period): r for r in result.forecast.itertuples(index=False)}
        for p in fresh:
            row = bands.get(p)
            if row is None or _num(row.lower) is None or _num(row.upper) is None:
                continue
            value = float(new[p])
            if value < row.lower or value > row.upper:
                self.add(area, "outside_forecast", p, value=value, yhat=_num(row.yhat), lower=_num(row.lower),
                         upper=_num(row.upper), model=result.model, side="above" if value > row.upper else "below",
                         trained_until=str(history["period"].iloc[-1]))


def compute_digest(engine: Engine, catalog: Catalog, before: pd.DataFrame, after: pd.DataFrame, *,
                   batch_of_series: Mapping[str, int], revised: pd.DataFrame) -> list[DigestEntry]:
    """Items for every metric that reads a series loaded by the batches (`batch_of_series`).

    `before`/`after` are `digest.snapshot.take_snapshot` frames; `revised` is
    `digest.evidence.revised_values` of the batches (the source's revisions).
    """
    settings = get_settings()
    groups = _groups(engine, settings.digest_rank_group)
    base = ForecastSettings(models=tuple(settings.digest_forecast_models), backtest_folds=0)
    revised_total = revised[revised["group_code"] == "total"] if not revised.empty else revised
    items: list[DigestEntry] = []
    for metric in sorted(catalog.metrics.values(), key=lambda m: m.id):
        codes = metric_series(metric, catalog) & set(batch_of_series)
        if not codes:
            continue
        batch_id = max(batch_of_series[c] for c in codes)
        rev = revised_total[revised_total["series_code"].isin(metric_series(metric, catalog))] if not revised_total.empty else revised_total
        keys = set(zip(rev["area_code"], rev["period_code"], strict=True)) if not rev.empty else set()
        items += _MetricDigest(
            metric, batch_id, before[before["metric_id"] == metric.id], after[after["metric_id"] == metric.id],
            keys, groups, settings_for_metric(metric, base),
        ).run()
    return items
