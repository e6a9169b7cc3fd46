"""The public summary's composed words come from the readout once: the Streamlit page, the static
site and the council summary PDF say the same lead, sentences and 'how to read this' figures."""

from __future__ import annotations

import html
from datetime import datetime, timezone

import pytest

from kuntamittari.i18n import t
from publish.page import Download, summary_page
from readout.localise import howto_text, localise, rule_figures
from readout.model import AreaReadout, AreaRef, MetricInfo, MetricReadout, Point, SeriesRef, Trend
from readout.text import render_html

FILES = {"csv": Download("a.csv", 10), "json": Download("a.json", 10), "pdf": None}


def _readout() -> AreaReadout:
    area = AreaRef("208", "area", (("fi", "Kalajoki"), ("sv", "Kalajoki"), ("en", "Kalajoki")))
    points = tuple(Point(str(y), y, 10.0 + y - 2015) for y in range(2015, 2020))
    info = MetricInfo("tulomuutto", "economy_services", (("fi", "Tulomuutto"), ("sv", "Inflyttning"), ("en", "In-migration")),
                      (("fi", "‰"), ("sv", "‰"), ("en", "‰")), direction="up")
    item = MetricReadout(info, latest=points[-1], previous=points[-2], series=(SeriesRef(area, points),),
                         trend=Trend("improving", "up", 4.0, 2015, 2019, points[0], points[-1]))
    return AreaReadout(area, "public", (), (item,))


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_rules_figures_are_said_once(lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Trend span 5 years, tolerances 3 % and 5 %, written as the about page writes percentages."""
    pct = "{}%" if lang == "en" else "{}\u202f%"
    assert rule_figures(lang) == {"span": 5, "threshold": pct.format(3), "cmp": pct.format(5)}
    pdf = t("reports.summary.howto", lang, **rule_figures(lang))
    assert pct.format(3) in pdf and pct.format(5) in pdf
    assert pct.format(3) in howto_text(lang) and pct.format(5) in howto_text(lang)
    monkeypatch.setattr("readout.localise.TREND_TOLERANCE", 0.04)
    assert pct.format(4) in t("reports.summary.howto", lang, **rule_figures(lang))
    assert howto_text(lang) == t("public.howto.body", lang, span=5, threshold=pct.format(4), cmp=pct.format(5))


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_static_page_says_the_readouts_composed_words(lang: str) -> None:
    readout = _readout()
    words = localise(readout, lang)
    metric = words.metrics[0]
    symbol, label = t("readout.trend_symbol.improving", lang), t("readout.trend.improving", lang)
    assert metric.lead == f"{symbol} {label}."
    assert metric.summary == f"{metric.latest_sentence} {metric.trend_sentence}"
    assert metric.trend_detail == f"({symbol} {label}): {metric.trend_sentence}"
    page = html.unescape(summary_page(readout, words, lang, charts={}, downloads=FILES,
                                      generated=datetime(2026, 1, 5, tzinfo=timezone.utc)))
    for text in (metric.lead, metric.summary, metric.trend_detail):
        assert text in page
    assert html.unescape(render_html(howto_text(lang))) in page


def test_the_downloads_are_named_once() -> None:
    """The page's and the static site's download names come from `readout.export.download_names`."""
    from publish.downloads import download_names as site_names
    from readout.export import download_names

    assert download_names("208", "sv") == {"csv": "kommunoversikt_208_sv.csv", "json": "kommunoversikt_208_sv.json"}
    assert site_names("208", "fi") == {"csv": "kuntakatsaus_208_fi.csv", "json": "kuntakatsaus_208_fi.json",
                                       "pdf": "kuntakatsaus_208_fi.pdf"}
