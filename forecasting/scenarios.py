"""Scenarios: what the future looks like if something is decided or happens.

Kinds (validated pydantic models, also loadable from YAML with `load_scenarios`):

- `baseline`: the forecast as it is;
- `target`: the straight path from the last observed value to the metric's target by its year,
  and the yearly change that path needs (`required_change_per_year`);
- `level_shift`: the baseline moved by `amount` from `from_year` on (e.g. a new service lowers
  the level by 2 points from 2026);
- `trend_change`: the baseline's yearly change altered by `per_year` from `from_year` on: the
  adjustment is `per_year` in `from_year`, `2*per_year` a year later, and so on;
- `driver`: the forecast with a driver series as an extra Prophet regressor (e.g. unemployment
  for income support), the driver held at its last value, or moved by `amount` from `from_year`.

The arithmetic works on forecast frames (`period, yhat, lower, upper`) and is pure; adjustments
move the interval with the central value (the scenario is as uncertain as the forecast it is
built on).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Union

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from forecasting.base import (
    PERIODS_PER_YEAR,
    ForecastError,
    ForecastSettings,
    parse_period,
    period_position,
    prepare_history,
)

logger = logging.getLogger(__name__)


class ScenarioError(ForecastError):
    """A scenario that cannot be built (bad file, target year already past, no driver data)."""


_FROZEN = ConfigDict(extra="forbid", frozen=True)


class BaselineScenario(BaseModel):
    model_config = _FROZEN
    kind: Literal["baseline"] = "baseline"


class TargetScenario(BaseModel):
    model_config = _FROZEN
    kind: Literal["target"] = "target"
    value: float
    year: int = Field(ge=1900, le=2100)


class LevelShiftScenario(BaseModel):
    model_config = _FROZEN
    kind: Literal["level_shift"] = "level_shift"
    from_year: int = Field(ge=1900, le=2100)
    amount: float


class TrendChangeScenario(BaseModel):
    model_config = _FROZEN
    kind: Literal["trend_change"] = "trend_change"
    from_year: int = Field(ge=1900, le=2100)
    per_year: float


class DriverScenario(BaseModel):
    model_config = _FROZEN
    kind: Literal["driver"] = "driver"
    driver: str = Field(min_length=1, description="Metric id of the driver series")
    from_year: int = Field(ge=1900, le=2100)
    amount: float = Field(description="Change of the driver's level from from_year on")


Scenario = Annotated[
    Union[BaselineScenario, TargetScenario, LevelShiftScenario, TrendChangeScenario, DriverScenario],
    Field(discriminator="kind"),
]
_ADAPTER: TypeAdapter[Scenario] = TypeAdapter(Scenario)


def parse_scenario(data: object) -> Scenario:
    """One scenario from a dict (as in YAML or JSON); raises ScenarioError with the field."""
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "scenario"
        raise ScenarioError(f"{where}: {first['msg']}") from None


def load_scenarios(path: Path) -> tuple[Scenario, ...]:
    """Scenarios from a YAML list; errors name the file, line and field of the first bad item."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"{path}{line}: not valid YAML") from None
    if data is None:
        return ()
    if not isinstance(data, list):
        raise ScenarioError(f"{path}:1: expected a list of scenarios")
    out: list[Scenario] = []
    for index, item in enumerate(data):
        line = node.value[index].start_mark.line + 1 if node is not None else 0
        try:
            out.append(parse_scenario(item))
        except ScenarioError as exc:
            raise ScenarioError(f"{path}:{line}: scenario {index + 1}: {exc}") from None
    return tuple(out)


def scenario_key(scenario: Scenario) -> str:
    """A short stable identifier used as the scenario column in tables and the CSV."""
    match scenario:
        case BaselineScenario():
            return "baseline"
        case TargetScenario(value=v, year=y):
            return f"target:{v:g}@{y}"
        case LevelShiftScenario(from_year=y, amount=a):
            return f"level_shift:{a:+g}@{y}"
        case TrendChangeScenario(from_year=y, per_year=p):
            return f"trend_change:{p:+g}/y@{y}"
        case DriverScenario(driver=d, from_year=y, amount=a):
            return f"driver:{d}:{a:+g}@{y}"
    raise ScenarioError(f"unknown scenario {scenario!r}")  # pragma: no cover


# --------------------------------------------------------------------------------------------
# Arithmetic


def required_change_per_year(last_period: str, last_value: float, target_year: int, target_value: float) -> float:
    """The constant yearly change that takes the last observed value to the target by its year."""
    years = target_year + (1 - 1 / PERIODS_PER_YEAR[parse_period(last_period)[0]]) - period_position(last_period)
    if years <= 0:
        raise ScenarioError(f"target year {target_year} is not after the last observation {last_period}")
    return (target_value - last_value) / years


def target_path(last_period: str, last_value: float, target_year: int, target_value: float,
                periods: Sequence[str]) -> pd.DataFrame:
    """The straight line from the last observation to the target (held after the target year)."""
    change = required_change_per_year(last_period, last_value, target_year, target_value)
    start = period_position(last_period)
    values = []
    for p in periods:
        if parse_period(p)[1] > target_year:
            values.append(target_value)
        else:
            values.append(last_value + change * (period_position(p) - start))
    arr = np.asarray(values, dtype="float64")
    return pd.DataFrame({"period": list(periods), "yhat": arr, "lower": np.nan, "upper": np.nan})


def _from_mask(periods: Sequence[str], from_year: int) -> np.ndarray:
    return np.array([parse_period(p)[1] >= from_year for p in periods], dtype=bool)


def apply_level_shift(forecast: pd.DataFrame, from_year: int, amount: float) -> pd.DataFrame:
    """The forecast moved by `amount` in every period of `from_year` and later."""
    out = forecast[["period", "yhat", "lower", "upper"]].copy()
    mask = _from_mask(out["period"].tolist(), from_year)
    for column in ("yhat", "lower", "upper"):
        out.loc[mask, column] = out.loc[mask, column] + amount
    return out


def apply_trend_change(forecast: pd.DataFrame, from_year: int, per_year: float) -> pd.DataFrame:
    """The forecast with its yearly change altered by `per_year` from `from_year` on.

    The adjustment grows linearly: `per_year * (years since the start of from_year, counted so
    that from_year itself gets one step)`; for yearly data that is per_year, 2*per_year, ...
    """
    out = forecast[["period", "yhat", "lower", "upper"]].copy()
    periods = out["period"].tolist()
    if not periods:
        return out
    per = PERIODS_PER_YEAR[parse_period(periods[0])[0]]
    steps = np.array([period_position(p) - from_year + 1 / per for p in periods])
    adjustment = np.where(steps > 0, steps * per_year, 0.0)
    for column in ("yhat", "lower", "upper"):
        out[column] = out[column].to_numpy(dtype="float64") + adjustment
    return out


@dataclass(frozen=True)
class DriverResult:
    """A forecast with a driver regressor, with the driver unchanged and with the change."""

    unchanged: pd.DataFrame
    changed: pd.DataFrame
    effect_per_unit: float
    driver_last: float
    points: int


def driver_forecast(history: pd.DataFrame, driver_history: pd.DataFrame, periods: Sequence[str],
                    settings: ForecastSettings, from_year: int, amount: float) -> DriverResult:
    """Fit Prophet with the driver as a regressor on the periods both series share.

    The driver's future is its last observed value ("unchanged"), or that value plus `amount`
    from `from_year` on ("changed"); the difference between the two is the scenario's effect.
    """
    from forecasting.prophet_model import ProphetForecaster

    target = prepare_history(history, name="history")
    driver = prepare_history(driver_history, name="driver")
    joined = target.merge(driver.rename(columns={"value": "driver"}), on="period", how="inner")
    if len(joined) < max(settings.min_train, 5):
        raise ScenarioError(f"driver: only {len(joined)} periods shared with the driver series")
    model = ProphetForecaster(settings, regressors=("driver",)).fit(joined)
    last = float(driver["value"].iloc[-1])
    base = np.full(len(periods), last)
    shifted = base + np.where(_from_mask(periods, from_year), amount, 0.0)
    unchanged = model.predict(periods, {"driver": base})
    changed = model.predict(periods, {"driver": shifted})
    return DriverResult(unchanged, changed, model.regressor_effect("driver"), last, len(joined))


#: Driver series worth offering first for a metric (a plausible mechanism, data in the bundle).
SUGGESTED_DRIVERS: dict[str, tuple[str, ...]] = {
    "income_support_recipients": ("unemployment_rate", "hard_to_employ_share"),
    "income_support_cost_per_resident": ("unemployment_rate", "hard_to_employ_share"),
    "low_income_rate": ("unemployment_rate",),
    "sickness_allowance_recipients": ("unemployment_rate",),
    "depression_medication": ("unemployment_rate",),
}


def suggested_drivers(metric_id: str, available: Sequence[str]) -> list[str]:
    """Driver metric ids for `metric_id`: the suggested ones first, then every other available."""
    first = [d for d in SUGGESTED_DRIVERS.get(metric_id, ()) if d in available]
    return first + [d for d in available if d not in first and d != metric_id]
