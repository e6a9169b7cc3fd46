"""Data vintage: how new the figures a page shows are, where and when they were fetched, and
whether they are as new as they should be.

Every surface says the same thing about the age of its data (the internal pages, the public
summary and its print view; later PDF reports and the static site), so the model and its words
live here, once: `Vintage` is built from what a page shows (a readout, the metric layer's data
status, or a metric's own frame), each metric judged by the one freshness rule
(`readout.rules.judge_freshness`: the metric's `update_frequency` plus the source's usual
publication lag), and `vintage_text` words it in fi/sv/en (`locales/<lang>/vintage.yaml`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from kuntamittari.i18n import t
from metrics.catalog import Catalog
from readout.formatting import format_datetime, format_period
from readout.localise import sources_line
from readout.model import AreaReadout, MetricReadout, Source
from readout.rules import (
    PUBLICATION_LAG_MONTHS,
    Freshness,
    expected_period,
    judge_freshness,
    period_end_month,
    publication_lag,
)
from readout.sources import sources_of_batches


@dataclass(frozen=True)
class MetricVintage:
    """One metric's newest period with a figure, how often it is updated and its freshness."""

    metric_id: str
    period: str | None
    frequency: str
    origins: tuple[str, ...]
    freshness: Freshness

    @property
    def stale(self) -> bool:
        return self.freshness.verdict == "stale"


@dataclass(frozen=True)
class Vintage:
    """The age of what one page (or report) shows: the newest period, its sources, the metrics."""

    newest: str | None
    sources: tuple[Source, ...]
    metrics: tuple[MetricVintage, ...]
    today: date

    @property
    def stale(self) -> tuple[MetricVintage, ...]:
        return tuple(m for m in self.metrics if m.stale)

    @property
    def judged(self) -> tuple[MetricVintage, ...]:
        """The metrics the rule could judge (not irregular, with data)."""
        return tuple(m for m in self.metrics if m.freshness.verdict in ("current", "stale"))

    def metric(self, metric_id: str) -> MetricVintage | None:
        return next((m for m in self.metrics if m.metric_id == metric_id), None)


def _period_key(period: str) -> tuple[int, str]:
    """Sort key by the month a period ends in (2011 after 2011Q3, 2025M01 after 2011)."""
    end = period_end_month(period)
    return (-1 if end is None else end, str(period))


def newest_period(periods: Iterable[str | None]) -> str | None:
    """The newest of `periods` by the month each ends in (None when there is none)."""
    known = [str(p) for p in periods if p]
    return max(known, key=_period_key) if known else None


def metric_vintage(metric_id: str, period: str | None, frequency: str, origins: Iterable[str],
                   today: date) -> MetricVintage:
    """One metric judged by the freshness rule; `origins` are its sources' codes ('sotkanet', ...)."""
    found = tuple(sorted({o for o in origins if o}))
    freshness = judge_freshness(period, frequency, publication_lag(found), today)
    return MetricVintage(metric_id, period, frequency, found, freshness)


def make_vintage(metrics: Sequence[MetricVintage], sources: Sequence[Source], today: date | None = None) -> Vintage:
    """A page's vintage from its metrics' vintages and the sources of what it shows."""
    return Vintage(newest_period(m.period for m in metrics), tuple(sources), tuple(metrics), today or date.today())


def _newest_valued(item: MetricReadout) -> str | None:
    points = item.own.points if item.own else ()
    return newest_period(p.period for p in points if p.value is not None)


def readout_vintage(readout: AreaReadout, today: date | None = None) -> Vintage:
    """The vintage of a readout (overview cards, public summary, print view, reports)."""
    today = today or date.today()
    metrics = [metric_vintage(m.metric_id, _newest_valued(m), m.info.update_frequency,
                              (s.origin or "" for s in m.sources), today) for m in readout.metrics]
    return make_vintage(metrics, readout.sources, today)


def _origins(series: Iterable[str]) -> list[str]:
    return [str(code).split(":", 1)[0] for code in series]


def status_vintage(status: pd.DataFrame, catalog: Catalog, sources: Sequence[Source], *,
                   metric_ids: Iterable[str] | None = None, today: date | None = None) -> Vintage:
    """The vintage of metrics from the metric layer's data status (`metrics.service.data_status`:
    `metric_id`, `latest_period`, `series`): the compare, metric, forecast and data-status pages."""
    today = today or date.today()
    wanted = set(metric_ids) if metric_ids is not None else None
    metrics = []
    for row in status.to_dict("records"):
        metric = catalog.metrics.get(row["metric_id"])
        if metric is None or (wanted is not None and metric.id not in wanted):
            continue
        period = row.get("latest_period") if isinstance(row.get("latest_period"), str) else None
        metrics.append(metric_vintage(metric.id, period, metric.update_frequency.value,
                                      _origins(row.get("series") or ()), today))
    return make_vintage(metrics, sources, today)


def frame_vintage(frame: pd.DataFrame, metric_id: str, frequency: str, batches: pd.DataFrame,
                  today: date | None = None) -> Vintage:
    """The vintage of one metric's values as a frame shows them (`period`, `value`, `batch_id`),
    e.g. the authoring preview of an unsaved metric."""
    today = today or date.today()
    valued = frame[frame["value"].notna()] if not frame.empty and "value" in frame else frame.iloc[0:0]
    ids = {int(b) for b in valued["batch_id"].dropna()} if "batch_id" in valued else set()
    sources = sources_of_batches(batches, ids) if ids else ()
    period = newest_period(str(p) for p in valued["period"]) if "period" in valued else None
    return make_vintage([metric_vintage(metric_id, period, frequency, (s.origin or "" for s in sources), today)],
                        sources, today)


# ---------------------------------------------------------------------------- words


@dataclass(frozen=True)
class VintageText:
    """A vintage in one language: the line every page shows, the stale notice ('' when the data
    is current) and the hint for administrators on how to refresh."""

    newest: str
    line: str
    notice: str
    admin_hint: str
    rule: str


def frequency_word(frequency: str, lang: str) -> str:
    return t(f"vintage.frequency.{frequency}", lang)


def _notice(vintage: Vintage, lang: str) -> str:
    stale = vintage.stale
    if not stale:
        return ""
    worst = max(stale, key=lambda m: _period_key(m.period or "0000"))  # the newest of the stale ones
    words = {"period": format_period(worst.period, lang), "expected": format_period(worst.freshness.expected, lang),
             "frequency": frequency_word(worst.frequency, lang)}
    if len(vintage.judged) == 1:
        return t("vintage.stale_one", lang, **words)
    return t("vintage.stale_many", lang, stale=len(stale), total=len(vintage.judged), **words)


def vintage_text(vintage: Vintage, lang: str) -> VintageText:
    """The words of a vintage in `lang`."""
    newest = format_period(vintage.newest, lang) if vintage.newest else ""
    sources = sources_line(vintage.sources, lang)
    line = (t("vintage.line", lang, period=newest, sources=sources) if newest
            else t("vintage.line_no_data", lang, sources=sources))
    return VintageText(newest=newest, line=line, notice=_notice(vintage, lang),
                       admin_hint=t("vintage.admin_hint", lang) if vintage.stale else "",
                       rule=rule_text(lang, vintage.today))


def rule_text(lang: str, today: date | None = None) -> str:
    """The freshness rule in words, with the lags of `readout.rules` and an example for today."""
    lag = PUBLICATION_LAG_MONTHS["sotkanet"]
    example = expected_period("yearly", lag, today or date.today()) or ""
    due = (period_end_month(example) or 0) + lag + 1
    return t("vintage.rule", lang, sotkanet=lag, statfin=PUBLICATION_LAG_MONTHS["statfin"], example=example,
             example_due=due // 12)


def freshness_label(item: MetricVintage | None, lang: str) -> str:
    """One metric's freshness in a table cell: 'current', 'stale (2024 expected)', ..."""
    if item is None:
        return t("vintage.verdict.no_data", lang)
    if item.stale:
        return t("vintage.verdict.stale_expected", lang, expected=format_period(item.freshness.expected, lang))
    return t(f"vintage.verdict.{item.freshness.verdict}", lang)


def card_note(item: MetricVintage | None, lang: str) -> str:
    """The short mark a card carries next to its year when its data is stale ('' otherwise)."""
    if item is None or not item.stale:
        return ""
    return t("vintage.card_stale", lang, expected=format_period(item.freshness.expected, lang))


def refresh_line(status: Any, lang: str) -> str:
    """When data was last refreshed from the sources and when the next refresh is due, in one
    line (`refresh.refresh_status` fields: last_refreshed, next_due, due, running, last_attempt)."""
    parts = [t("vintage.refresh.last", lang, last=format_datetime(status.last_refreshed, lang))
             if status.last_refreshed is not None else t("vintage.refresh.never", lang)]
    if status.running:
        parts.append(t("vintage.refresh.running", lang, started=format_datetime(status.last_attempt, lang)))
    elif status.due:
        parts.append(t("vintage.refresh.due", lang))
    else:
        parts.append(t("vintage.refresh.next", lang, next=format_datetime(status.next_due, lang)))
    return " · ".join(parts)


def refresh_details(status: Any, lang: str) -> Mapping[str, str]:
    """The data-status page's refresh facts as label -> value."""
    last = format_datetime(status.last_refreshed, lang) if status.last_refreshed else t("vintage.refresh.not_yet", lang)
    outcome = t(f"vintage.refresh.status.{status.last_status}", lang) if status.last_status else "–"
    return {
        t("vintage.refresh.label_last", lang): last,
        t("vintage.refresh.label_outcome", lang): outcome,
        t("vintage.refresh.label_next", lang): t("vintage.refresh.due_now", lang) if status.due
        else format_datetime(status.next_due, lang),
        t("vintage.refresh.label_interval", lang): t("vintage.refresh.interval", lang, count=status.interval_days),
    }
