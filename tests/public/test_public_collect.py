"""The public summary's data on a small star schema: suppressed values never come out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from metrics.catalog import load_catalog
from metrics.summary import SummaryError, collect_public_data
from ui.public import csv_bytes, overview_table_html, parts_table_html, values_table_html


def _everything_published(data, lang: str) -> str:  # type: ignore[no-untyped-def]
    texts = [*data.summary.headline, *data.summary.comparisons]
    for item in data.summary.metrics:
        texts += [item.latest_text, item.trend_text, *item.comparison_texts]
    texts.append(overview_table_html(data.summary, data.metrics, lang, dict(data.level_names)))
    for metric in data.metrics:
        texts.append(values_table_html(metric, lang, years=20))
        texts.append(parts_table_html(metric, lang, years=20))
    texts.append(csv_bytes(data.metrics, lang).decode("utf-8"))
    return "\n".join(texts)


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_small_counts_never_published(small_engine: Engine, small_metrics_dir: Path, lang: str) -> None:
    catalog = load_catalog(small_metrics_dir)
    assert {m.id for m in catalog.approved()} == {"small_case_rate", "small_cases"}
    data = collect_public_data(small_engine, catalog, "208", lang)
    ids = {m.facts.metric_id for m in data.metrics}
    assert ids == {"small_case_rate", "small_cases"}  # the draft never appears

    counts = next(m for m in data.metrics if m.facts.metric_id == "small_cases")
    area = counts.table[counts.table["level"] == "area"].set_index("period")
    assert area.loc["2011", "value"] == 40 and not area.loc["2011", "suppressed"]
    assert area.loc["2012", "suppressed"] and pd.isna(area.loc["2012", "value"])
    # region and Finland: Kalajoki + Kempele; 2012 = 4 + 63 = 67 is publishable
    region = counts.table[counts.table["level"] == "region"].set_index("period")
    assert region.loc["2012", "value"] == 67
    # male/female parts: 2011 male 3 (primary) and female 37 (complementary) are both hidden
    parts = counts.parts.set_index(["period", "gender"])
    assert parts.loc[("2010", "male"), "value"] == 21
    assert parts.loc[("2011", "male"), "suppressed"] and parts.loc[("2011", "female"), "suppressed"]
    assert pd.isna(parts.loc[("2011", "female"), "value"])

    rate = next(m for m in data.metrics if m.facts.metric_id == "small_case_rate")
    assert rate.facts.suppressed and rate.facts.latest == ("2012", None)
    published = _everything_published(data, lang)
    assert "secret" not in published.lower() and "Salainen" not in published
    for number in ("37", "0,40", "0.40", "0,60", "0.60", "0,74", "0.74"):
        assert number not in published, number
    assert "2012;4;" not in published and "2012,4," not in published
    # the words for a hidden value are there instead
    from kuntamittari.i18n import t

    assert t("public.status_suppressed", lang) in published
    # the visible parts are published (the table is not simply empty)
    assert parts_table_html(counts, lang, years=20).count("<td") == 12
    assert ">21<" in parts_table_html(counts, lang, years=20)


def test_unknown_area_raises(small_engine: Engine, small_metrics_dir: Path) -> None:
    with pytest.raises(SummaryError):
        collect_public_data(small_engine, load_catalog(small_metrics_dir), "999", "fi")
