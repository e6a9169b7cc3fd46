"""A readout as downloadable data: CSV for spreadsheets and JSON for programs.

Both carry the same formatted figures and the same words as the cards and the public summary
(they are made from `readout.localise`), plus the language-independent codes in JSON, so a
program never has to parse a sentence. Hidden values are words, never numbers.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import pandas as pd

from kuntamittari.i18n import t
from readout.downloads import Header, csv_human
from readout.localise import LocalisedReadout, area_name, localise, source_text, value_notes, value_text
from readout.model import AreaReadout
from readout.provenance import readout_provenance
from readout.text import text_plain


def summary_rows(readout: AreaReadout, lang: str, text: LocalisedReadout | None = None) -> list[dict[str, str]]:
    """One row per metric: latest figure, status, trend and each comparison (headers in `lang`)."""
    text = text or localise(readout, lang)
    rows = []
    for words in text.metrics:
        row = {
            t("public.col_metric", lang): words.name,
            t("public.col_period", lang): words.period,
            t("public.col_value", lang): words.value,
            t("readout.unit_column", lang): words.unit,
            t("public.col_status", lang): words.status_text,
            t("public.col_trend", lang): words.trend_label,
        }
        for comp in words.comparisons:
            row[comp.area] = comp.value
            row[f"{comp.area}: {t('public.col_status', lang)}"] = comp.notes
            row[f"{comp.area}: {t('readout.comparison_column', lang)}"] = comp.label
        rows.append(row)
    return rows


def series_rows(readout: AreaReadout, lang: str) -> list[dict[str, str]]:
    """Every published figure: metric, area, period, value (hidden ones in words) and its status
    in the readout's words ('partial, coverage 97 %'; an approximation with the metric's note),
    long format."""
    rows: list[dict[str, str]] = []
    for item in readout.metrics:
        name = text_plain(item.info.name, lang)
        labelled = [(name, s) for s in item.series]
        labelled += [(f"{name} ({t(f'public.gender.{part.gender}', lang)})", part) for part in item.parts]
        for label, series in labelled:
            for point in series.points:
                rows.append({t("public.col_metric", lang): label, t("public.col_area", lang): area_name(series.area, lang),
                             t("public.col_period", lang): point.period,
                             t("public.col_value", lang): value_text(point, item.info.decimals, lang),
                             t("public.col_status", lang): value_notes(point, lang, item.info.approximation_note)})
    return rows


def csv_bytes(rows: list[dict[str, str]], lang: str, provenance: Header | None = None) -> bytes:
    """CSV as Finnish spreadsheets open it in fi/sv (';', UTF-8 with BOM); ',' in English, headed
    by the provenance block when given (`readout.downloads.csv_human`). The values are already
    formatted text, so nothing is re-rounded on the way."""
    return csv_human(pd.DataFrame(rows), lang, provenance)


def series_csv(readout: AreaReadout, lang: str, title: str = "") -> bytes:
    """Every published figure of a readout as the human CSV, headed by its provenance block."""
    return csv_bytes(series_rows(readout, lang), lang, readout_provenance(readout, title))


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str) for v in value):
            return {k: _plain(v) for k, v in value}  # texts: (("fi", ...), ...) -> {"fi": ...}
        return [_plain(v) for v in value]
    return value


def readout_dict(readout: AreaReadout, lang: str) -> dict[str, Any]:
    """The readout as JSON-ready data: the codes and numbers of `readout.model` (`readout`) and
    the words of `lang` (`text`), side by side."""
    text = localise(readout, lang)
    return {
        "area": readout.area.code,
        "lang": lang,
        "readout": _plain(asdict(readout)),
        "text": _plain(asdict(text)),
        "sources": [source_text(s, lang) for s in readout.sources],
        "provenance": readout_provenance(readout).as_dict(),
    }


def download_names(area_code: str, lang: str) -> dict[str, str]:
    """File names of the public summary's CSV and JSON: the same on the page and the static site
    ('kuntakatsaus_208_fi.csv' in the language of the file)."""
    stem = f"{t('public.csv_file_stem', lang)}_{area_code}_{lang}"
    return {"csv": f"{stem}.csv", "json": f"{stem}.json"}


def readout_json(readout: AreaReadout, lang: str) -> str:
    """`readout_dict` as JSON text (UTF-8, not ASCII-escaped)."""
    return json.dumps(readout_dict(readout, lang), ensure_ascii=False, indent=1, allow_nan=False, default=str)
