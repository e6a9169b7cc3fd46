"""The frame contract every forecaster honours, its settings, period arithmetic and errors.

Forecasting works on plain DataFrames so it can be tested, benchmarked and run from the CLI
without a database or Streamlit:

- a **history** frame has columns `period` (a period code: `2011`, `2011Q3`, `2011M07`) and
  `value` (float), one row per period, sorted; `prepare_history` makes one from any input and
  says which row is wrong when it cannot;
- a **forecast** frame has columns `period, yhat, lower, upper, model`.

Period codes are turned into integer ordinals (years, or months since year 0) so naive and
drift baselines, backtests and scenarios all do their arithmetic on the same axis, and gaps
(a year suppressed by disclosure control, a break in the series) stay visible as gaps.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

FORECAST_COLUMNS: tuple[str, ...] = ("period", "yhat", "lower", "upper", "model")
BAND_COLUMNS: tuple[str, ...] = ("yhat", "lower", "upper")  # adjacent, in this order, in FORECAST_COLUMNS
_BAND_AT = slice(FORECAST_COLUMNS.index(BAND_COLUMNS[0]), FORECAST_COLUMNS.index(BAND_COLUMNS[-1]) + 1)
HISTORY_COLUMNS: tuple[str, ...] = ("period", "value")

Grain = Literal["year", "quarter", "month"]
#: The models every forecast fits, in the order tables list them (see `models.py`).
DEFAULT_MODELS: tuple[str, ...] = ("ets", "theta", "combination", "prophet", "drift", "naive")
PERIODS_PER_YEAR: dict[str, int] = {"year": 1, "quarter": 4, "month": 12}
_PERIOD_RE = re.compile(r"^(?P<year>\d{4})(?:(?P<kind>[QM])(?P<sub>\d{1,2}))?$")


class ForecastError(Exception):
    """Base class of the forecasting layer's errors (the CLI maps them to exit code 1)."""


class PeriodError(ForecastError):
    """A period code that is not `YYYY`, `YYYYQn` or `YYYYMmm`, or mixed grains in one series."""


class HistoryError(ForecastError):
    """The history frame cannot be used (missing column, non-numeric value, duplicate period)."""


class NotEnoughDataError(ForecastError):
    """Too few observed points to fit a model (after suppressed values are dropped)."""


# --------------------------------------------------------------------------------------------
# Periods


@functools.lru_cache(maxsize=8192)
def parse_period(code: str) -> tuple[Grain, int, int]:
    """`'2011'` -> ('year', 2011, 1); `'2011Q3'` -> ('quarter', 2011, 3); `'2011M07'` -> ('month', 2011, 7).

    Memoised: every fit, backtest fold and calibration parses the same few dozen codes."""
    match = _PERIOD_RE.match(str(code).strip())
    if not match:
        raise PeriodError(f"period {code!r} is not YYYY, YYYYQn or YYYYMmm")
    year = int(match["year"])
    kind = match["kind"]
    if kind is None:
        return "year", year, 1
    sub = int(match["sub"])
    if kind == "Q":
        if not 1 <= sub <= 4:
            raise PeriodError(f"period {code!r}: quarter must be 1-4")
        return "quarter", year, sub
    if not 1 <= sub <= 12:
        raise PeriodError(f"period {code!r}: month must be 01-12")
    return "month", year, sub


def period_ordinal(code: str) -> int:
    """An integer on the period's own axis: the year, or year*4+q-1, or year*12+m-1."""
    grain, year, sub = parse_period(code)
    return year * PERIODS_PER_YEAR[grain] + sub - 1


def period_from_ordinal(grain: Grain, ordinal: int) -> str:
    """Inverse of `period_ordinal` for a known grain."""
    per_year = PERIODS_PER_YEAR[grain]
    year, sub = divmod(int(ordinal), per_year)
    if grain == "year":
        return f"{year}"
    if grain == "quarter":
        return f"{year}Q{sub + 1}"
    return f"{year}M{sub + 1:02d}"


def period_year(code: str) -> int:
    """The calendar year of a period code."""
    return parse_period(code)[1]


def period_position(code: str) -> float:
    """The period's start on a year axis, in years: 2011 -> 2011.0, 2011Q3 -> 2011.5,
    2011M04 -> 2011.25 (the forecast chart's x, the scenarios' time since the last period)."""
    grain, _, _ = parse_period(code)
    return period_ordinal(code) / PERIODS_PER_YEAR[grain]


def period_timestamp(code: str) -> pd.Timestamp:
    """The first day of the period (Prophet's `ds`)."""
    grain, year, sub = parse_period(code)
    month = {"year": 1, "quarter": 3 * (sub - 1) + 1, "month": sub}[grain]
    return pd.Timestamp(year=year, month=month, day=1)


def grain_of(periods: Sequence[str]) -> Grain:
    """The single grain of a series; mixed grains are an error (they cannot share one axis)."""
    grains = {parse_period(p)[0] for p in periods}
    if len(grains) != 1:
        raise PeriodError(f"series mixes period grains: {', '.join(sorted(grains))}")
    return grains.pop()


def future_periods(last_period: str, until_year: int) -> list[str]:
    """Every period after `last_period` up to the end of `until_year` (empty if already past it)."""
    grain, _, _ = parse_period(last_period)
    start = period_ordinal(last_period) + 1
    end = (until_year + 1) * PERIODS_PER_YEAR[grain] - 1
    return [period_from_ordinal(grain, o) for o in range(start, end + 1)]


# --------------------------------------------------------------------------------------------
# History frames


def prepare_history(df: pd.DataFrame, *, name: str = "history") -> pd.DataFrame:
    """A clean history frame: `period` str, `value` float, sorted, no missing values.

    Rows with a missing value are dropped (they are gaps, not zeros). A duplicated period,
    an unparseable period or a non-numeric value raises `HistoryError` naming the row.

    Called on every fit (each model of each backtest fold re-checks its input: about 20 calls
    per forecast), so it works on plain lists and NumPy arrays and builds one DataFrame at the
    end: ~0.3 ms instead of ~4 ms with pandas operations per step (same output).
    """
    return history_frame(*history_arrays(df, name=name))


def history_arrays(df: pd.DataFrame, *, name: str = "history") -> tuple[list[str], np.ndarray]:
    """`prepare_history` before the frame is built: the periods (str) and values (float64), checked,
    cleaned and sorted the same way. The planner keeps these beside the frame, so it does not
    read its own frame back."""
    missing = [c for c in HISTORY_COLUMNS if c not in df.columns]
    if missing:
        raise HistoryError(f"{name}: missing column(s) {', '.join(missing)}")
    periods = [str(p).strip() for p in df["period"]]
    parsed: list[tuple[Grain, int, int]] = []
    for row, code in enumerate(periods, start=1):
        try:
            parsed.append(parse_period(code))
        except PeriodError as exc:
            raise HistoryError(f"{name} row {row}, field 'period': {exc}") from None
    raw = df["value"]
    array = raw.to_numpy()
    if array.dtype.kind in "fiub":  # already numeric: nothing can fail to convert
        values = array.astype("float64")
    else:
        numeric = pd.to_numeric(raw, errors="coerce")
        bad = numeric.isna() & raw.notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
            raise HistoryError(f"{name} row {row}, field 'value': {raw.iloc[row - 1]!r} is not a number")
        values = numeric.astype("float64").to_numpy()
    keep = np.isfinite(values)
    if not keep.all():
        idx = np.flatnonzero(keep).tolist()
        periods = [periods[i] for i in idx]
        parsed = [parsed[i] for i in idx]
        values = values[keep]
    if periods:
        grain_of(periods)
        if len(set(periods)) != len(periods):
            seen: dict[str, int] = {}
            for code in periods:
                seen[code] = seen.get(code, 0) + 1
            first = next(code for code in periods if seen[code] > 1)
            raise HistoryError(f"{name}: period {first} appears more than once")
        order = np.array([year * PERIODS_PER_YEAR[grain] + sub - 1 for grain, year, sub in parsed], dtype="int64")
        if len(order) > 1 and not (np.diff(order) > 0).all():
            # the sort pandas' sort_values used before (quicksort), so ties keep the same order
            perm = order.argsort(kind="quicksort")
            periods = [periods[i] for i in perm.tolist()]
            values = values[perm]
    return periods, np.ascontiguousarray(values, dtype="float64")


def history_frame(periods: Sequence[str], values: np.ndarray) -> pd.DataFrame:
    """The history frame of periods and values that `history_arrays` returned."""
    return pd.DataFrame({"period": pd.Series(periods, dtype="object"), "value": values})


def ordinals(history: pd.DataFrame) -> np.ndarray:
    """The integer axis of a history frame's periods."""
    return np.array([period_ordinal(p) for p in history["period"]], dtype="int64")


def empty_forecast() -> pd.DataFrame:
    """A forecast frame with no rows (right columns and dtypes)."""
    return pd.DataFrame(
        {
            "period": pd.Series([], dtype="object"),
            "yhat": pd.Series([], dtype="float64"),
            "lower": pd.Series([], dtype="float64"),
            "upper": pd.Series([], dtype="float64"),
            "model": pd.Series([], dtype="object"),
        }
    )


def make_forecast(periods: Sequence[str], yhat: Sequence[float], lower: Sequence[float],
                  upper: Sequence[float], model: str) -> pd.DataFrame:
    """Assemble a forecast frame in the contract's column order."""
    return pd.DataFrame(
        {
            "period": pd.Series(list(periods), dtype="object"),
            "yhat": np.asarray(yhat, dtype="float64"),
            "lower": np.asarray(lower, dtype="float64"),
            "upper": np.asarray(upper, dtype="float64"),
            "model": pd.Series([model] * len(periods), dtype="object"),
        }
    )


def forecast_arrays(frame: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """A forecast frame's periods and its (rows x 3) float array of `yhat, lower, upper`.

    One `to_numpy()` of the whole frame: a third of the time of reading the columns one by one,
    which matters when the model is a few lines of arithmetic (a baseline fits in 0.4 ms and the
    backtest reads one frame per fold). A frame of the contract's five columns is read by
    position (`make_forecast` builds every model's frame in that order): turning a pandas 3
    column index into names costs as much as reading the values."""
    table = frame.to_numpy()
    if table.shape[1] == len(FORECAST_COLUMNS):
        return table[:, 0].tolist(), table[:, _BAND_AT].astype("float64")
    names = frame.columns.tolist()
    return table[:, names.index("period")].tolist(), table[:, [names.index(c) for c in BAND_COLUMNS]].astype("float64")


def with_band(frame: pd.DataFrame, band: np.ndarray) -> pd.DataFrame:
    """A copy of a forecast frame with `yhat, lower, upper` replaced by `band` (rows x 3).

    A copy written in place keeps every column's dtype and is cheaper than building a new frame
    from the columns (which reads each of them through the column index)."""
    out = frame.copy()
    if frame.shape[1] == len(FORECAST_COLUMNS):
        out.iloc[:, _BAND_AT] = band
    else:
        for i, column in enumerate(BAND_COLUMNS):
            out[column] = band[:, i]
    return out


# --------------------------------------------------------------------------------------------
# Settings and protocol


@dataclass(frozen=True)
class ForecastSettings:
    """Every knob of a forecast, frozen and hashable so it can key a cache.

    Defaults suit short municipal series (10-25 yearly points): no seasonality for yearly data,
    few changepoints with a modest prior (see docs/forecasting.md for the backtest that chose
    them), an 80 % interval, a fixed seed so the same input gives the same output.

    `bounds` (floor, cap) is the metric's range (`metric_adapter.bounds_for_metric`): every
    model's output and interval is clipped to it; `cap` may be infinite (a count or a rate has
    a floor of 0 but no ceiling). A finite range (a share in 0-100 %) also switches Prophet to
    logistic growth.

    The backtest refits every model at each of the last `backtest_folds` observed points (each
    fold an origin with at least `min_train` points before it) and scores it up to
    `backtest_years` ahead; `calibration_level` is the quantile of the backtest's scaled errors
    that sets the shown interval's half-width (see `calibration.py` for why it is above the
    nominal `interval_width`).
    """

    interval_width: float = 0.8
    changepoint_prior_scale: float = 0.5
    max_changepoints: int = 5
    changepoint_range: float = 0.8
    bounds: tuple[float, float] | None = None
    seed: int = 20131
    uncertainty_samples: int = 300
    algorithm: Literal["auto", "Newton", "LBFGS", "BFGS"] = "auto"
    backtest_folds: int = 10
    backtest_years: int = 5
    min_train: int = 6
    calibration_level: float = 0.875
    models: tuple[str, ...] = field(default=DEFAULT_MODELS)

    def __post_init__(self) -> None:
        if not 0 < self.interval_width < 1:
            raise ForecastError(f"interval_width must be between 0 and 1, got {self.interval_width}")
        if not 0 < self.calibration_level < 1:
            raise ForecastError(f"calibration_level must be between 0 and 1, got {self.calibration_level}")
        if self.changepoint_prior_scale <= 0:
            raise ForecastError("changepoint_prior_scale must be positive")
        if self.bounds is not None and not self.bounds[0] < self.bounds[1]:
            raise ForecastError(f"bounds must be (floor, cap) with floor < cap, got {self.bounds}")
        if self.backtest_folds < 0 or self.min_train < 2 or self.backtest_years < 1:
            raise ForecastError("backtest_folds must be >= 0, backtest_years >= 1 and min_train >= 2")

    @property
    def logistic(self) -> bool:
        """Whether Prophet uses logistic growth: only for a range with a finite floor and cap."""
        return self.bounds is not None and all(math.isfinite(b) for b in self.bounds)

    @property
    def z(self) -> float:
        """The normal quantile for the two-sided interval (1.28 for 80 %)."""
        return float(_norm_ppf(0.5 + self.interval_width / 2))


def _norm_ppf(p: float) -> float:
    """Inverse standard normal CDF (Acklam's approximation; |error| < 1.2e-9), no scipy needed."""
    a = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
         1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
    b = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
         6.680131188771972e01, -1.328068155288572e01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
         -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
    low = 0.02425
    if p < low:
        q = math.sqrt(-2 * math.log(p))
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    if p > 1 - low:
        return -_norm_ppf(1 - p)
    q = p - 0.5
    r = q * q
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (
        ((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)


def clip_to_bounds(frame: pd.DataFrame, bounds: tuple[float, float] | None,
                   columns: Sequence[str] = ("yhat", "lower", "upper")) -> pd.DataFrame:
    """A copy with the numeric columns clipped to (floor, cap): a rate cannot leave 0-100 %."""
    if bounds is None or frame.empty:
        return frame
    # one frame built from arrays (np.clip keeps NaN, as Series.clip does): a copy plus three
    # column assignments cost ~3 ms, and this runs for every model and scenario of every area
    data = {}
    for column in frame.columns:
        series = frame[column]
        if column in columns:
            data[column] = np.clip(series.to_numpy(dtype="float64"), bounds[0], bounds[1])
        else:
            data[column] = series.copy()  # keeps its dtype (object periods stay object)
    return pd.DataFrame(data, index=frame.index, columns=frame.columns)


@runtime_checkable
class Forecaster(Protocol):
    """A model that learns from a history frame and predicts named future periods.

    `fit` returns the fitted forecaster (a new state; a forecaster is fitted once), `predict`
    returns a forecast frame (`FORECAST_COLUMNS`, in that order: `make_forecast` builds it, and
    the backtest reads its values by position) for exactly the periods asked, in order.
    """

    name: str

    def fit(self, history: pd.DataFrame) -> Forecaster: ...

    def predict(self, periods: Sequence[str]) -> pd.DataFrame: ...
