"""Tables of a readout: the accessible HTML tables of the public summary and the display tables of
the dashboard, built from the readout so every cell says what the sentences say.

A hidden value is a cell with its words ("too few to publish", "not enough data (coverage
71 %)"), never a number. No Streamlit here: the public page, the print view, reports and the
static site use the same tables.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

from kuntamittari.i18n import t
from readout.build import PUBLIC_COMPARISONS
from readout.formatting import format_period
from readout.localise import LocalisedReadout, area_name, basis_text, cell_text, status_text, value_text
from readout.model import AreaReadout, MetricReadout, Point, Texts
from readout.text import text_plain

LEVEL_ROLES: tuple[str, ...] = PUBLIC_COMPARISONS  # the public readout's comparison areas


def level_frame(item: MetricReadout, lang: str) -> pd.DataFrame:
    """One row per area and period: role, area code and name, period, value (NaN when hidden),
    status. The rows behind a chart (hidden values are gaps, never drawn)."""
    rows = [
        {"level": s.area.role, "area_code": s.area.code, "area_name": area_name(s.area, lang), "period": p.period,
         "value": p.value if p.value is not None else float("nan"), "status": p.status}
        for s in item.series for p in s.points
    ]
    columns = ["level", "area_code", "area_name", "period", "value", "status"]
    return pd.DataFrame(rows, columns=columns).astype({"value": "float64"})


def _period_table_html(caption: str, columns: Sequence[tuple[str, dict[str, Point]]], periods: Sequence[str],
                       item: MetricReadout, lang: str) -> str:
    """An accessible table: a row per period, a column per `(header, period -> point)`; each cell
    is the figure with its notes (partial, coverage; approximation), or the words for a hidden one."""
    decimals, note = item.info.decimals, item.info.approximation_note
    head = "".join(f'<th scope="col">{html.escape(header)}</th>' for header, _ in columns)
    rows = []
    for period in periods:
        cells = "".join(f'<td class="num">{html.escape(cell_text(points.get(period), decimals, lang, note))}</td>'
                        for _header, points in columns)
        rows.append(f'<tr><th scope="row">{html.escape(format_period(period, lang))}</th>{cells}</tr>')
    return (
        f'<table class="km-table"><caption>{html.escape(caption)}</caption>'
        f'<thead><tr><th scope="col">{html.escape(t("public.col_period", lang))}</th>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table>'
    )


def _last_periods(series: Sequence[Sequence[Point]], years: int | None) -> list[str]:
    periods = sorted({p.period for points in series for p in points})
    return periods[-years:] if years else periods


def values_table_html(item: MetricReadout, lang: str, years: int | None = None) -> str:
    """The chart's figures: years as rows, the area and its comparison areas as columns."""
    periods = _last_periods([s.points for s in item.series], years)
    columns = [(area_name(s.area, lang), {p.period: p for p in s.points}) for s in item.series]
    caption = t("public.table_caption", lang, metric=text_plain(item.info.name, lang))
    return _period_table_html(caption, columns, periods, item, lang)


def parts_table_html(item: MetricReadout, lang: str, years: int | None = None) -> str:
    """The area's total, men and women by year (only where the source has the split); the
    complementary suppression upstream keeps a hidden part from being derived."""
    if not item.parts or item.own is None:
        return ""
    periods = _last_periods([s.points for s in item.parts], years)
    columns = [(t("public.gender.total", lang), {p.period: p for p in item.own.points})]
    columns += [(t(f"public.gender.{s.gender}", lang), {p.period: p for p in s.points}) for s in item.parts]
    caption = t("public.parts_caption", lang, metric=text_plain(item.info.name, lang))
    return _period_table_html(caption, columns, periods, item, lang)


def overview_table_html(readout: AreaReadout, text: LocalisedReadout, lang: str) -> str:
    """One row per metric: latest value, trend (symbol + word) and each comparison area's value."""
    names = dict(text.level_names)
    heads = [t("public.col_metric", lang), t("public.col_latest", lang), t("public.col_trend", lang)]
    computed = {c.role for m in text.metrics for c in m.comparisons if c.value_basis}
    heads += [names.get(role, t(f"readout.group.{role}", lang))
              + (f" ({t('common.computed', lang)})" if role in computed else "") for role in LEVEL_ROLES]
    rows = []
    for words in text.metrics:
        latest = words.status_text
        if words.has_value:
            latest = f"{words.value_with_unit} ({words.period}" + (f"; {words.status_text})" if words.status_text else ")")
        cells = [latest, f"{words.trend_symbol} {words.trend_label}"]
        for role in LEVEL_ROLES:
            comp = words.comparison(role)
            cells.append("" if comp is None else comp.cell)
        body = "".join(f"<td>{html.escape(c)}</td>" for c in cells)
        rows.append(f'<tr><th scope="row">{html.escape(words.name)}</th>{body}</tr>')
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in heads)
    return (
        f'<table class="km-table"><caption>{html.escape(t("public.comparison_heading", lang))}</caption>'
        f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def area_label_column(frame: pd.DataFrame, lang: str, names: dict[str, str] | None = None) -> pd.Series:
    """Official area names in `lang` for a tidy frame (from `names` by code when given, else the
    frame's own Finnish/Swedish names)."""
    fallback = frame["area_name_fi"].astype("object")
    if lang == "sv" and "area_name_sv" in frame:
        sv = frame["area_name_sv"].astype("object")
        fallback = sv.where(sv.notna() & (sv != ""), fallback)
    if names:
        mapped = frame["area_code"].map(names)
        fallback = mapped.where(mapped.notna(), fallback)
    return fallback.fillna(frame["area_code"]).astype(str)


def values_table(frame: pd.DataFrame, lang: str, decimals: int, *, with_gender: bool = False,
                 with_age: bool = False, names: dict[str, str] | None = None,
                 approximation_note: Texts = ()) -> pd.DataFrame:
    """The metric page's table (and its download): area, period, [gender], [age band], value as
    text (hidden values in words), basis (an approximation with the metric's note), status (the
    readout's words: partial ones with their coverage)."""
    from readout.build import point_from_row

    if frame.empty:
        return pd.DataFrame(columns=[t("detail.col.area", lang), t("detail.col.period", lang), t("detail.col.value", lang)])
    out = pd.DataFrame({
        t("detail.col.area", lang): area_label_column(frame, lang, names).to_numpy(),
        t("detail.col.period", lang): frame["period"].astype(str).to_numpy(),
    })
    if with_gender:
        out[t("detail.col.gender", lang)] = [t(f"detail.gender.{g}", lang) for g in frame["gender"]]
    if with_age:
        out[t("detail.col.age_band", lang)] = frame["age_band"].astype(str).to_numpy()
    points = [point_from_row(r) for r in frame.to_dict("records")]
    out[t("detail.col.value", lang)] = [value_text(p, decimals, lang) for p in points]
    out[t("detail.col.basis", lang)] = [basis_text(p, lang, approximation_note) if p.basis else "" for p in points]
    out[t("detail.col.status", lang)] = [status_text(p, lang) or t("detail.status.ok", lang) for p in points]
    return out


def rules_line(frame: pd.DataFrame, lang: str, decimals: int, names: dict[str, str] | None = None,
               approximation_note: Texts = ()) -> list[tuple[str, str]]:
    """(area name, figure with its notes) of the comparison areas drawn as rules on a ranking: a
    partial or approximate region value says so beside the figure, as on every other surface."""
    from readout.build import point_from_row

    shown = frame.dropna(subset=["value"])
    labels = area_label_column(shown, lang, names) if not shown.empty else []
    points = [point_from_row(r) for r in shown.to_dict("records")]
    return [(str(label), cell_text(p, decimals, lang, approximation_note)) for label, p in zip(labels, points, strict=True)]
