"""Statistical disclosure control for every public output.

Small municipalities have small counts, and a count of 1-4 can identify a person. Every public
output (cards, charts, tables, CSV downloads, summaries, forecasts) therefore passes its data
through `apply_disclosure` first:

- **primary suppression**: a row whose underlying count (`numerator`; for count series the value
  itself) is below the metric's `min_count` (default 5) loses `value`, `numerator` and
  `denominator` (set to missing: NaN in numeric columns), is flagged `suppressed=True` with `suppression_reason='primary'`;
- **complementary suppression**: where a total and its parts are published together (total and
  male/female, per age band), a single hidden cell could be derived by subtraction, so a second
  cell of the same relation is hidden too (`suppression_reason='complementary'`). The cell chosen
  is the smallest remaining part (least information lost), or the total when no part is left.

The functions are pure (DataFrame in, new DataFrame out, input untouched) and know nothing of
Streamlit, so the public pages, the CSV export and the forecasting layer (which drops suppressed
rows before fitting) share one implementation. A zero count is suppressed too: "nobody in a
group of one hundred" is as revealing as "one person".

This judges one series at a time. A page shows many metrics, years and areas together, and
arithmetic across them (gross minus out-migrants, rate x population, a region minus its other
municipalities) can recover a cell hidden here: every public surface therefore calls
`metrics.disclosure_table.disclose_table` on all the cells it shows (docs/public.md).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd

logger = logging.getLogger(__name__)

DEFAULT_MIN_COUNT = 5
SuppressionReason = Literal["primary", "complementary"]
PRIMARY: SuppressionReason = "primary"
COMPLEMENTARY: SuppressionReason = "complementary"

#: Columns whose content is hidden when a row is suppressed (those present are blanked).
HIDDEN_COLUMNS: tuple[str, ...] = ("value", "numerator", "denominator", "yhat", "lo", "hi")
#: The total group and the parts that sum to it (per age band; `female:75-` is a part of `total:75-`).
TOTAL_GROUP = "total"
PART_GROUPS: tuple[str, ...] = ("male", "female")
#: Columns that identify one cell apart from its group, used when present (see `key_columns`).
KEY_COLUMNS: tuple[str, ...] = ("metric_id", "series_code", "level", "area_code", "period")


class DisclosureError(ValueError):
    """The frame cannot be checked for disclosure (e.g. no value column, bad min_count)."""


def _check_min_count(min_count: int) -> int:
    if isinstance(min_count, bool) or not isinstance(min_count, (int, float)) or min_count < 0:
        raise DisclosureError(f"min_count must be a non-negative number, got {min_count!r}")
    return int(min_count)


def is_below(count: Any, min_count: int = DEFAULT_MIN_COUNT) -> bool:
    """Whether a single count is too small to publish (None/NaN means unknown: not below)."""
    if count is None:
        return False
    try:
        number = float(count)
    except (TypeError, ValueError):
        return False
    if math.isnan(number):
        return False
    return number < _check_min_count(min_count)


def _split_group(code: Any) -> tuple[str, str]:
    """'female:75-' -> ('female', '75-'); 'total' -> ('total', '')."""
    text = str(code)
    gender, _, band = text.partition(":")
    return gender, band


def _genders_and_bands(df: pd.DataFrame) -> tuple[pd.Series, pd.Series] | None:
    """Each row's gender and age band, from `group_code` or the metric layer's `gender`/`age_band`."""
    if "group_code" in df.columns:
        split = df["group_code"].map(_split_group)
        return split.map(lambda pair: pair[0]), split.map(lambda pair: pair[1])
    if "gender" in df.columns:
        bands = df["age_band"].astype(str) if "age_band" in df.columns else pd.Series("", index=df.index)
        return df["gender"].astype(str), bands.replace({"all": ""})
    return None


def _count_series(df: pd.DataFrame, value_is_count: bool) -> pd.Series:
    """The count each row's publication depends on: numerator, else the value for count series."""
    count = (
        pd.to_numeric(df["numerator"], errors="coerce")
        if "numerator" in df.columns
        else pd.Series(float("nan"), index=df.index, dtype="float64")
    )
    if value_is_count and "value" in df.columns:
        count = count.fillna(pd.to_numeric(df["value"], errors="coerce"))
    return count.astype("float64")


def _relation_keys(df: pd.DataFrame, key_columns: Sequence[str] | None) -> list[str]:
    if key_columns is not None:
        missing = [c for c in key_columns if c not in df.columns]
        if missing:
            raise DisclosureError(f"key columns not in frame: {', '.join(missing)}")
        return list(key_columns)
    return [c for c in KEY_COLUMNS if c in df.columns]


def apply_disclosure(
    df: pd.DataFrame,
    min_count: int = DEFAULT_MIN_COUNT,
    *,
    value_is_count: bool = False,
    key_columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A copy of `df` with too-small counts hidden and a `suppressed`/`suppression_reason` pair.

    `df` has the metric layer's columns (`area_code, period, value`, a group as `group_code`
    ('total', 'female:75-') or as `gender` + `age_band`, and where the source gives them
    `numerator, denominator`). `value_is_count=True` for count series (the value itself is the
    count, e.g. population or migrants). `key_columns` names the columns that identify one cell
    apart from its group (default: those of `KEY_COLUMNS` present), so a total and its
    male/female parts are matched per metric, area, period and age band.

    Rows already suppressed (from an earlier pass or at the source) stay suppressed; the function
    is idempotent.
    """
    min_count = _check_min_count(min_count)
    if "value" not in df.columns and "numerator" not in df.columns:
        raise DisclosureError("frame has neither a 'value' nor a 'numerator' column")
    out = df.copy()
    count = _count_series(out, value_is_count)
    already = (
        out["suppressed"].fillna(False).astype(bool)
        if "suppressed" in out.columns
        else pd.Series(False, index=out.index)
    )
    reasons: list[Any] = (
        list(out["suppression_reason"]) if "suppression_reason" in out.columns else [None] * len(out)
    )
    primary = (count < min_count) & count.notna()
    suppressed = already | primary
    reason = pd.Series(reasons, index=out.index, dtype="object")
    reason[primary & ~already] = PRIMARY
    reason[~suppressed] = None

    groups = _genders_and_bands(out)
    if groups is not None and len(out):
        keys = _relation_keys(out, key_columns)
        suppressed, reason = _complementary(out, count, suppressed, reason, keys, *groups)

    blank_hidden(out, suppressed)
    out["suppression_reason"] = reason.where(suppressed, None)
    n_hidden = int(suppressed.sum())
    if n_hidden:
        logger.debug("disclosure: %d of %d rows suppressed (min_count=%d)", n_hidden, len(out), min_count)
    return out


def blank_hidden(out: pd.DataFrame, suppressed: pd.Series) -> None:
    """In place: the hidden rows' value columns set to missing, and the `suppressed` column."""
    for column in HIDDEN_COLUMNS:
        if column in out.columns:
            # Numeric columns stay float (hidden = NaN, read as None/missing by every consumer).
            if pd.api.types.is_numeric_dtype(out[column]) or out[column].isna().all():
                out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
                out.loc[suppressed, column] = float("nan")
            else:
                out[column] = out[column].astype("object")
                out.loc[suppressed, column] = None
    out["suppressed"] = suppressed.astype(bool)


def _complementary(
    df: pd.DataFrame,
    count: pd.Series,
    suppressed: pd.Series,
    reason: pd.Series,
    keys: list[str],
    gender: pd.Series,
    band: pd.Series,
) -> tuple[pd.Series, pd.Series]:
    """Hide a second cell in every total = male + female relation that has exactly one hidden."""
    suppressed = suppressed.copy()
    reason = reason.copy()
    frame = df[keys].copy() if keys else pd.DataFrame(index=df.index)
    frame["_band"] = band
    group_cols = [*keys, "_band"]
    relations: list[tuple[Any, list[Any]]] = []  # (total index, part indexes)
    for _, members in frame.groupby(group_cols, dropna=False, sort=False):
        idx = members.index
        totals = [i for i in idx if gender[i] == TOTAL_GROUP]
        parts = [i for i in idx if gender[i] in PART_GROUPS]
        if len(totals) == 1 and parts:
            relations.append((totals[0], parts))
    # Iterate: a complementary cell may belong to another relation (bounded by the row count).
    for _ in range(len(df) + 1):
        changed = False
        for total, parts in relations:
            cells = [total, *parts]
            hidden = [i for i in cells if suppressed[i]]
            if len(hidden) != 1:
                continue
            visible_parts = [i for i in parts if not suppressed[i]]
            if visible_parts:
                choice = min(
                    visible_parts,
                    key=lambda i: (math.inf if pd.isna(count[i]) else float(count[i]), str(gender[i])),
                )
            else:
                choice = total
            suppressed[choice] = True
            reason[choice] = COMPLEMENTARY
            changed = True
        if not changed:
            break
    return suppressed, reason


def visible(df: pd.DataFrame) -> pd.DataFrame:
    """Only the publishable rows (what a forecast may be fitted on)."""
    if "suppressed" not in df.columns:
        raise DisclosureError("apply_disclosure() has not been run on this frame")
    return df[~df["suppressed"].astype(bool)].copy()

