"""Rolling-origin backtests: would the model have been right in the years we already know?

For each of the last `folds` origins the models are fitted on the history up to the origin and
asked for the next `horizon` observed periods (1 year for yearly data, 12 months for monthly),
exactly as a user would have used them then. Errors are summarised per model as MAE (in the
metric's unit) and MAPE (per cent of the actual value; periods with an actual of zero are left
out of MAPE, and MAPE is None when none remain). `wins` counts the folds in which one model was
closer than another, which is what the page says in plain words ("Prophet was closer than
'same as last year' in 3 of 5 test years").
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.base import ForecastError, Forecaster, prepare_history

logger = logging.getLogger(__name__)

ModelFactory = Callable[[], Forecaster]


@dataclass(frozen=True)
class FoldError:
    """One model's prediction for one test period of one fold."""

    model: str
    fold: int
    origin: str  # last period in the training data
    period: str
    actual: float
    predicted: float

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

    def to_dict(self) -> dict[str, object]:
        return {"model": self.model, "mae": _round(self.mae), "mape": _round(self.mape), "folds": self.folds}


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

    def fold_mae(self, model: str) -> dict[int, float]:
        """Mean absolute error per fold for one model."""
        out: dict[int, list[float]] = {}
        for e in self.errors:
            if e.model == model:
                out.setdefault(e.fold, []).append(abs(e.error))
        return {fold: float(np.mean(v)) for fold, v in out.items()}

    def wins(self, model: str, against: str = "naive") -> tuple[int, int]:
        """(folds where `model` was strictly closer than `against`, folds where both predicted)."""
        a, b = self.fold_mae(model), self.fold_mae(against)
        common = sorted(set(a) & set(b))
        return sum(1 for f in common if a[f] < b[f]), len(common)

    def beats(self, model: str, against: str = "naive") -> bool | None:
        """Whether `model` has a lower MAE than `against` (None when either has no score)."""
        sa, sb = self.score(model), self.score(against)
        if sa is None or sb is None or sa.folds == 0 or sb.folds == 0:
            return None
        return sa.mae < sb.mae

    @property
    def n_folds(self) -> int:
        return len({e.fold for e in self.errors})

    def to_records(self) -> list[dict[str, object]]:
        """The scores as JSON-ready dicts (`model, mae, mape, folds`)."""
        return [s.to_dict() for s in self.scores]


def fold_sizes(n_points: int, folds: int, horizon: int = 1, min_train: int = 5) -> list[int]:
    """Training-set sizes of the folds, oldest first: the last folds*horizon points are tested."""
    if horizon < 1:
        raise ForecastError("backtest horizon must be at least 1")
    sizes = [n_points - horizon * (folds - i) for i in range(folds)]
    return [k for k in sizes if k >= min_train]


def rolling_origin(
    history: pd.DataFrame,
    factories: Mapping[str, ModelFactory],
    *,
    folds: int = 5,
    horizon: int = 1,
    min_train: int = 5,
) -> BacktestResult:
    """Backtest every model in `factories` on the same rolling origins of `history`.

    A model that cannot be fitted on a fold (too few points) is skipped for that fold only, so
    a short series still gets the folds it can support. With fewer than `min_train + horizon`
    points there are no folds and every score has `folds=0`.

    The same as `summarise(backtest_fold(...) for each fold)`: the service runs the folds as
    separate parallel tasks and puts them together with `summarise`.
    """
    clean = prepare_history(history)
    errors: list[FoldError] = []
    for fold, size in enumerate(fold_sizes(len(clean), folds, horizon, min_train)):
        errors.extend(backtest_fold(clean, factories, fold, size, horizon))
    return summarise(errors, list(factories), horizon)


def backtest_fold(clean: pd.DataFrame, factories: Mapping[str, ModelFactory], fold: int, size: int,
                  horizon: int = 1) -> list[FoldError]:
    """One fold: every model fitted on the first `size` rows of a prepared history and asked for
    the next `horizon` observed periods (errors in model order)."""
    periods = clean["period"].tolist()
    values = clean["value"].to_numpy(dtype="float64")
    train = clean.iloc[:size]
    test_periods = periods[size: size + horizon]
    test_values = values[size: size + horizon]
    errors: list[FoldError] = []
    for name, factory in factories.items():
        try:
            predicted = factory().fit(train).predict(test_periods)["yhat"].to_numpy()
        except ForecastError as exc:
            logger.debug("backtest: %s skipped on fold %d: %s", name, fold, exc)
            continue
        for period, actual, pred in zip(test_periods, test_values, predicted, strict=True):
            errors.append(FoldError(name, fold, periods[size - 1], period, float(actual), float(pred)))
    return errors


def summarise(errors: Sequence[FoldError], models: Sequence[str], horizon: int) -> BacktestResult:
    """Scores per model (in `models` order) from fold errors given in fold order."""
    scores = tuple(_score(name, [e for e in errors if e.model == name]) for name in models)
    return BacktestResult(tuple(errors), scores, horizon)


def _score(model: str, errors: list[FoldError]) -> ModelScore:
    if not errors:
        return ModelScore(model, float("nan"), None, 0)
    abs_err = np.array([abs(e.error) for e in errors])
    pct = [abs(e.error) / abs(e.actual) * 100 for e in errors if e.actual != 0]
    return ModelScore(
        model=model,
        mae=float(abs_err.mean()),
        mape=float(np.mean(pct)) if pct else None,
        folds=len({e.fold for e in errors}),
    )
