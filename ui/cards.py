"""Overview cards as display text: pure functions from `metrics.cards.MetricCard` to strings.

Kept apart from the page so the wording (and the numbers in it) is tested without Streamlit.
Status never relies on colour alone: each status has an icon, a word and a badge colour.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from kuntamittari.formatting import format_change, format_number, format_period
from kuntamittari.i18n import pick, t
from ui.charts import sparkline_text, unicode_sparkline

logger = logging.getLogger(__name__)

TARGET_STYLE = {  # status -> (icon, badge colour)
    "on_target": (":material/check_circle:", "green"),
    "off_target": (":material/error:", "orange"),
    "no_target": (":material/remove:", "gray"),
}
TREND_STYLE = {
    "improving": (":material/trending_up:", "green"),
    "worsening": (":material/trending_down:", "red"),
    "stable": (":material/trending_flat:", "blue"),
    "unknown": (":material/help:", "gray"),
}
RELATIVE_ICON = {"better": "▲", "worse": "▼", "same": "=", "unknown": ""}
SORTS = ("theme", "worsening", "off_target")


@dataclass(frozen=True)
class CardText:
    metric_id: str
    theme: str
    name: str
    value: str
    unit: str
    period: str
    change_1: str
    change_5: str
    comparison: str
    target_label: str
    target_icon: str
    target_colour: str
    trend_label: str
    trend_icon: str
    trend_colour: str
    sparkline: str
    sparkline_text: str
    note: str
    has_data: bool


def card_text(card: object, metric: object, lang: str, area_name: str, comparison_label: str,
              period_wanted: str | None = None) -> CardText:
    """All strings of one card in `lang`; `period_wanted` adds the 'not published' note."""
    decimals = int(getattr(metric, "decimals", 1))
    name = pick(metric.name.as_dict(), lang)  # type: ignore[attr-defined]
    unit = pick(metric.unit.as_dict(), lang)  # type: ignore[attr-defined]
    theme = getattr(metric.theme, "value", str(metric.theme))  # type: ignore[attr-defined]
    has_data = card.latest_value is not None  # type: ignore[attr-defined]
    notes: list[str] = []
    source = getattr(metric, "source", None) or "THL, Sotkanet"
    if not has_data:
        notes.append(t("overview.no_data", lang, area=area_name, source=source))
    elif period_wanted and card.latest_period and card.latest_period < period_wanted:  # type: ignore[attr-defined]
        notes.append(t("overview.not_published", lang, source=source, year=period_wanted, area=area_name,
                       latest=format_period(card.latest_period, lang)))  # type: ignore[attr-defined]
    if card.note and card.note != "no_data":  # type: ignore[attr-defined]
        notes.append(t(f"metrics.note.{card.note}", lang))  # type: ignore[attr-defined]
    if card.comparison_value is not None:  # type: ignore[attr-defined]
        relative = t(f"metrics.relative.{card.relative}", lang)  # type: ignore[attr-defined]
        comparison = t("overview.comparison", lang, group=comparison_label,
                       value=format_number(card.comparison_value, lang, decimals),  # type: ignore[attr-defined]
                       relative=f"{RELATIVE_ICON.get(card.relative, '')} {relative}".strip())  # type: ignore[attr-defined]
    else:
        comparison = t("overview.comparison_missing", lang, group=comparison_label)
    target_status = card.target_status  # type: ignore[attr-defined]
    target_label = t(f"metrics.target_status.{target_status}", lang)
    if card.target_value is not None:  # type: ignore[attr-defined]
        target_label += " " + t("overview.target_value", lang,
                                value=format_number(card.target_value, lang, decimals))  # type: ignore[attr-defined]
    trend = card.trend  # type: ignore[attr-defined]
    spark = list(card.sparkline)  # type: ignore[attr-defined]
    return CardText(
        metric_id=card.metric_id,  # type: ignore[attr-defined]
        theme=theme,
        name=name,
        value=format_number(card.latest_value, lang, decimals),  # type: ignore[attr-defined]
        unit=unit,
        period=format_period(card.latest_period, lang),  # type: ignore[attr-defined]
        change_1=format_change(card.change_1, lang, decimals),  # type: ignore[attr-defined]
        change_5=format_change(card.change_5, lang, decimals),  # type: ignore[attr-defined]
        comparison=comparison,
        target_label=target_label,
        target_icon=TARGET_STYLE.get(target_status, TARGET_STYLE["no_target"])[0],
        target_colour=TARGET_STYLE.get(target_status, TARGET_STYLE["no_target"])[1],
        trend_label=t(f"metrics.trend.{trend}", lang),
        trend_icon=TREND_STYLE.get(trend, TREND_STYLE["unknown"])[0],
        trend_colour=TREND_STYLE.get(trend, TREND_STYLE["unknown"])[1],
        sparkline=unicode_sparkline([v for _p, v in spark]),
        sparkline_text=sparkline_text(spark, lang, decimals),
        note=" ".join(notes),
        has_data=has_data,
    )


def _severity(card: object) -> tuple[int, int, int]:
    trend = {"worsening": 0, "stable": 2, "improving": 3}.get(card.trend, 1)  # type: ignore[attr-defined]
    target = 0 if card.target_status == "off_target" else 1  # type: ignore[attr-defined]
    relative = 0 if card.relative == "worse" else 1  # type: ignore[attr-defined]
    return trend, target, relative


def arrange(cards: Sequence[object], sort: str, theme: str | None, only_off_target: bool,
            theme_of: dict[str, str]) -> list[object]:
    """Filter by theme and target status, then order: theme order, or worsening first."""
    chosen = [c for c in cards if theme in (None, "", "all") or theme_of.get(c.metric_id) == theme]  # type: ignore[attr-defined]
    if only_off_target:
        chosen = [c for c in chosen if c.target_status == "off_target"]  # type: ignore[attr-defined]
    if sort == "worsening":
        chosen = sorted(chosen, key=_severity)  # stable: theme order within equal severity
    elif sort == "off_target":
        chosen = sorted(chosen, key=lambda c: (c.target_status != "off_target", _severity(c)))  # type: ignore[attr-defined]
    return list(chosen)
