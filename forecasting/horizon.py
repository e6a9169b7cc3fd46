"""How far ahead to forecast: horizons that fit the data.

A backtest checks forecasts at most `ForecastSettings.backtest_years` (5) years ahead, so the
default horizon is 5 years past the last observed year; a longer one is allowed (a council
plans to 2030) but `is_long` makes the page and the CLI warn that the interval is wide and was
never checked that far. Choices step by year.
"""

from __future__ import annotations

DEFAULT_YEARS_AHEAD = 5
MAX_YEARS_AHEAD = 20


def default_until(last_year: int, years_ahead: int = DEFAULT_YEARS_AHEAD) -> int:
    """The default last forecast year: `years_ahead` past the last observed year."""
    return int(last_year) + years_ahead


def until_choices(last_year: int, max_ahead: int = MAX_YEARS_AHEAD) -> list[int]:
    """Every year from the one after the last observation up to `max_ahead` years past it."""
    return list(range(int(last_year) + 1, int(last_year) + max_ahead + 1))


def is_long(until: int, last_year: int, years_ahead: int = DEFAULT_YEARS_AHEAD) -> bool:
    """Whether `until` lies beyond what the backtest checked (the interval is then wide)."""
    return until - last_year > years_ahead
