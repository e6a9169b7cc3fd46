"""Small Streamlit helpers shared by pages: charts with alt text and local number format,
downloads of exactly the shown table, and plain-language empty states."""

from __future__ import annotations

import io
import logging

import altair as alt
import pandas as pd
import streamlit as st

from readout.formatting import vega_number_format
from kuntamittari.i18n import t

logger = logging.getLogger(__name__)


def altair(chart: alt.TopLevelMixin, lang: str, alt_text: str, *, key: str | None = None) -> None:
    """Draw `chart` with the language's number format and an accessible name (`alt_text`)."""
    chart = chart.copy(deep=False)
    chart.config.locale = alt.Locale(number=vega_number_format(lang))
    st.altair_chart(chart, width="stretch", alt=alt_text, key=key)


def csv_bytes(frame: pd.DataFrame, lang: str) -> bytes:
    """CSV as Finnish spreadsheets open it (';' and decimal comma, UTF-8 with BOM) in fi/sv."""
    buffer = io.StringIO()
    if lang in ("fi", "sv"):
        frame.to_csv(buffer, index=False, sep=";", decimal=",")
    else:
        frame.to_csv(buffer, index=False)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def excel_bytes(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    """An .xlsx workbook of `frame` on one sheet named `sheet` (Excel allows 31 characters)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet[:31] or "data")
    return buffer.getvalue()


def downloads(frame: pd.DataFrame, lang: str, stem: str, csv_label: str, excel_label: str, key: str) -> None:
    """CSV and Excel buttons for `frame` exactly as shown (the workbook is built only when clicked)."""
    left, right = st.columns(2)
    left.download_button(csv_label, csv_bytes(frame, lang), file_name=f"{stem}.csv", mime="text/csv",
                         key=f"{key}_csv", on_click="ignore")
    right.download_button(excel_label, lambda: excel_bytes(frame, t("app.sheet_name", lang)), file_name=f"{stem}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key}_xlsx", on_click="ignore")


def vega(spec: dict, lang: str, alt_text: str, *, key: str | None = None) -> None:
    """Draw a ready Vega-Lite spec (maps) with the language's number format and an accessible name."""
    spec = dict(spec)
    spec["config"] = {**spec.get("config", {}), "locale": {"number": vega_number_format(lang)}}
    st.vega_lite_chart(spec=spec, width="stretch", alt=alt_text, key=key)


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
