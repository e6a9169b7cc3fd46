"""The transparency page in words (fi/sv/en): sections of headings, paragraphs and tables.

`about_text(model, lang)` turns `readout.about.AboutModel` into Markdown paragraphs (the
translations' bold lead-ins; every value put into them, such as a metric name, an owner or an
address, escaped by `readout.text.escape_markdown`) and plain table cells;
`table_html` writes a table as accessible HTML (caption, `th scope`), the same markup as the
public summary's tables. No Streamlit: the page and a static site draw the same `AboutText`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from kuntamittari.i18n import t
from forecasting.accuracy import AccuracySummary
from readout.about import AboutModel, SourceInfo
from readout.forecast import model_label
from readout.formatting import format_date, format_number, format_percent
from readout.text import escape_markdown, text_plain


@dataclass(frozen=True)
class Table:
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    anchor: str
    heading: str
    paragraphs: tuple[str, ...] = ()
    table: Table | None = None


@dataclass(frozen=True)
class AboutText:
    title: str
    intro: str
    sections: tuple[Section, ...]


def _source_row(source: SourceInfo, lang: str) -> tuple[str, ...]:
    examples = "; ".join(text_plain(title, lang) for title in source.titles)
    more = source.series - len(source.titles)
    contains = t("about.sources.contains", lang, count=source.series, examples=examples) \
        + (" " + t("about.sources.more", lang, count=more) if more > 0 else "")
    if source.synthetic:
        contains += " " + t("about.sources.synthetic", lang)
    frequency = ", ".join(t(f"about.frequency.{f}", lang) for f in source.frequencies) or "–"
    return (
        source.name, contains, source.licence or "–",
        f"{frequency}; {t('about.sources.loads', lang, count=source.loads)}",
        format_date(source.last_loaded, lang) if source.last_loaded else "–",
        format_date(source.retrieved, lang) if source.retrieved else "–",
        str(source.last_year) if source.last_year else "–",
    )


def _sources(model: AboutModel, lang: str) -> Section:
    columns = tuple(t(f"about.sources.col.{c}", lang) for c in ("name", "contains", "licence", "frequency", "loaded",
                                                                  "retrieved", "latest"))
    rows = tuple(_source_row(s, lang) for s in model.sources)
    return Section("sources", t("about.sources.heading", lang),
                   (t("about.sources.intro", lang, count=model.refresh_interval_days),),
                   Table(t("about.sources.caption", lang), columns, rows))


def _metrics(model: AboutModel, lang: str, names: dict[str, str]) -> Section:
    columns = tuple(t(f"about.metrics.col.{c}", lang) for c in ("metric", "theme", "use", "source"))
    rows = tuple(
        (text_plain(m.name, lang), t(f"metrics.theme.{m.theme}", lang), text_plain(m.use, lang),
         ", ".join(names.get(s, s) for s in m.sources) or "–")
        for m in model.metrics
    )
    return Section("metrics", t("about.metrics.heading", lang), (t("about.metrics.intro", lang, count=len(model.metrics)),),
                   Table(t("about.metrics.caption", lang), columns, rows))


def _algorithms(model: AboutModel, lang: str) -> Section:
    counts = sorted(c for c in model.min_counts if c > 0)
    threshold = ", ".join(str(c) for c in counts) if counts else str(model.default_min_count)
    names = {m.metric_id: text_plain(m.name, lang) for m in model.metrics}
    overrides = escape_markdown("; ".join(f"{names.get(m, m)} {format_percent(c, lang)}" for m, c in model.coverage_overrides))
    paragraphs = [
        t("about.algorithms.disclosure", lang, n=threshold),
        t("about.algorithms.aggregation", lang, coverage=format_percent(model.min_coverage, lang),
          weight=model.weight_series),
    ]
    if overrides:
        paragraphs.append(t("about.algorithms.coverage_overrides", lang, list=overrides))
    paragraphs += [
        t("about.algorithms.readout", lang, span=model.trend_span, trend=format_percent(model.trend_tolerance, lang),
          comparison=format_percent(model.comparison_tolerance, lang), per=model.per_residents),
        t("about.algorithms.forecast", lang, models=", ".join(model_label(m, lang) for m in model.forecast_models),
          interval=format_percent(model.forecast_interval, lang), folds=model.backtest_folds),
        t("about.algorithms.forecast_accuracy", lang),
    ]
    summary = model.forecast_accuracy
    if summary is None or not summary.series:
        paragraphs.append(t("accuracy.about.none", lang))
        return Section("algorithms", t("about.algorithms.heading", lang), tuple(paragraphs))
    paragraphs.append(accuracy_paragraph(summary, lang))
    if is_outdated(summary, model.data_batch):
        paragraphs.append(t("accuracy.about.outdated", lang))
    return Section("algorithms", t("about.algorithms.heading", lang), tuple(paragraphs), accuracy_table(summary, lang))


def is_outdated(summary: AccuracySummary, data_batch: int | None) -> bool:
    """Was data loaded after the summary was measured? Then its figures describe older data."""
    return summary.data_batch is not None and data_batch is not None and data_batch > summary.data_batch


def accuracy_paragraph(summary: AccuracySummary, lang: str) -> str:
    """When and on what the models' accuracy was measured, and how to read the table."""
    return t("accuracy.about.measured", lang, date=format_date(summary.measured_at, lang),
             series=t("accuracy.about.measured_series", lang, count=summary.series),
             areas=t("counts.areas", lang, count=len(summary.areas)),
             metrics=t("counts.metrics", lang, count=len(summary.metrics)),
             year=summary.newest_year if summary.newest_year is not None else "–",
             naive=model_label("naive", lang), interval=format_percent(summary.interval, lang))


def accuracy_table(summary: AccuracySummary, lang: str) -> Table:
    """Per model: error relative to naive, measured coverage of the nominal band, series scored
    (the page's table and the `forecast accuracy` command's lines)."""
    interval = format_percent(summary.interval, lang)
    columns = (t("accuracy.about.col.model", lang), t("accuracy.about.col.relative", lang, naive=model_label("naive", lang)),
               t("accuracy.about.col.coverage", lang, interval=interval), t("accuracy.about.col.series", lang))
    rows = tuple(
        (model_label(m.model, lang), format_number(m.relative_mae, lang, 2),
         f"{format_percent(m.coverage, lang)} ({m.hits}/{m.checked})" if m.checked else "–", str(m.series))
        for m in summary.models if m.series
    )
    return Table(t("accuracy.about.caption", lang), columns, rows)


def _contact(model: AboutModel, lang: str) -> Section:
    who = escape_markdown(model.maintainer) if model.maintainer else t("about.contact.maintainer_unset", lang)
    paragraphs = [t("about.contact.maintainer", lang, who=who)]
    if model.owners:
        paragraphs.append(t("about.contact.owners", lang, owners=escape_markdown(", ".join(model.owners))))
    if model.feedback_url:
        paragraphs.append(t("about.contact.feedback_url", lang, url=escape_markdown(model.feedback_url)))
    if model.feedback_email:
        paragraphs.append(t("about.contact.feedback_email", lang, email=escape_markdown(model.feedback_email)))
    if not (model.feedback_url or model.feedback_email):
        paragraphs.append(t("about.contact.feedback_unset", lang))
    return Section("contact", t("about.contact.heading", lang), tuple(paragraphs))


def about_text(model: AboutModel, lang: str) -> AboutText:
    """Every string of the transparency page in `lang`."""
    names = {s.key: s.name for s in model.sources}
    sections = (
        _sources(model, lang),
        _metrics(model, lang, names),
        _algorithms(model, lang),
        Section("not_done", t("about.not_done.heading", lang), (t("about.not_done.body", lang),)),
        _contact(model, lang),
    )
    return AboutText(t("about.title", lang), t("about.intro", lang), sections)


def table_html(table: Table) -> str:
    """An accessible HTML table: caption, column headers with scope, the first cell of a row as its header."""
    head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in table.columns)
    body = "".join(
        "<tr>" + f'<th scope="row">{html.escape(row[0])}</th>' + "".join(f"<td>{html.escape(c)}</td>" for c in row[1:]) + "</tr>"
        for row in table.rows
    )
    return (f'<table class="km-table"><caption>{html.escape(table.caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
