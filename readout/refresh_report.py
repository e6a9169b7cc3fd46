"""The words of a refresh report: one line per source, one row per series, the run's outcome.

`kuntamittari refresh` prints them and the data-status page shows them after its button ran the
same refresh, so both say the same thing. The report is plain data from the `refresh` package
(which sits above the readout, so it is read by its fields, never imported): a source has
`source`, `status`, `message`, `batch_id`, `requests` and `series`; a series has `code`,
`status`, `new_periods`, `new_values`, `revised_values`, `unchanged_values` and `reason`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kuntamittari.i18n import t
from readout.formatting import format_period

#: Series statuses that say nothing new; `kuntamittari refresh` lists them only with --verbose.
QUIET = ("unchanged", "skipped", "not_loaded")


def source_name(source: str, lang: str) -> str:
    return t(f"refresh.source.{source}", lang)


def source_line(src: Any, lang: str) -> str:
    """'THL Sotkanet: batch 12 loaded (30 series, new values 410, revised 2, 33 requests).'"""
    name = source_name(src.source, lang)
    if not src.series:
        return t("refresh.cli.source_empty", lang, source=name)
    if src.status == "failed":
        return t("refresh.cli.source_failed", lang, source=name, message=src.message or "")
    if src.status == "ok":
        return t("refresh.cli.source_ok", lang, source=name, batch=src.batch_id,
                 series=t("counts.series", lang, count=len(src.series)),
                 new=sum(s.new_values for s in src.series), revised=sum(s.revised_values for s in src.series),
                 requests=t("counts.requests", lang, count=src.requests))
    return t("refresh.cli.source_nothing", lang, source=name, series=t("refresh.cli.series_checked", lang,
             count=len(src.series)), requests=t("counts.requests", lang, count=src.requests))


def series_status(series: Any, lang: str) -> str:
    return t(f"refresh.status.{series.status}", lang)


def series_line(series: Any, lang: str) -> str:
    """'  sotkanet:181: new new periods 2010, 2011 (590 new, 1 revised, 0 unchanged)'."""
    detail = ""
    if series.new_periods:
        detail += t("refresh.cli.new_periods", lang, periods=", ".join(series.new_periods))
    if series.status in ("new", "revised", "unchanged"):
        detail += t("refresh.cli.values", lang, new=t("counts.new", lang, count=series.new_values),
                    revised=t("counts.revised", lang, count=series.revised_values),
                    unchanged=t("counts.unchanged", lang, count=series.unchanged_values))
    if series.reason:
        detail += t("refresh.cli.reason", lang, reason=series.reason)
    return t("refresh.cli.series_line", lang, code=series.code, status=series_status(series, lang), detail=detail)


def series_rows(sources: Iterable[Any], lang: str) -> list[dict[str, Any]]:
    """Every series of the report as a table row with headings in `lang` (the page's table)."""
    col = {k: t(f"vintage.refresh.col.{k}", lang)
           for k in ("source", "series", "status", "new_periods", "new", "revised", "unchanged", "reason")}
    return [
        {col["source"]: source_name(src.source, lang), col["series"]: s.code, col["status"]: series_status(s, lang),
         col["new_periods"]: ", ".join(format_period(p, lang) for p in s.new_periods), col["new"]: s.new_values,
         col["revised"]: s.revised_values, col["unchanged"]: s.unchanged_values, col["reason"]: s.reason or ""}
        for src in sources for s in src.series
    ]


def run_lines(report: Any, lang: str) -> list[str]:
    """The closing lines: digest items stored and alerts sent (empty when neither happened)."""
    lines = []
    if report.digest_items:
        lines.append(t("refresh.cli.digest", lang, count=report.digest_items))
    if any(report.alerts.values()):
        lines.append(t("refresh.cli.alerts", lang, **report.alerts))
    return lines


def outcome_text(report: Any, lang: str) -> str:
    """The run's outcome in one sentence ('The refresh is done.' / partly / failed)."""
    return t(f"vintage.refresh.result.{report.status if report.status in ('ok', 'partial') else 'failed'}", lang)


def progress_text(progress: Any, lang: str) -> str:
    """A progress bar's text for one step (`refresh.Progress`: stage, done, total, detail)."""
    stage = progress.stage if progress.stage in ("sotkanet", "statfin", "load", "digest", "alerts") else "start"
    detail = progress.detail
    if stage == "load":
        detail = t("vintage.refresh.progress.snapshot", lang) if detail == "snapshot" else source_name(detail, lang)
    return t(f"vintage.refresh.progress.{stage}", lang, done=progress.done, count=progress.total, detail=detail)
