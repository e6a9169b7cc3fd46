"""Which model to show: the lowest backtest error, recommended only when the lead is more than noise.

With 6-10 folds one model's MAE is often lower than another's by chance. For each other model
the fold-by-fold difference of mean absolute errors is computed (the same folds, the same
years), and the leader counts as better only when the mean difference is more than `NOISE_SE`
standard errors of those differences (a paired test across folds). Folds overlap in time, so
the standard error is, if anything, too small: the rule errs on the side of "equally good".

- One model clearly better than every other: it is recommended.
- Otherwise the models within the noise of the leader are "equally good"; the chart shows the
  leader, and when "same as last year" (naive) is among them the page says so plainly: the data
  give no reason to expect a change.
- Fewer than `MIN_FOLDS` folds: no recommendation; the provisional model is shown.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from forecasting.backtest import BacktestResult

logger = logging.getLogger(__name__)

NOISE_SE = 2.0
MIN_FOLDS = 3


@dataclass(frozen=True)
class Recommendation:
    """The backtest's verdict for one series."""

    shown: str  # the model drawn on the chart
    clear: bool  # True: `shown` beat every other model by more than the noise
    equally_good: tuple[str, ...]  # models within the noise of the best (best first); () when clear
    naive_as_good: bool  # "same as last year" is as good as the best
    folds: int  # folds the comparison rests on (0: not compared)

    def to_dict(self) -> dict[str, object]:
        return {"model": self.shown, "clear": self.clear, "equally_good": list(self.equally_good),
                "naive_as_good": self.naive_as_good, "folds": self.folds}


def paired_difference(backtest: BacktestResult, model: str, other: str) -> tuple[float, float, int]:
    """(mean of `model`'s fold MAE minus `other`'s, its standard error, folds both scored)."""
    a, b = backtest.fold_mae(model), backtest.fold_mae(other)
    common = sorted(set(a) & set(b))
    if not common:
        return math.nan, math.nan, 0
    diffs = np.array([a[f] - b[f] for f in common], dtype="float64")
    se = float(diffs.std(ddof=1) / math.sqrt(len(diffs))) if len(diffs) > 1 else math.inf
    return float(diffs.mean()), se, len(diffs)


def clearly_better(backtest: BacktestResult, model: str, other: str) -> bool:
    """Whether `model`'s errors were lower than `other`'s by more than the fold-to-fold noise."""
    mean, se, n = paired_difference(backtest, model, other)
    if n < MIN_FOLDS or not math.isfinite(mean):
        return False
    return mean < 0 and -mean > NOISE_SE * se


def recommend(backtest: BacktestResult, available: Sequence[str], provisional: str) -> Recommendation:
    """The model to show among `available` (those with a forecast) and whether it is a clear choice."""
    scored = [s for s in backtest.scores if s.model in available and s.folds > 0 and math.isfinite(s.mae)]
    if not scored or backtest.n_folds < MIN_FOLDS:
        shown = provisional if provisional in available else (available[0] if available else provisional)
        return Recommendation(shown, False, (), False, backtest.n_folds)
    ranked = sorted(scored, key=lambda s: s.mae)
    best = ranked[0].model
    ties = tuple([best] + [s.model for s in ranked[1:] if not clearly_better(backtest, best, s.model)])
    clear = len(ties) == 1
    naive_as_good = best == "naive" or "naive" in ties
    return Recommendation(best, clear, () if clear else ties, naive_as_good, backtest.n_folds)
