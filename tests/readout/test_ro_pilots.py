"""Every page says the same thing about the same number.

For every approved metric and each of the ten pilot municipalities, in fi, sv and en: the overview
card (the internal readout as `ui.cards` words it), the public summary (the disclosed readout as
its overview table and sentences show it) and the CSV and JSON exports give the same trend, the
same comparison with the region, the same status and the same formatted figure. Where disclosure
control hides a figure from the public, the public surfaces say so in words and never show it.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import Engine

from kuntamittari.i18n import t
from kuntamittari.settings import PILOT_MUNICIPALITIES
from metrics.catalog import Catalog, load_catalog
from readout.build import build_area_readout
from readout.export import csv_bytes, readout_json, summary_rows
from readout.localise import localise
from readout.tables import overview_table_html
from ui.cards import card_view

LANGS = ("fi", "sv", "en")


@pytest.fixture(scope="module")
def catalog(bundled_engine: Engine) -> Catalog:
    return load_catalog(None, bundled_engine)


def _cells(html_table: str) -> dict[str, list[str]]:
    """Rows of an HTML table by their header cell (metric name) -> the data cells' text."""
    rows = {}
    for row in re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", html_table):
        rows[row[0]] = re.findall(r"<td[^>]*>(.*?)</td>", row[1])
    return rows


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


@pytest.mark.parametrize("area", PILOT_MUNICIPALITIES)
def test_card_summary_and_exports_agree(bundled_engine: Engine, catalog: Catalog, area: str) -> None:
    internal = build_area_readout(bundled_engine, catalog, area, compare_with=("region",))
    public = build_area_readout(bundled_engine, catalog, area, compare_with=("region", "county", "finland"),
                                audience="public", with_parts=True)
    approved = {m.id for m in catalog.approved()}
    assert {m.metric_id for m in internal.metrics} == approved == {m.metric_id for m in public.metrics}
    checked = hidden = 0
    for lang in LANGS:
        card_words = {m.metric_id: m for m in localise(internal, lang).metrics}
        public_words = localise(public, lang)
        table = {_unescape(k): [_unescape(c) for c in v] for k, v in _cells(overview_table_html(public, public_words, lang)).items()}
        exported = {row[t("public.col_metric", lang)]: row
                    for row in csv.DictReader(io.StringIO(csv_bytes(summary_rows(public, lang), lang).decode("utf-8-sig")),
                                              delimiter=";" if lang != "en" else ",")}
        as_json = {m["metric_id"]: m for m in json.loads(readout_json(public, lang))["text"]["metrics"]}
        for item, words in zip(public.metrics, public_words.metrics, strict=True):
            card = card_words[item.metric_id]
            view = card_view(internal.metric(item.metric_id), card, lang, card.name)
            row, cells, data = exported[words.name], table[words.name], as_json[item.metric_id]
            region_card = card.comparison("region")
            region_public = words.comparison("region")
            if item.status == "too_few" or any(p.status == "too_few" for s in item.series for p in s.points):
                # hidden from the public: the words stand in, the card (internal) keeps the figure
                hidden += 1
                if item.status == "too_few":
                    assert words.value == t("readout.status.too_few", lang) == row[t("public.col_value", lang)]
                    assert card.has_value and card.value not in cells[0]
                continue
            checked += 1
            # the same formatted figure and status on the card, in the summary table, CSV and JSON
            assert card.value == words.value == row[t("public.col_value", lang)] == data["value"]
            if words.has_value:
                assert cells[0].startswith(words.value_with_unit)
            assert card.status_text == words.status_text == row[t("public.col_status", lang)] == data["status_text"]
            # the same trend, in the same words
            assert card.trend_label == words.trend_label == row[t("public.col_trend", lang)] == data["trend_label"]
            assert cells[1] == f"{words.trend_symbol} {words.trend_label}"
            # the same comparison with the region: figure and verdict
            if region_card is not None:
                assert region_public is not None and region_card.verdict == region_public.verdict
                assert region_card.value == region_public.value == row[region_public.area] == cells[2].split(" (")[0]
                assert row[f"{region_public.area}: {t('readout.comparison_column', lang)}"] == region_public.label
                assert view.comparison.startswith(f"{region_card.area}: {region_card.value}")
                assert region_card.label in view.comparison
                if region_public.sentence:
                    assert region_public.value in region_public.sentence or region_public.verdict == "not_comparable"
    assert checked >= 3 * 25, (area, checked, hidden)
