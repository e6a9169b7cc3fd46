"""Small Streamlit helpers shared by pages: charts with alt text and local number format,
downloads of exactly the shown table, and plain-language empty states."""

from __future__ import annotations

import logging

import altair as alt
import pandas as pd
import streamlit as st

from readout import downloads as downloads_io
from readout.downloads import Decimals
from readout.formatting import vega_number_format
from readout.provenance import Provenance
from kuntamittari.i18n import t

logger = logging.getLogger(__name__)


def altair(chart: alt.TopLevelMixin, lang: str, alt_text: str, *, key: str | None = None) -> None:
    """Draw `chart` with the language's number format and an accessible name (`alt_text`)."""
    chart = chart.copy(deep=False)
    chart.config.locale = alt.Locale(number=vega_number_format(lang))
    chart.config.aria = False  # see `vega`
    chart.config.mark = alt.MarkConfig(aria=False)
    st.altair_chart(chart, width="stretch", alt=alt_text, key=key)


def csv_bytes(frame: pd.DataFrame, lang: str, provenance: Provenance | None = None,
              decimals: Decimals | None = None) -> bytes:
    """CSV as Finnish spreadsheets open it (';' and decimal comma, UTF-8 with BOM) in fi/sv, headed
    by the provenance block when given (`readout.downloads.csv_human`)."""
    return downloads_io.csv_human(frame, lang, provenance, decimals)


def excel_bytes(frame: pd.DataFrame, sheet: str = "data", *, lang: str = "fi", provenance: Provenance | None = None,
                decimals: Decimals | None = None) -> bytes:
    """An .xlsx workbook of `frame` (numeric cells in `decimals` columns) and a provenance sheet."""
    return downloads_io.excel_bytes(frame, lang, provenance, decimals, sheet=sheet)


def downloads(frame: pd.DataFrame, lang: str, stem: str, csv_label: str, excel_label: str, key: str, *,
              provenance: Provenance | None = None, decimals: Decimals | None = None) -> None:
    """CSV and Excel buttons for `frame` as shown, each carrying `provenance` (the workbook is built
    only when clicked); `decimals` names the columns that are numbers and their decimals."""
    left, right = st.columns(2)
    left.download_button(csv_label, csv_bytes(frame, lang, provenance, decimals), file_name=f"{stem}.csv",
                         mime="text/csv", key=f"{key}_csv", on_click="ignore")
    right.download_button(excel_label, lambda: excel_bytes(frame, t("app.sheet_name", lang), lang=lang, provenance=provenance,
                                                           decimals=decimals),
                          file_name=f"{stem}.xlsx", mime=downloads_io.EXCEL_MIME, key=f"{key}_xlsx", on_click="ignore")


def vega(spec: dict, lang: str, alt_text: str, *, key: str | None = None) -> None:
    """Draw a ready Vega-Lite spec (maps) with the language's number format and an accessible name."""
    spec = dict(spec)
    # aria=False: Vega's own per-mark descriptions are English and read raw field names and
    # decimal points ("value: 4.1; area_name: ..."); the chart is one image named by `alt_text`,
    # and every chart has a table of the same values next to it.
    config = spec.get("config", {})
    spec["config"] = {**config, "locale": {"number": vega_number_format(lang)}, "aria": False,
                      "mark": {**config.get("mark", {}), "aria": False}}
    st.vega_lite_chart(spec=spec, width="stretch", alt=alt_text, key=key)


def html_table(frame: pd.DataFrame, caption: str, *, numeric: tuple[str, ...] = ()) -> None:
    """`frame` as a plain HTML table with a caption (a screen reader reads it cell by cell; no
    canvas, no English toolbar), in a box that scrolls sideways by itself on a narrow screen and
    takes keyboard focus so the hidden part can be reached."""
    import html as html_lib

    head = "".join(f'<th scope="col">{html_lib.escape(str(c))}</th>' for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f'<td class="num">{html_lib.escape(str(v))}</td>' if c in numeric else
                         f"<td>{html_lib.escape(str(v))}</td>" for c, v in zip(frame.columns, row, strict=True)) + "</tr>"
        for row in frame.itertuples(index=False))
    label = html_lib.escape(caption)
    st.html(f'<div class="km-scroll" tabindex="0" role="region" aria-label="{label}"><table class="km-table">'
            f"<caption>{label}</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>")


def scroll_box(table_html: str) -> None:
    """An HTML table in a box that scrolls sideways by itself on a narrow screen (reflow at
    320 px without moving the page), focusable and named by the table's caption so keyboard
    users can scroll it."""
    import html as html_lib
    import re

    found = re.search(r"<caption>(.*?)</caption>", table_html, flags=re.S)
    label = html_lib.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""
    st.html(f'<div class="km-scroll" tabindex="0" role="region" aria-label="{html_lib.escape(label)}">'
            f"{table_html}</div>")


def page_link(path: str, label: str, *, icon: str | None = None, query_params: dict[str, str] | None = None) -> None:
    """`st.page_link`, or a plain link with the same URL when Streamlit does not know the page in
    this run (a page run alone after `st.navigation` was used in the process)."""
    from urllib.parse import urlencode

    from streamlit.errors import StreamlitAPIException

    try:
        st.page_link(path, label=label, icon=icon, query_params=query_params)
    except StreamlitAPIException:
        stem = path.rsplit("/", 1)[-1].removesuffix(".py")
        query = f"?{urlencode(query_params)}" if query_params else ""
        st.markdown(f"[{label}](./{stem}{query})")
