"""Orders: which metrics come first on the overview, and how municipalities rank on one metric.

Both are judgements about values, so they live with the other rules: the overview's "worsening
first" order is `readout.rules.attention_rank`, and a ranking puts the best value first in the
metric's own direction (a neutral metric: the highest first).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from readout.model import MetricReadout
from readout.rules import Direction, attention_rank

SORTS: tuple[str, ...] = ("theme", "worsening", "off_target")


def _rank(item: MetricReadout) -> tuple[int, int, int]:
    first = item.comparisons[0].verdict if item.comparisons else "unknown"
    return attention_rank(item.trend.verdict, item.target.verdict, first)


def arrange(items: Sequence[MetricReadout], sort: str, theme: str | None, only_off_target: bool) -> list[MetricReadout]:
    """Filter by theme and target status, then order: theme order as given, or most worth a look
    first ('worsening'), or off target first (stable within equal rank)."""
    chosen = [i for i in items if theme in (None, "", "all") or i.info.theme == theme]
    if only_off_target:
        chosen = [i for i in chosen if i.target.verdict == "off_target"]
    if sort == "worsening":
        chosen = sorted(chosen, key=_rank)
    elif sort == "off_target":
        chosen = sorted(chosen, key=lambda i: (i.target.verdict != "off_target", _rank(i)))
    return list(chosen)


def themes_in_order(items: Sequence[MetricReadout]) -> list[str]:
    """The themes of `items` in their first-seen (catalogue) order."""
    return list(dict.fromkeys(i.info.theme for i in items))


def rank_areas(values: pd.DataFrame, direction: Direction) -> pd.DataFrame:
    """Municipalities ranked on one metric: a `rank` column (1 = best in the metric's direction,
    highest first for a neutral metric); rows without a value are left out."""
    shown = values.dropna(subset=["value"])
    ranked = shown.sort_values("value", ascending=direction == "lower_is_better", kind="stable").reset_index(drop=True)
    return ranked.assign(rank=ranked.index + 1)


def group_by_theme(items: Sequence[MetricReadout], sort: str, themes: Sequence[str]) -> list[tuple[str | None, list[MetricReadout]]]:
    """Sections of the overview: one per theme in theme order, or one unnamed section when sorted."""
    if sort != "theme":
        return [(None, list(items))] if items else []
    groups: list[tuple[str | None, list[MetricReadout]]] = []
    for theme in themes:
        members = [i for i in items if i.info.theme == theme]
        if members:
            groups.append((theme, members))
    return groups