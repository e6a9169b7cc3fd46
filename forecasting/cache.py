"""In-process caches of forecasts: `cachetools.LRUCache`s behind one lock, keyed by content.

Two stores, so a change on the page refits only what it must:

- `RESULTS`: a whole area's `SeriesForecast`, keyed by a hash of everything it depends on (the
  published values, the horizon, every setting, the scenarios, the driver data); a warm page
  costs a dictionary look-up;
- `PIECES`: the parts that do not depend on the scenarios or on each other: the models'
  forecasts (keyed by data, settings and horizon) and the backtest (keyed by data and settings
  only), so a new scenario or horizon does not refit the backtest.

Worker processes fill their own copies; the parent stores what they send back
(`pool.remember`). Values are shared, never copied: nobody mutates a cached frame.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from cachetools import LRUCache

logger = logging.getLogger(__name__)

RESULT_ENTRIES = 512
PIECE_ENTRIES = 2048
T = TypeVar("T")


class Store:
    """A thread-safe LRU store (cachetools' caches are not thread-safe on their own)."""

    def __init__(self, maxsize: int) -> None:
        self._cache: LRUCache[Hashable, Any] = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            return self._cache.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._cache[key] = value

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._cache

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The stored value, or `compute()` stored (two threads may both compute: same value)."""
        hit = self.get(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        value = compute()
        self.put(key, value)
        return value


RESULTS = Store(RESULT_ENTRIES)
PIECES = Store(PIECE_ENTRIES)


def clear_cache() -> None:
    """Forget every cached fit (tests and benchmarks measure cold runs with this)."""
    RESULTS.clear()
    PIECES.clear()


def frame_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a history's periods and values."""
    raw = frame["value"]
    numeric = raw if raw.dtype.kind in "fiub" else pd.to_numeric(raw, errors="coerce")
    return values_digest(frame["period"].tolist(), numeric.to_numpy(dtype="float64"))


def values_digest(periods: Sequence[Any], values: np.ndarray) -> str:
    """`frame_digest` of periods and float64 values already read out of their frame."""
    joined = "|".join(str(p) for p in periods)
    return hashlib.sha256(joined.encode() + b"#" + np.ascontiguousarray(values, dtype="float64").tobytes()).hexdigest()


def request_key(area_code: str, history: pd.DataFrame, until: int, settings: Any, scenarios: Sequence[Any],
                drivers: Mapping[str, pd.DataFrame], dropped: int = 0) -> str:
    """A hash of everything a series' result depends on: data, horizon, settings, scenarios, drivers."""
    parts = [
        area_code, frame_digest(history), str(until), repr(settings), str(dropped),
        json.dumps([s.model_dump(mode="json") for s in scenarios], sort_keys=True),
        json.dumps({k: frame_digest(v) for k, v in sorted(drivers.items())}),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
