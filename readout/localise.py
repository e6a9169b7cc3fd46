"""A readout in one language: the figures formatted and the verdicts and sentences worded.

`localise(readout, lang)` is the only place where a verdict becomes a word and a number becomes
text, so the overview card, the public summary (screen and print), the exports and the CLI show
the same word and the same figure for the same value. Every text is a message of
`locales/<lang>/readout.yaml` filled with numbers from `readout.formatting`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from kuntamittari.i18n import normalise_language, t
from readout.formatting import MISSING, format_change, format_date, format_number, format_percent, format_period, with_unit
from readout.model import AreaReadout, AreaRef, Comparison, MetricReadout, Point, Source, Texts
from readout.rules import COMPARISON_TOLERANCE, TREND_SPAN, TREND_TOLERANCE
from readout.text import pick_text, text_plain

logger = logging.getLogger(__name__)


def area_name(area: AreaRef, lang: str) -> str:
    """An area's official name in `lang` (Finnish where there is none); named groups in words."""
    if area.names:
        return pick_text(area.names, lang)
    kind = area.code.split(":")[0]
    if kind in ("pilot", "similar") or area.code == "SSS":
        return t(f"readout.group.{'finland' if area.code == 'SSS' else kind}", lang)
    return area.code


def status_text(point: Point | None, lang: str) -> str:
    """What the reader must know about a value besides the number ('' for a plain value)."""
    if point is None:
        return t("readout.status.missing", lang)
    if point.status in ("partial", "insufficient"):
        if point.coverage is None:
            return t(f"readout.status.{point.status}_unknown", lang)
        return t(f"readout.status.{point.status}", lang, coverage=format_percent(point.coverage, lang))
    return t(f"readout.status.{point.status}", lang) if point.status != "ok" else ""


def value_text(point: Point | None, decimals: int, lang: str) -> str:
    """The figure as shown in a cell: the number, or the words that stand for a hidden value."""
    if point is None or point.value is None:
        return status_text(point, lang) if point is not None and point.status != "ok" else MISSING
    return format_number(point.value, lang, decimals)


def basis_text(point: Point | None, lang: str, approximation_note: Texts = ()) -> str:
    """How a shown figure was made, when it is not the source's own ('' for a source figure): a
    value weighted by a stand-in for the rate's base carries the metric's approximation note."""
    basis = point.basis if point is not None else None
    if not basis or basis == "source":
        return ""
    if basis == "approximation" and approximation_note:
        return t("readout.basis.approximation_note", lang, note=text_plain(approximation_note, lang))
    return t(f"readout.basis.{basis}", lang)


def value_notes(point: Point | None, lang: str, approximation_note: Texts = ()) -> str:
    """What the reader must know beside a figure, in one phrase: its status ('partial, coverage
    97 %') and, for an approximation, the metric's note; '' for a plain figure."""
    notes = [status_text(point, lang) if point is not None else ""]
    if point is not None and point.value is not None and point.basis == "approximation":
        notes.append(basis_text(point, lang, approximation_note))
    return "; ".join(n for n in notes if n)


def cell_text(point: Point | None, decimals: int, lang: str, approximation_note: Texts = ()) -> str:
    """A figure with its notes, as every table and line shows it: '9,1 (partial, coverage 97 %)';
    a hidden value is its words ('not enough data (coverage 71 %)')."""
    shown = value_text(point, decimals, lang)
    notes = value_notes(point, lang, approximation_note)
    return f"{shown} ({notes})" if notes and point is not None and point.value is not None else shown


@dataclass(frozen=True)
class ComparisonText:
    role: str
    area: str
    verdict: str
    label: str
    symbol: str
    value: str  # the comparison area's figure (or the words for a hidden one)
    status: str  # '' or 'partial, coverage 97 %'
    basis: str  # '' or 'per 1 000 residents 41,9 / 61,9'
    value_basis: str  # how the comparison figure was made ('computed from ...'), '' for a source figure
    notes: str  # the status and, for an approximation, the metric's note: what a table shows beside the figure
    cell: str  # the figure with its notes: '9,1 (partial, coverage 97 %; approximation: ...)'
    sentence: str
    line: str  # 'North Ostrobothnia: 24,748 (▼ worse, per 1,000 residents 41.5 / 62.2)'


@dataclass(frozen=True)
class MetricText:
    """One metric in one language: every string any surface shows about it."""

    metric_id: str
    theme: str
    theme_name: str
    name: str
    unit: str
    value: str  # the latest figure, or the words for a hidden one
    value_with_unit: str
    period: str
    status: str  # status code of the latest value
    status_text: str
    has_value: bool
    change_1: str
    change_5: str
    trend: str
    trend_label: str
    trend_symbol: str
    trend_sentence: str
    latest_sentence: str
    comparisons: tuple[ComparisonText, ...]
    target: str
    target_label: str
    band: str | None
    band_label: str
    attention: tuple[str, ...]

    def comparison(self, role: str) -> ComparisonText | None:
        return next((c for c in self.comparisons if c.role == role), None)

    @property
    def lead(self) -> str:
        """'▲ Improving.': the trend's symbol and label, the first words under the metric's heading."""
        return f"{self.trend_symbol} {self.trend_label}.".strip()

    @property
    def summary(self) -> str:
        """The latest figure's sentence and the trend's, as the public summary says them together."""
        return f"{self.latest_sentence} {self.trend_sentence}".strip()

    @property
    def trend_detail(self) -> str:
        """'(▲ improving): <trend sentence>', after the metric's name in the improving/worsening lists."""
        return f"({self.trend_symbol} {self.trend_label}): {self.trend_sentence}"


@dataclass(frozen=True)
class LocalisedReadout:
    """A whole readout in one language."""

    lang: str
    area_code: str
    area_name: str
    data_period: str | None
    level_names: tuple[tuple[str, str], ...]  # (role, area name), the area first
    metrics: tuple[MetricText, ...]
    headline: tuple[str, ...]
    improving: tuple[str, ...]
    worsening: tuple[str, ...]
    sources: tuple[str, ...]
    source_line: str

    def metric(self, metric_id: str) -> MetricText:
        return next(m for m in self.metrics if m.metric_id == metric_id)


def _with_unit(point: Point | None, item: MetricReadout, lang: str) -> str:
    number = value_text(point, item.info.decimals, lang)
    if point is None or point.value is None:
        return number
    return with_unit(number, text_plain(item.info.unit, lang), lang)


def _comparison_text(item: MetricReadout, comp: Comparison, name: str, lang: str) -> ComparisonText:
    decimals = item.info.decimals
    other_name = area_name(comp.area, lang)
    basis = ""
    if comp.basis == "per_1000_residents":
        basis = t("readout.basis.per_1000_residents", lang, own=format_number(comp.own_rate, lang, 1),
                  other=format_number(comp.other_rate, lang, 1))
    note = item.info.approximation_note
    value_basis = basis_text(comp.point, lang, note)
    sentence = ""
    own, other = _with_unit(item.latest, item, lang), _with_unit(comp.point, item, lang)
    period = format_period(item.latest.period if item.latest is not None else None, lang)  # the year it is about
    if comp.verdict == "not_comparable":
        sentence = t("readout.sentence.compare_not_comparable", lang, metric=name, other=other_name, period=period,
                     other_value=other, reason=t(f"readout.reason.{comp.reason}", lang))
    elif comp.verdict != "unknown":
        sentence = t(f"readout.sentence.compare_{comp.verdict}", lang, metric=name, other=other_name, value=own,
                     other_value=other, period=period)
        if value_basis:
            sentence = f"{sentence.removesuffix('.')} ({value_basis})."
        if comp.basis == "per_1000_residents":
            sentence = t("readout.sentence.compare_rate", lang, text=sentence,
                         own=format_number(comp.own_rate, lang, 1), other=format_number(comp.other_rate, lang, 1))
    shown = cell_text(comp.point, decimals, lang, note)
    status = status_text(comp.point, lang) if comp.point else ""
    verdict = f"{t(f'readout.comparison_symbol.{comp.verdict}', lang)} {t(f'readout.comparison.{comp.verdict}', lang)}".strip()
    if basis:
        verdict = f"{verdict}, {basis}"
    elif comp.verdict in ("not_comparable", "unknown") and comp.reason:
        verdict = f"{verdict}: {t(f'readout.reason.{comp.reason}', lang)}"
    return ComparisonText(
        line=t("readout.comparison_line", lang, area=other_name, value=shown, verdict=verdict),
        role=comp.area.role, area=other_name, verdict=comp.verdict, label=t(f"readout.comparison.{comp.verdict}", lang),
        symbol=t(f"readout.comparison_symbol.{comp.verdict}", lang),
        value=value_text(comp.point, decimals, lang), status=status,
        basis=basis, value_basis=value_basis, sentence=sentence, notes=value_notes(comp.point, lang, note), cell=shown,
    )


def _latest_sentence(item: MetricReadout, name: str, area: str, lang: str) -> str:
    latest = item.latest
    if latest is None:
        return t("readout.sentence.no_data", lang, metric=name)
    period = format_period(latest.period, lang)
    if latest.status == "too_few":
        return t("readout.sentence.too_few", lang, metric=name, period=period)
    if latest.value is None:
        return t("readout.sentence.hidden", lang, metric=name, period=period, status=status_text(latest, lang))
    extra = status_text(latest, lang)
    key = "readout.sentence.latest_marked" if extra else "readout.sentence.latest"
    return t(key, lang, metric=name, area=area, value=_with_unit(latest, item, lang), period=period, status=extra)


def _trend_sentence(item: MetricReadout, lang: str) -> str:
    trend = item.trend
    if trend.verdict == "unknown" or trend.start is None or trend.end is None:
        return ""
    text = t(f"readout.sentence.trend_{trend.verdict}", lang, first=trend.first_year, last=trend.last_year,
             start=format_period(trend.start.period, lang), start_value=_with_unit(trend.start, item, lang),
             end=format_period(trend.end.period, lang), end_value=_with_unit(trend.end, item, lang))
    window = [p.value for p in (item.own.points if item.own else ()) if p.value is not None
              and trend.first_year is not None and trend.first_year <= p.year <= (trend.last_year or p.year)]
    if len(window) > 2:  # the verdict rests on every year of the window, not on the two ends alone
        decimals = item.info.decimals
        text = text.removesuffix(".") + " " + t("readout.sentence.trend_range", lang, low=format_number(min(window), lang, decimals),
                                                  high=format_number(max(window), lang, decimals))
    return text


def localise_metric(item: MetricReadout, area: str, lang: str) -> MetricText:
    """Every string about one metric in `lang`."""
    lang = normalise_language(lang)
    info, latest = item.info, item.latest
    name = text_plain(info.name, lang)
    target_label = t(f"readout.target.{item.target.verdict}", lang)
    if item.target.value is not None:
        target_label += " " + t("readout.target.value", lang, value=format_number(item.target.value, lang, info.decimals))
    return MetricText(
        metric_id=info.metric_id, theme=info.theme, theme_name=t(f"metrics.theme.{info.theme}", lang), name=name,
        unit=text_plain(info.unit, lang), value=value_text(latest, info.decimals, lang),
        value_with_unit=_with_unit(latest, item, lang),
        period=format_period(latest.period, lang) if latest is not None else MISSING,
        status=item.status, status_text=status_text(latest, lang) if latest is not None else t("readout.status.missing", lang),
        has_value=latest is not None and latest.value is not None,
        change_1=format_change(item.change_1, lang, info.decimals), change_5=format_change(item.change_5, lang, info.decimals),
        trend=item.trend.verdict, trend_label=t(f"readout.trend.{item.trend.verdict}", lang),
        trend_symbol=t(f"readout.trend_symbol.{item.trend.verdict}", lang), trend_sentence=_trend_sentence(item, lang),
        latest_sentence=_latest_sentence(item, name, area, lang),
        comparisons=tuple(_comparison_text(item, c, name, lang) for c in item.comparisons),
        target=item.target.verdict, target_label=target_label, band=item.band,
        band_label=t(f"readout.band.{item.band}", lang) if item.band else "",
        attention=tuple(t(f"readout.attention.{r}", lang) for r in item.attention),
    )


def source_text(source: Source, lang: str) -> str:
    """'THL, Sotkanet (CC BY 4.0), retrieved 8 Sept 2013' / own data with its upload date and user."""
    licence = source.licence or "–"
    if licence == "own":
        licence = t("readout.source.own_licence", lang)
    if source.retrieved is None:
        return t("readout.source.no_date", lang, name=source.name, licence=licence)
    date = format_date(source.retrieved, lang)
    if source.kind == "uploaded":
        key = "readout.source.uploaded_by" if source.uploaded_by else "readout.source.uploaded"
        return t(key, lang, name=source.name, licence=licence, date=date, user=source.uploaded_by or "")
    return t("readout.source.fetched", lang, name=source.name, licence=licence, date=date)


def sources_line(sources: Sequence[Source], lang: str) -> str:
    """'Source: THL, Sotkanet (CC BY 4.0), retrieved 8.9.2013; ...' for a caption."""
    if not sources:
        return t("readout.source.none", lang)
    return t("readout.source.label", lang, sources="; ".join(source_text(s, lang) for s in sources))


def _headline(items: Sequence[MetricText], area: str, data_period: str | None, lang: str) -> tuple[str, ...]:
    improving = sum(1 for i in items if i.trend == "improving")
    worsening = sum(1 for i in items if i.trend == "worsening")
    last = int(data_period[:4]) if data_period and data_period[:4].isdigit() else None
    years = {"first": last - TREND_SPAN if last else MISSING, "last": last or MISSING}  # the years the lines are about
    counted = {"improving": t("readout.headline.counts_improving", lang, count=improving),  # one phrase per count
               "worsening": t("readout.headline.counts_worsening", lang, count=worsening),
               "total": t("counts.metrics", lang, count=len(items))}
    lines = [t("readout.headline.counts", lang, area=area, **counted, **years) if improving or worsening
             else t("readout.headline.steady", lang, area=area, **years)]
    country = [i.comparison("finland") for i in items]
    better = sum(1 for c in country if c is not None and c.verdict == "better")
    worse = sum(1 for c in country if c is not None and c.verdict == "worse")
    if better or worse:
        lines.append(t("readout.headline.vs_country", lang, area=area, **years,
                       better=t("readout.headline.vs_country_better", lang, count=better),
                       worse=t("readout.headline.vs_country_worse", lang, count=worse)))
    return tuple(lines)


def localise(readout: AreaReadout, lang: str) -> LocalisedReadout:
    """The whole readout in `lang`."""
    lang = normalise_language(lang)
    area = area_name(readout.area, lang)
    items = tuple(localise_metric(m, area, lang) for m in readout.metrics)
    levels = (("area", area), *((ref.role, area_name(ref, lang)) for ref in readout.comparison_areas))
    return LocalisedReadout(
        lang=lang, area_code=readout.area.code, area_name=area, data_period=readout.data_period, level_names=levels,
        metrics=items, headline=_headline(items, area, readout.data_period, lang),
        improving=tuple(i.name for i in items if i.trend == "improving"),
        worsening=tuple(i.name for i in items if i.trend == "worsening"),
        sources=tuple(source_text(s, lang) for s in readout.sources), source_line=sources_line(readout.sources, lang),
    )


def rule_figures(lang: str) -> dict[str, str | int]:
    """The figures the verdicts use (`readout.rules`) as a reader's text says them: the trend's
    span in years, and the trend's and the comparison's tolerances as percentages ('3 %', '3%')."""
    return {"span": TREND_SPAN, "threshold": format_percent(TREND_TOLERANCE, lang),
            "cmp": format_percent(COMPARISON_TOLERANCE, lang)}


def howto_text(lang: str) -> str:
    """'How to read this' (Markdown) with the figures of `rule_figures`: the page and the static site."""
    return t("public.howto.body", lang, **rule_figures(lang))
