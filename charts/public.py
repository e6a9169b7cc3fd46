"""The public summary's chart of one metric: a line per area level (the municipality, its region,
its wellbeing services county and Finland), the same design on the Streamlit page and on the
static public site (`publish/`, drawn to SVG by vl-convert).

Accessibility: each area level has its own colour, dash pattern and point shape
(`charts.lines.level_styles`, the same as the printed small multiples), so no area is told apart
by colour alone and a level looks the same whichever other levels are drawn; axis text is
#333333; numbers follow the language (12 345,6 in fi/sv). A value hidden by disclosure control
or without enough coverage is a gap in the line, never drawn.
"""

from __future__ import annotations

import altair as alt

from charts.lines import level_styles
from charts.specs import AXIS
from kuntamittari.i18n import t
from readout.model import MetricReadout
from readout.tables import level_frame
from readout.text import text_plain

#: Years shown in each chart and its table on screen (the same figures in both; the CSV has all years).
SCREEN_YEARS = 12


def _axis_label_expr(lang: str, decimals: int) -> str:
    """Vega expression formatting axis numbers as in the language (12 345,6 in fi/sv)."""
    base = f"format(datum.value, ',.{max(0, decimals)}f')"
    if lang == "en":
        return base
    return f"replace(replace({base}, regexp(',', 'g'), '\u00a0'), '.', ',')"


def metric_chart(item: MetricReadout, lang: str, years: int | None = None, width: int | None = None) -> alt.Chart | None:
    """A line per area level; hidden values are gaps, never drawn. None if nothing to draw.
    `width` in pixels for a drawing of fixed size (SVG); the page's chart fills its container."""
    table = level_frame(item, lang)
    if table.empty:
        return None
    shown = table[table["value"].notna()].copy()
    if years:
        periods = sorted(table["period"].unique())[-years:]
        shown = shown[shown["period"].isin(periods)]
    if shown.empty:
        return None
    levels = table.drop_duplicates("area_name")
    names = levels["area_name"].tolist()
    styles = level_styles(levels["level"].tolist())
    series_title = t("public.col_area", lang)
    value_title = text_plain(item.info.unit, lang) or t("public.col_value", lang)
    encode_colour = alt.Color("area_name:N", title=series_title, scale=alt.Scale(domain=names, range=[s.colour for s in styles]),
                              legend=alt.Legend(orient="bottom", columns=1, labelLimit=240))  # one per row: fits 320 px
    base = alt.Chart(shown).encode(
        x=alt.X("period:O", title=t("public.col_period", lang), axis=alt.Axis(labelAngle=0)),
        y=alt.Y(
            "value:Q",
            title=value_title,
            axis=alt.Axis(labelExpr=_axis_label_expr(lang, 0 if shown["value"].abs().max() >= 100 else 1)),
            scale=alt.Scale(zero=False),
        ),
        color=encode_colour,
    )
    lines = base.mark_line(strokeWidth=2.5).encode(
        strokeDash=alt.StrokeDash("area_name:N", scale=alt.Scale(domain=names, range=[list(s.dash) for s in styles]), legend=None)
    )
    points = base.mark_point(filled=True, size=45, opacity=1).encode(  # VL's default 0.7 fades to < 3:1
        shape=alt.Shape("area_name:N", scale=alt.Scale(domain=names, range=[s.shape for s in styles]), legend=None)
    )
    return (
        alt.layer(lines, points)
        .properties(height=260, **({"width": width} if width else {}))
        .configure_axis(labelColor=AXIS, titleColor=AXIS, labelFontSize=12, titleFontSize=12)
        .configure_legend(labelColor=AXIS, titleColor=AXIS, labelFontSize=12)
    )


def chart_alt(item: MetricReadout, metric_name: str, area_name: str, lang: str, years: int | None = None) -> str:
    """The chart's text alternative: what it shows, for which area and years (the same figures
    are in the table below it)."""
    periods = sorted({p.period for s in item.series for p in s.points})
    periods = periods[-years:] if years else periods
    if not periods:
        return ""
    return t("public.chart_alt", lang, metric=metric_name, area=area_name, start=periods[0], end=periods[-1])
