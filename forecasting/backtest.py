"""Rolling-origin backtests: would the model have been right in the years we already know?

Each fold is an origin: the models are fitted on the history up to one of the last `folds`
observed points (never fewer than `min_train` points) and asked for every observed period up to
`horizon` periods ahead (5 years by default), exactly as a user would have used them then. With
21 yearly points and 10 folds that is 10 fits per model and 40 (origin, year) pairs.

Errors are summarised per model as MAE (in the metric's unit) and MAPE (per cent of the actual
value; periods with an actual of zero are left out of MAPE, and MAPE is None when none remain),
with the number of folds and of scored points. `fold_mae` gives each fold's mean error, which
`choice.py` uses to tell a real difference between models from fold-to-fold noise, and the
errors by horizon are what `calibration.py` turns into the shown interval.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.base import ForecastError, Forecaster, forecast_arrays, ordinals, prepare_history

logger = logging.getLogger(__name__)

ModelFactory = Callable[[], Forecaster]
#: (training history, periods to predict) -> forecast frame by model name
Predictor = Callable[[pd.DataFrame, Sequence[str]], Mapping[str, pd.DataFrame]]


@dataclass(frozen=True)
class FoldError:
    """One model's prediction for one test period of one fold."""

    model: str
    fold: int
    origin: str  # last period in the training data
    period: str
    horizon: int  # periods from the origin to `period` (1 = the next period)
    actual: float
    predicted: float
    lower: float | None = None  # the model's own interval (None when it gave none)
    upper: float | None = None

    @property
    def error(self) -> float:
        return self.predicted - self.actual


@dataclass(frozen=True)
class ModelScore:
    """Summary of one model over all folds."""

    model: str
    mae: float
    mape: float | None
    folds: int
    points: int = 0  # scored (origin, period) pairs

    def to_dict(self) -> dict[str, object]:
        return {"model": self.model, "mae": _round(self.mae), "mape": _round(self.mape), "folds": self.folds,
                "points": self.points}


def _round(value: float | None, digits: int = 6) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


@dataclass(frozen=True)
class BacktestResult:
    """All fold errors plus per-model scores, in the order the models were given."""

    errors: tuple[FoldError, ...]
    scores: tuple[ModelScore, ...]
    horizon: int

    def score(self, model: str) -> ModelScore | None:
        """The score of `model`, or None if it never produced a prediction."""
        return next((s for s in self.scores if s.model == model), None)

    def errors_of(self, model: str) -> list[FoldError]:
        """One model's fold errors, in fold order."""
        return [e for e in self.errors if e.model == model]

    def fold_mae(self, model: str) -> dict[int, float]:
        """Mean absolute error per fold for one model (over the fold's horizons)."""
        out: dict[int, list[float]] = {}
        for e in self.errors:
            if e.model == model:
                out.setdefault(e.fold, []).append(abs(e.error))
        return {fold: float(np.mean(v)) for fold, v in out.items()}


    @property
    def n_folds(self) -> int:
        return len({e.fold for e in self.errors})

    def to_records(self) -> list[dict[str, object]]:
        """The scores as JSON-ready dicts (`model, mae, mape, folds`)."""
        return [s.to_dict() for s in self.scores]


def fold_sizes(n_points: int, folds: int, min_train: int = 5) -> list[int]:
    """Training-set sizes of the folds, oldest first: an origin at each of the last `folds`
    observed points that has at least `min_train` points up to it and one after it."""
    return [k for k in range(max(min_train, n_points - folds), n_points)]


def factories_predictor(factories: Mapping[str, ModelFactory]) -> Predictor:
    """A predictor from plain model factories (a model that cannot be fitted is left out)."""

    def predict(train: pd.DataFrame, periods: Sequence[str]) -> dict[str, pd.DataFrame]:
        out = {}
        for name, make in factories.items():
            try:
                out[name] = make().fit(train).predict(periods)
            except ForecastError as exc:
                logger.debug("backtest: %s skipped: %s", name, exc)
        return out

    return predict


def rolling_origin(history: pd.DataFrame, models: Mapping[str, ModelFactory] | Predictor, *, folds: int = 10,
                   horizon: int = 5, min_train: int = 5, names: Sequence[str] | None = None,
                   prepared: bool = False) -> BacktestResult:
    """Backtest every model on the same rolling origins of `history`.

    `models` is either {name: factory} or a predictor (`models.predict_models` bound to the
    settings; then `names` gives the score order). A model that cannot be fitted on a fold is
    skipped for that fold only. With fewer than `min_train + 1` points there are no folds and
    every score has `folds=0`. `prepared=True` skips `prepare_history` (the caller already ran it).

    The same as `summarise(backtest_fold(...) for each fold)`: the service runs the folds as
    separate parallel tasks and puts them together with `summarise`.
    """
    if horizon < 1:
        raise ForecastError("backtest horizon must be at least 1")
    if isinstance(models, Mapping):
        names = list(models)
        predictor = factories_predictor(models)
    else:
        predictor = models
    clean = history if prepared else prepare_history(history)
    axis, periods = ordinals(clean), clean["period"].tolist()
    actuals = clean["value"].to_numpy(dtype="float64").tolist()
    errors: list[FoldError] = []
    for fold, size in enumerate(fold_sizes(len(clean), folds, min_train)):
        errors.extend(backtest_fold(clean, predictor, fold, size, horizon, axis=axis, periods=periods, actuals=actuals))
    return summarise(errors, list(names or []), horizon)


def backtest_fold(clean: pd.DataFrame, predictor: Predictor, fold: int, size: int, horizon: int = 5, *,
                  axis: np.ndarray | None = None, periods: Sequence[str] | None = None,
                  actuals: Sequence[float] | None = None) -> list[FoldError]:
    """One fold: every model fitted on the first `size` rows of a prepared history and asked for
    the observed periods up to `horizon` periods after the origin (errors in model order).
    `axis` (`ordinals(clean)`), `periods` (the `period` column as a list) and `actuals` (the
    `value` column as a list of floats) are what the caller already read out of `clean`: a
    backtest runs ten folds on the same history, and reading a column costs more than a
    baseline's whole arithmetic."""
    periods = clean["period"].tolist() if periods is None else periods
    actuals = clean["value"].to_numpy(dtype="float64").tolist() if actuals is None else actuals
    axis = ordinals(clean) if axis is None else axis
    steps = (axis[size:] - axis[size - 1]).tolist()
    test = [(i, step) for i, step in enumerate(steps, start=size) if step <= horizon]
    if not test:
        return []
    origin = periods[size - 1]
    errors: list[FoldError] = []
    for name, frame in predictor(clean.iloc[:size], [periods[i] for i, _ in test]).items():
        predicted, lower, upper = forecast_columns(frame)
        errors.extend(FoldError(name, fold, origin, periods[i], step, actuals[i], predicted[j], _finite(lower[j]),
                                _finite(upper[j])) for j, (i, step) in enumerate(test))
    return errors


def forecast_columns(frame: pd.DataFrame) -> tuple[list[float], list[float], list[float]]:
    """A forecast frame's `yhat`, `lower` and `upper` as lists of floats (`base.forecast_arrays`)."""
    yhat, lower, upper = forecast_arrays(frame)[1].T.tolist()
    return yhat, lower, upper


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def summarise(errors: Sequence[FoldError], models: Sequence[str], horizon: int) -> BacktestResult:
    """Scores per model (in `models` order, then any other model seen) from fold errors."""
    order = list(models) + [m for m in dict.fromkeys(e.model for e in errors) if m not in models]
    scores = tuple(_score(name, [e for e in errors if e.model == name]) for name in order)
    return BacktestResult(tuple(errors), scores, horizon)


def _score(model: str, errors: list[FoldError]) -> ModelScore:
    if not errors:
        return ModelScore(model, float("nan"), None, 0, 0)
    abs_err = np.array([abs(e.error) for e in errors])
    pct = [abs(e.error) / abs(e.actual) * 100 for e in errors if e.actual != 0]
    return ModelScore(
        model=model,
        mae=float(abs_err.mean()),
        mape=float(np.mean(pct)) if pct else None,
        folds=len({e.fold for e in errors}),
        points=len(errors),
    )
