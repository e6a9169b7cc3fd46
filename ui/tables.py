"""Display tables: the exact frame a page shows (and offers for download), localised headers.

Pure pandas, no Streamlit, so the download equals the table and tests check both at once.
"""

from __future__ import annotations

import pandas as pd

from kuntamittari.formatting import format_number
from kuntamittari.i18n import t


def area_label_column(frame: pd.DataFrame, lang: str) -> pd.Series:
    """Swedish area names where known (sv), else Finnish."""
    names = frame["area_name_fi"].astype("object")
    if lang == "sv" and "area_name_sv" in frame:
        sv = frame["area_name_sv"].astype("object")
        names = sv.where(sv.notna() & (sv != ""), names)
    return names.fillna(frame["area_code"]).astype(str)


def values_table(frame: pd.DataFrame, lang: str, decimals: int, *, with_gender: bool = False,
                 with_age: bool = False) -> pd.DataFrame:
    """Area, period, [gender], [age band], value (formatted text), basis, status: one row per value."""
    if frame.empty:
        return pd.DataFrame(columns=[t("detail.col.area", lang), t("detail.col.period", lang), t("detail.col.value", lang)])
    out = pd.DataFrame({
        t("detail.col.area", lang): area_label_column(frame, lang).to_numpy(),
        t("detail.col.period", lang): frame["period"].astype(str).to_numpy(),
    })
    if with_gender:
        out[t("detail.col.gender", lang)] = [t(f"detail.gender.{g}", lang) for g in frame["gender"]]
    if with_age:
        out[t("detail.col.age_band", lang)] = frame["age_band"].astype(str).to_numpy()
    out[t("detail.col.value", lang)] = [format_number(v, lang, decimals) for v in frame["value"]]
    out[t("detail.col.basis", lang)] = [t(f"metrics.basis.{b}", lang) if isinstance(b, str) and b else "" for b in frame["basis"]]
    out[t("detail.col.status", lang)] = [t(f"detail.status.{s}", lang) if isinstance(s, str) and s else "" for s in frame["status"]]
    return out
