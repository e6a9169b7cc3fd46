"""The public readout on a small star schema: suppressed values never come out."""

from __future__ import annotations

import re
import math
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kuntamittari.i18n import t
from metrics.catalog import load_catalog
from readout.build import ReadoutError, build_area_readout
from readout.export import csv_bytes, readout_json, series_rows, summary_rows
from readout.localise import localise
from readout.tables import overview_table_html, parts_table_html, values_table_html

LEVELS = ("region", "county", "finland")


def _public(engine: Engine, catalog, area: str = "208"):  # type: ignore[no-untyped-def]
    return build_area_readout(engine, catalog, area, compare_with=LEVELS, audience="public", with_parts=True)


def _everything_published(readout, lang: str) -> str:  # type: ignore[no-untyped-def]
    text = localise(readout, lang)
    texts = [*text.headline]
    for item in text.metrics:
        texts += [item.latest_sentence, item.trend_sentence, item.value, *(c.sentence for c in item.comparisons)]
    texts.append(overview_table_html(readout, text, lang))
    for metric in readout.metrics:
        texts.append(values_table_html(metric, lang, years=20))
        texts.append(parts_table_html(metric, lang, years=20))
    texts.append(csv_bytes(series_rows(readout, lang), lang).decode("utf-8"))
    texts.append(csv_bytes(summary_rows(readout, lang), lang).decode("utf-8"))
    texts.append(readout_json(readout, lang))
    # times of day are not figures: "05:37:18" in a generation time must not read as a hidden 37
    return _ISO_TIME.sub("<time>", "\n".join(texts))


_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?")


def _points(item, role: str = "area", gender: str = "total"):  # type: ignore[no-untyped-def]
    series = item.parts if gender != "total" else item.series
    found = next(s for s in series if s.area.role == role and (gender == "total" or s.gender == gender))
    return {p.period: p for p in found.points}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_small_counts_never_published(small_engine: Engine, small_metrics_dir: Path, lang: str) -> None:
    catalog = load_catalog(small_metrics_dir)
    assert {m.id for m in catalog.approved()} == {"small_case_rate", "small_cases"}
    readout = _public(small_engine, catalog)
    ids = {m.metric_id for m in readout.metrics}
    assert ids == {"small_case_rate", "small_cases"}  # the draft never appears

    counts = readout.metric("small_cases")
    area = _points(counts)
    assert area["2011"].value == 40 and area["2011"].status == "ok"
    assert area["2012"].status == "too_few" and area["2012"].value is None
    # region and Finland: Kalajoki + Kempele; 2012 = 4 + 63 = 67 is publishable
    assert _points(counts, "region")["2012"].value == 67
    # male/female parts: 2011 male 3 (primary) and female 37 (complementary) are both hidden
    male, female = _points(counts, gender="male"), _points(counts, gender="female")
    assert male["2010"].value == 21
    assert male["2011"].status == "too_few" and female["2011"].status == "too_few"
    assert female["2011"].value is None

    rate = readout.metric("small_case_rate")
    assert rate.latest is not None and rate.latest.period == "2012" and rate.latest.value is None
    assert rate.status == "too_few" and rate.trend.verdict == "unknown"
    published = _everything_published(readout, lang)
    assert "secret" not in published.lower() and "Salainen" not in published
    for number in ("37", "0,40", "0.40", "0,60", "0.60", "0,74", "0.74"):
        assert number not in published, number
    assert "2012;4;" not in published and "2012,4," not in published
    # the words for a hidden value are there instead
    assert t("readout.status.too_few", lang) in published
    # the visible parts are published (the table is not simply empty)
    assert parts_table_html(counts, lang, years=20).count("<td") == 12
    assert ">21<" in parts_table_html(counts, lang, years=20)
    assert not any(isinstance(p.value, float) and math.isnan(p.value) for s in counts.series for p in s.points)


def test_unknown_area_raises(small_engine: Engine, small_metrics_dir: Path) -> None:
    with pytest.raises(ReadoutError):
        _public(small_engine, load_catalog(small_metrics_dir), "999")
