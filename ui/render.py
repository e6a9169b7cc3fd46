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
