"""The plain-language municipal summary (Kuntakatsaus / Kommunöversikt / Municipal summary).

Council members and residents read this, so it says in sentences what is improving, what is
worsening and how the municipality compares with its region, its wellbeing services county and
Finland. It is generated from the metric layer in two steps:

1. `collect_facts` asks the metric layer for each *approved* metric's series for the
   municipality and its comparison areas and passes every frame through
   `metrics.disclosure.apply_disclosure` first, so a suppressed value can never reach a
   sentence, a table or a download;
2. `build_summary` turns those facts into sentences via `kuntamittari.i18n.t` (no Streamlit),
   so the same text serves the page, the printable view and tests.

Drafts never appear: only `Catalog.approved()` metrics are read.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
from babel.numbers import format_decimal

from kuntamittari.i18n import normalise_language, pick, t
from metrics.disclosure import DEFAULT_MIN_COUNT, apply_disclosure

logger = logging.getLogger(__name__)

Direction = Literal["higher_is_better", "lower_is_better", "neutral"]
Trend = Literal["improving", "worsening", "rising", "falling", "stable", "unknown"]
Comparison = Literal["better", "worse", "higher", "lower", "same", "unknown"]
LEVELS: tuple[str, ...] = ("region", "county", "country")

#: A change of less than this share of the earlier value counts as "stable".
TREND_THRESHOLD = 0.03
#: A difference of less than this share of the comparison value counts as "about the same".
COMPARISON_THRESHOLD = 0.05
#: How many periods back the trend looks (five years, as the dashboard's change_5).
TREND_SPAN = 5

_BABEL_LOCALE = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}


class SummaryError(RuntimeError):
    """The summary cannot be built (unknown area, metric layer unavailable)."""


@dataclass(frozen=True)
class MetricFacts:
    """What the summary needs to know about one approved metric, already disclosure-checked.

    `series` holds the municipality's publishable `(period, value)` pairs, oldest first, with
    None where a value is suppressed; `comparisons` maps 'region'/'county'/'country' to the
    comparison area's value in the same period (None when missing or suppressed).
    """

    metric_id: str
    name: Mapping[str, str]
    description: Mapping[str, str] = field(default_factory=dict)
    why: Mapping[str, str] = field(default_factory=dict)
    unit: Mapping[str, str] = field(default_factory=dict)
    decimals: int = 1
    direction: Direction = "neutral"
    series: tuple[tuple[str, float | None], ...] = ()
    comparisons: Mapping[str, float | None] = field(default_factory=dict)
    comparison_names: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    computed_levels: frozenset[str] = frozenset()
    theme: str = ""

    @property
    def latest(self) -> tuple[str | None, float | None]:
        """The last period and its value (None when suppressed or missing)."""
        if not self.series:
            return None, None
        period, value = self.series[-1]
        return period, value

    @property
    def suppressed(self) -> bool:
        """Whether the latest value is hidden (too few to publish)."""
        return bool(self.series) and self.series[-1][1] is None


@dataclass(frozen=True)
class MetricSummary:
    """One metric's lines for the page: its facts and the sentences about it."""

    facts: MetricFacts
    trend: Trend
    trend_text: str
    comparison_texts: tuple[str, ...]
    latest_text: str


@dataclass(frozen=True)
class Summary:
    """The whole summary of one municipality in one language."""

    area_code: str
    area_name: str
    lang: str
    data_period: str | None
    headline: tuple[str, ...]
    improving: tuple[str, ...]
    worsening: tuple[str, ...]
    comparisons: tuple[str, ...]
    metrics: tuple[MetricSummary, ...]


# --------------------------------------------------------------------------- formatting


def format_number(value: float | None, lang: str, decimals: int = 1) -> str:
    """A number in the language's convention (fi/sv: 12 345,6; en: 12,345.6); '–' if missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("common.no_data", lang)
    decimals = max(0, int(decimals))
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_BABEL_LOCALE[normalise_language(lang)])


def format_value(facts: MetricFacts, value: float | None, lang: str) -> str:
    """A value with its unit, e.g. '9,4 %'; missing -> 'ei tietoa'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("common.no_data", lang)
    number = format_number(value, lang, facts.decimals)
    unit = pick(dict(facts.unit), lang)
    if not unit:
        return number
    return f"{number} {unit}" if unit != "%" or lang != "en" else f"{number}%"


# --------------------------------------------------------------------------- classification


def _valid(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def classify_trend(facts: MetricFacts, span: int = TREND_SPAN) -> tuple[Trend, str | None, float | None]:
    """Improving / worsening (rising / falling if neutral) / stable over the last `span` periods (or fewer if that is all).

    Returns the trend, the earlier period compared against and its value. Suppressed values
    are never used: the start is the earliest publishable value within the span.
    """
    if not facts.series or not _valid(facts.series[-1][1]):
        return "unknown", None, None
    last_value = float(facts.series[-1][1])  # type: ignore[arg-type]
    window = facts.series[-(span + 1) : -1]
    start = next(((p, v) for p, v in window if _valid(v)), None)
    if start is None:
        return "unknown", None, None
    start_period, start_value = start
    base = abs(float(start_value)) or 1.0  # type: ignore[arg-type]
    change = (last_value - float(start_value)) / base  # type: ignore[arg-type]
    if abs(change) < TREND_THRESHOLD:
        return "stable", start_period, start_value
    rising = change > 0
    if facts.direction == "neutral":  # no judgement for metrics without a good direction
        return ("rising" if rising else "falling"), start_period, start_value
    good = rising if facts.direction == "higher_is_better" else not rising
    return ("improving" if good else "worsening"), start_period, start_value


def classify_comparison(facts: MetricFacts, other: float | None) -> Comparison:
    """How the latest value compares with another area's value, judged by the metric's direction."""
    _, value = facts.latest
    if not _valid(value) or not _valid(other):
        return "unknown"
    base = abs(float(other)) or 1.0  # type: ignore[arg-type]
    diff = (float(value) - float(other)) / base  # type: ignore[arg-type]
    if abs(diff) < COMPARISON_THRESHOLD:
        return "same"
    higher = diff > 0
    if facts.direction == "neutral":
        return "higher" if higher else "lower"
    good = higher if facts.direction == "higher_is_better" else not higher
    return "better" if good else "worse"


# --------------------------------------------------------------------------- text


def summarise_metric(facts: MetricFacts, area_name: str, lang: str) -> MetricSummary:
    """The sentences about one metric."""
    name = pick(dict(facts.name), lang)
    period, value = facts.latest
    if facts.suppressed:
        latest_text = t("public.sentence.suppressed", lang, metric=name, period=period or "")
    elif _valid(value):
        latest_text = t(
            "public.sentence.latest",
            lang,
            metric=name,
            area=area_name,
            period=period or "",
            value=format_value(facts, value, lang),
        )
    else:
        latest_text = t("public.sentence.no_data", lang, metric=name)
    trend, start_period, start_value = classify_trend(facts)
    if trend == "unknown":
        trend_text = ""
    else:
        trend_text = t(
            f"public.sentence.trend_{trend}",
            lang,
            metric=name,
            start=start_period or "",
            start_value=format_value(facts, start_value, lang),
            end=period or "",
            end_value=format_value(facts, value, lang),
        )
    comparisons: list[str] = []
    for level in LEVELS:
        if level not in facts.comparisons:
            continue
        other = facts.comparisons.get(level)
        verdict = classify_comparison(facts, other)
        if verdict == "unknown":
            continue
        other_name = facts.comparison_names.get(level) or t(f"public.level.{level}", lang)
        text = t(
            f"public.sentence.compare_{verdict}",
            lang,
            metric=name,
            other=other_name,
            value=format_value(facts, value, lang),
            other_value=format_value(facts, other, lang),
        )
        if level in facts.computed_levels:
            text = f"{text} ({t('common.computed', lang)})"
        comparisons.append(text)
    return MetricSummary(
        facts=facts,
        trend=trend,
        trend_text=trend_text,
        comparison_texts=tuple(comparisons),
        latest_text=latest_text,
    )


def build_summary(
    facts: Sequence[MetricFacts], area_code: str, area_name: str, lang: str
) -> Summary:
    """Turn per-metric facts into the municipality's summary in `lang`."""
    lang = normalise_language(lang)
    items = tuple(summarise_metric(f, area_name, lang) for f in facts)
    improving = tuple(pick(dict(i.facts.name), lang) for i in items if i.trend == "improving")
    worsening = tuple(pick(dict(i.facts.name), lang) for i in items if i.trend == "worsening")
    periods = [i.facts.latest[0] for i in items if i.facts.latest[0]]
    data_period = max(periods) if periods else None
    headline: list[str] = []
    if improving or worsening:
        headline.append(
            t(
                "public.headline.counts",
                lang,
                area=area_name,
                improving=len(improving),
                worsening=len(worsening),
                total=len(items),
            )
        )
    else:
        headline.append(t("public.headline.steady", lang, area=area_name))
    better = sum(1 for i in items if classify_comparison(i.facts, i.facts.comparisons.get("country")) == "better")
    worse = sum(1 for i in items if classify_comparison(i.facts, i.facts.comparisons.get("country")) == "worse")
    if better or worse:
        headline.append(t("public.headline.vs_country", lang, area=area_name, better=better, worse=worse))
    comparisons = tuple(text for i in items for text in i.comparison_texts)
    return Summary(
        area_code=area_code,
        area_name=area_name,
        lang=lang,
        data_period=data_period,
        headline=tuple(headline),
        improving=improving,
        worsening=worsening,
        comparisons=comparisons,
        metrics=items,
    )


def _join(names: Iterable[str], lang: str) -> str:
    """'a, b and c' in the language ('ja' / 'och' / 'and')."""
    items = list(names)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {t('public.and', lang)} {items[-1]}"


# --------------------------------------------------------------------------- from frames


def facts_from_frames(
    *,
    metric_id: str,
    texts: Mapping[str, Any],
    frames: Mapping[str, pd.DataFrame],
    min_count: int = DEFAULT_MIN_COUNT,
    value_is_count: bool = False,
    comparison_names: Mapping[str, str] | None = None,
    computed_levels: Iterable[str] = (),
) -> MetricFacts:
    """Build facts from metric-layer frames ('area' plus any of 'region', 'county', 'country').

    Every frame goes through `apply_disclosure` here (whatever the caller did before), and
    only the `total` group is read, so a suppressed value cannot reach the summary.
    """
    disclosed = {
        key: apply_disclosure(frame, min_count, value_is_count=value_is_count) for key, frame in frames.items()
    }
    area = _totals(disclosed.get("area"))
    series = tuple(
        (str(row.period), None if row.suppressed or pd.isna(row.value) else float(row.value))
        for row in area.itertuples()
    )
    latest_period = series[-1][0] if series else None
    comparisons: dict[str, float | None] = {}
    for level in LEVELS:
        frame = _totals(disclosed.get(level))
        if frame.empty or latest_period is None:
            continue
        match = frame[frame["period"].astype(str) == latest_period]
        if match.empty:
            comparisons[level] = None
            continue
        row = match.iloc[-1]
        comparisons[level] = None if bool(row["suppressed"]) or pd.isna(row["value"]) else float(row["value"])
    return MetricFacts(
        metric_id=metric_id,
        name=texts.get("name") or {"fi": metric_id},
        description=texts.get("description") or {},
        why=texts.get("why") or {},
        unit=texts.get("unit") or {},
        decimals=int(texts.get("decimals", 1) or 0),
        direction=_direction(texts.get("direction")),
        series=series,
        comparisons=comparisons,
        comparison_names=dict(comparison_names or {}),
        source=str(texts.get("source", "")),
        computed_levels=frozenset(computed_levels),
    )


@dataclass(frozen=True)
class PublicMetricData:
    """One approved metric as published: facts for the text and the disclosed tables.

    `table` has one row per area level and period: `level` ('area', 'region', 'county',
    'country'), `area_code`, `area_name`, `period`, `value` (NaN when hidden) and `suppressed`.
    `parts` holds the municipality's male/female values (same columns plus `gender`), empty when
    the source has no split. They are the only source for charts, data tables and the CSV.
    """

    facts: MetricFacts
    table: pd.DataFrame
    parts: pd.DataFrame = field(default_factory=pd.DataFrame)
    min_count: int = DEFAULT_MIN_COUNT


@dataclass(frozen=True)
class PublicSummaryData:
    """Everything the public page shows for one municipality in one language."""

    area_code: str
    area_name: str
    level_names: Mapping[str, str]
    summary: Summary
    metrics: tuple[PublicMetricData, ...]
    fetched: str | None


_LEVEL_OF_KIND = {"region": "region", "county": "county", "finland": "country"}
_GENDERS = ("male", "female")


def _area_names(areas: pd.DataFrame, code: str, lang: str) -> str | None:
    rows = areas[areas["code"] == code]
    if rows.empty:
        return None
    row = rows.iloc[-1]
    for column in (f"name_{normalise_language(lang)}", "name_fi"):
        value = row.get(column)
        if value is not None and not (isinstance(value, float) and math.isnan(value)) and str(value):
            return str(value)
    return None


@dataclass(frozen=True)
class PublicFrames:
    """The language-independent, already disclosed data of one municipality's summary.

    Cached by the UI per municipality; `localise` turns it into texts for one language.
    `frames` maps metric id -> disclosed rows (all levels, total and male/female parts) with a
    `level` column; `areas` holds the names of the areas involved (name_fi/sv/en by code).
    """

    area_code: str
    level_codes: Mapping[str, str]
    areas: pd.DataFrame
    frames: Mapping[str, pd.DataFrame]
    fetched_at: pd.Timestamp | None


def collect_public_frames(engine: Any, catalog: Any, area_code: str) -> PublicFrames:
    """Query every approved metric for the municipality and its comparison areas, disclosed.

    Per metric: the total for the municipality, its region, county and Finland, plus the
    municipality's male/female parts where the data has a gender split and the metric is not
    fixed to one gender. All rows of all metrics go through `disclose_table` together, so no
    sum, difference or rate x population of shown cells gives a hidden one. Drafts are never read.
    Raises `SummaryError` for an unknown municipality.
    """
    from sqlalchemy import select

    from datamodel.schema import group
    from metrics.errors import MetricsError
    from metrics.model import Selection
    from metrics.service import comparison_areas, list_areas, load_batches, query_metric

    code = str(area_code).strip()
    metrics = list(catalog.approved())
    areas = list_areas(engine)
    if code not in set(areas[areas["area_type"] == "kunta"]["code"]):
        raise SummaryError(f"unknown municipality '{area_code}'")
    level_codes: dict[str, str] = {}
    for kind, level in _LEVEL_OF_KIND.items():
        found = comparison_areas(engine, code, kind)
        if found:
            level_codes[level] = found[0]
    codes = (code, *level_codes.values())
    with engine.connect() as conn:
        genders = set(conn.execute(select(group.c.gender).distinct()).scalars())
    results: dict[str, list[pd.DataFrame]] = {m.id: [] for m in metrics}
    for metric in metrics:
        try:
            results[metric.id].append(query_metric(engine, catalog, metric.id, Selection(areas=codes)))
            if metric.filters.gender is None:
                for gender in _GENDERS:
                    if gender in genders:
                        results[metric.id].append(
                            query_metric(engine, catalog, metric.id, Selection(areas=(code,), gender=gender))
                        )
        except MetricsError as exc:
            logger.warning("public summary: metric %s left out: %s", metric.id, exc)
            results[metric.id] = []
    level_of_code = {code: "area", **{other: level for level, other in level_codes.items()}}
    frames: dict[str, pd.DataFrame] = {}
    batch_ids: set[int] = set()
    shown: list[pd.DataFrame] = []
    for metric_id, parts_list in results.items():
        non_empty = [f for f in parts_list if not f.empty]
        if not non_empty:
            continue
        combined = pd.concat(non_empty, ignore_index=True)
        combined = combined[combined["area_code"].isin(level_of_code)].copy()
        combined["level"] = combined["area_code"].map(level_of_code)
        shown.append(combined.drop(columns=[c for c in ("min_num",) if c in combined.columns]))
    if shown:
        # Every cell the page, its CSV and its printout show, judged together and as part of the
        # whole publication (so no page shows what another hides).
        from metrics.disclosure_publication import publication_context
        from metrics.disclosure_table import disclose_table

        table = pd.concat(shown, ignore_index=True)
        disclosed_all = disclose_table(table, catalog, context=publication_context(engine, catalog))
        for metric_id, disclosed in disclosed_all.groupby("metric_id", sort=False):
            batch_ids.update(int(b) for b in disclosed["batch_id"].dropna())
            frames[str(metric_id)] = disclosed.reset_index(drop=True)
    fetched_at = None
    if batch_ids:
        batches = load_batches(engine)
        used = batches[batches["batch_id"].isin(batch_ids)]
        stamps = pd.to_datetime(used["fetched_at"].fillna(used["loaded_at"]), errors="coerce", utc=True).dropna()
        fetched_at = stamps.max() if not stamps.empty else None
    names = areas[areas["code"].isin(level_of_code)][["code", "name_fi", "name_sv", "name_en"]].copy()
    return PublicFrames(code, level_codes, names.reset_index(drop=True), frames, fetched_at)


_MONTHS_FI = "tammikuuta helmikuuta maaliskuuta huhtikuuta toukokuuta kesäkuuta heinäkuuta elokuuta syyskuuta lokakuuta marraskuuta joulukuuta".split()
_MONTHS_SV = "januari februari mars april maj juni juli augusti september oktober november december".split()
_MONTHS_EN = "January February March April May June July August September October November December".split()


def format_date(stamp: pd.Timestamp | None, lang: str) -> str | None:
    """A date as written in the language: 8.9.2013 (fi), 8.9.2013 (sv), 8 September 2013 (en)."""
    if stamp is None:
        return None
    lang = normalise_language(lang)
    if lang == "en":
        return f"{stamp.day} {_MONTHS_EN[stamp.month - 1]} {stamp.year}"
    return f"{stamp.day}.{stamp.month}.{stamp.year}"


def localise(data: PublicFrames, catalog: Any, lang: str) -> PublicSummaryData:
    """The summary, tables and texts of `collect_public_frames` data in one language."""
    lang = normalise_language(lang)
    area_name = _area_names(data.areas, data.area_code, lang) or data.area_code
    level_names = {"area": area_name}
    for level, other in data.level_codes.items():
        level_names[level] = (
            t("public.level.country", lang) if other == "SSS" else _area_names(data.areas, other, lang) or other
        )
    items: list[PublicMetricData] = []
    for metric in catalog.approved():
        frame = data.frames.get(metric.id)
        if frame is None:
            continue
        item = _metric_data(metric, frame, level_names, lang)
        if item is not None:
            items.append(item)
    summary = build_summary([i.facts for i in items], data.area_code, area_name, lang)
    return PublicSummaryData(
        data.area_code, area_name, level_names, summary, tuple(items), format_date(data.fetched_at, lang)
    )


def collect_public_data(engine: Any, catalog: Any, area_code: str, lang: str) -> PublicSummaryData:
    """`collect_public_frames` + `localise` in one call (CLI, tests)."""
    return localise(collect_public_frames(engine, catalog, area_code), catalog, lang)


def _metric_data(metric: Any, disclosed: pd.DataFrame, level_names: Mapping[str, str], lang: str) -> PublicMetricData | None:
    """Facts and tables of one metric from its disclosed rows (total group for levels)."""
    gender = disclosed["gender"].astype(str)
    totals = disclosed[gender.isin(["total"]) | (metric.filters.gender is not None)]
    table_parts = []
    for level in ("area", *LEVELS):
        rows = totals[totals["level"] == level].sort_values("period", key=lambda s: s.astype(str))
        if rows.empty:
            continue
        table_parts.append(
            pd.DataFrame(
                {
                    "level": level,
                    "area_code": rows["area_code"].astype(str),
                    "area_name": level_names.get(level, level),
                    "period": rows["period"].astype(str),
                    "value": pd.to_numeric(rows["value"], errors="coerce").astype("float64"),
                    "suppressed": rows["suppressed"].astype(bool),
                    "basis": rows["basis"].astype(str),
                }
            )
        )
    if not table_parts:
        return None
    table = pd.concat(table_parts, ignore_index=True)
    parts_rows = disclosed[(disclosed["level"] == "area") & gender.isin(_GENDERS)] if metric.filters.gender is None else disclosed.iloc[0:0]
    parts = pd.DataFrame(
        {
            "gender": parts_rows["gender"].astype(str),
            "period": parts_rows["period"].astype(str),
            "value": pd.to_numeric(parts_rows["value"], errors="coerce").astype("float64"),
            "suppressed": parts_rows["suppressed"].astype(bool),
        }
    ).reset_index(drop=True)
    area_rows = table[table["level"] == "area"]
    series = tuple(
        (r.period, None if r.suppressed or pd.isna(r.value) else float(r.value)) for r in area_rows.itertuples()
    )
    latest = series[-1][0] if series else None
    comparisons: dict[str, float | None] = {}
    computed: set[str] = set()
    for level in LEVELS:
        rows = table[table["level"] == level]
        if rows.empty:
            continue
        match = rows[rows["period"] == latest]
        if match.empty:
            comparisons[level] = None
            continue
        row = match.iloc[-1]
        comparisons[level] = None if bool(row["suppressed"]) or pd.isna(row["value"]) else float(row["value"])
        if str(row["basis"]) in ("computed", "weighted", "unweighted"):
            computed.add(level)
    facts = MetricFacts(
        metric_id=metric.id,
        name=metric.name.as_dict(),
        description=metric.description.as_dict(),
        why=metric.why_it_matters.as_dict() if metric.why_it_matters else {},
        unit=metric.unit.as_dict(),
        decimals=int(metric.decimals),
        direction=_direction(metric.direction),
        series=series,
        comparisons=comparisons,
        comparison_names={k: v for k, v in level_names.items() if k != "area"},
        source=str(metric.attribution or metric.source or ""),
        computed_levels=frozenset(computed),
        theme=str(getattr(metric.theme, "value", metric.theme)),
    )
    return PublicMetricData(facts=facts, table=table.drop(columns=["basis"]), parts=parts, min_count=int(metric.min_count))


def public_table(
    frames: Mapping[str, pd.DataFrame],
    names: Mapping[str, str],
    min_count: int = DEFAULT_MIN_COUNT,
    value_is_count: bool = False,
) -> pd.DataFrame:
    """The publishable long table of all levels (total group only), disclosure applied per level."""
    parts: list[pd.DataFrame] = []
    for level in ("area", *LEVELS):
        frame = frames.get(level)
        if frame is None or frame.empty:
            continue
        disclosed = _totals(apply_disclosure(frame, min_count, value_is_count=value_is_count))
        part = pd.DataFrame(
            {
                "level": level,
                "area_code": disclosed["area_code"].astype(str) if "area_code" in disclosed else "",
                "area_name": names.get(level, level),
                "period": disclosed["period"].astype(str),
                "value": pd.to_numeric(disclosed["value"], errors="coerce").astype("float64"),
                "suppressed": disclosed["suppressed"].astype(bool),
            }
        )
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["level", "area_code", "area_name", "period", "value", "suppressed"])
    return pd.concat(parts, ignore_index=True)


def _direction(value: Any) -> Direction:
    """The metric model's Direction (enum or string) as a plain literal; unknown -> neutral."""
    text = str(getattr(value, "value", value) or "neutral")
    return text if text in ("higher_is_better", "lower_is_better") else "neutral"  # type: ignore[return-value]


def _totals(frame: pd.DataFrame | None) -> pd.DataFrame:
    """The `total` group rows (or all rows if the frame has no groups), sorted by period."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["period", "value", "suppressed"])
    if "group_code" in frame.columns:
        frame = frame[frame["group_code"].astype(str) == "total"]
    return frame.sort_values("period", key=lambda s: s.astype(str))
