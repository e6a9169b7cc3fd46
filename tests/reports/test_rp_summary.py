"""The council summary PDF: at most four A4 pages for the whole approved catalogue in fi, sv and
en, the municipality, the figures exactly as the readout formats them for the public page, the
attribution and the data vintage; and no value hidden by disclosure control anywhere in it."""

from __future__ import annotations

import io
import re

import pytest
from conftest import flat, pdf_pages
from pypdf import PdfReader

from kuntamittari.i18n import t
from readout.build import build_public_readout
from readout.localise import localise
from reports.charts import small_multiple
from reports.summary import public_summary_data, summary_document, summary_pdf

A4 = (595.3, 841.9)  # points


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_kalajoki_summary_is_at_most_four_a4_pages_with_the_pages_figures(bundled_engine, shipped_catalog, lang):
    pdf = summary_pdf(bundled_engine, shipped_catalog, "208", lang)
    reader = PdfReader(io.BytesIO(pdf))
    assert 1 <= len(reader.pages) <= 4
    for page in reader.pages:
        assert (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)) == pytest.approx(A4, abs=0.5)
    pages = pdf_pages(pdf)
    text = flat(" ".join(pages))
    # the same readout the public page draws, built independently of the report
    readout = build_public_readout(bundled_engine, shipped_catalog, "208")
    words = localise(readout, lang)
    assert len(words.metrics) == 35
    assert t("reports.summary.title", lang, area="Kalajoki") in flat(pages[0])
    for line in words.headline:  # page 1: the readout's own headline
        assert flat(line) in flat(pages[0])
    unemployment = words.metric("unemployment_rate")
    assert flat(f"{unemployment.value} ({unemployment.period})") in text
    region = unemployment.comparison("region")
    assert region is not None and flat(f"{region.value} {region.symbol}") in text
    for item in words.metrics:  # every metric's latest figure or its words, as the page formats it
        shown = f"{item.value} ({item.period})" if item.has_value else item.status_text
        assert flat(shown) in text, item.metric_id
    # attribution and data vintage on every page: source, licence, retrieval date, batch id
    for page in pages:
        assert "THL, Sotkanet (CC BY 4.0)" in flat(page)
        assert flat(t("reports.vintage.newest", lang, period="2011")) in flat(page)
    assert flat(words.sources[0]) in text


def test_sottunga_hidden_values_are_nowhere_in_the_public_pdf(star):
    engine, catalog = star
    data, readout = public_summary_data(engine, catalog, "766")
    hidden = {m.metric_id for m in readout.metrics if m.latest is not None and m.latest.status == "too_few"}
    # 2003: in-migrants 2 and out-migrants 1 (of 770) are small counts; with them their rates,
    # the gross migration (3) and the balance, which could give them back
    assert {"in_migrants", "out_migrants", "in_migration_rate", "out_migration_rate", "gross_migration"} <= hidden
    for lang in ("fi", "sv", "en"):
        pdf = summary_pdf(engine, catalog, "766", lang)
        text = flat(" ".join(pdf_pages(pdf)))
        assert "Sottunga" in text and t("readout.status.too_few", lang) in text
        rates = ("2,6", "1,3") if lang != "en" else ("2.6", "1.3")
        for number in rates:  # 2003 per 1 000 of 770: in 2 -> 2,6; out 1 and the balance 1 -> 1,3
            assert not re.search(rf"(?<![0-9,.]){re.escape(number)}(?![0-9])", text), number
    # the charts draw shown values only: Sottunga's 2000 and 2003 in-migrants (4, 2) are gaps
    def drawn(metric_id: str) -> set[int]:
        chart = small_multiple(readout.metric(metric_id), "fi", ("area",))
        return set() if chart is None else {row["year"] for ds in chart["datasets"].values() for row in ds}

    in_shown = {p.year for p in readout.metric("in_migrants").own.points if p.value is not None}
    assert drawn("in_migrants") <= in_shown and not {2000, 2003} & drawn("in_migrants")
    assert drawn("population") == {2000, 2001, 2002, 2003}  # a published series is drawn whole


def test_summary_document_uses_readout_words_for_targets_and_standing(bundled_engine, shipped_catalog):
    data, readout = public_summary_data(bundled_engine, shipped_catalog, "208")
    doc = summary_document(data, readout, "en")
    words = localise(readout, "en")
    unemployment = words.metric("unemployment_rate")
    assert {"name": unemployment.name, "label": f"{unemployment.value_with_unit} ({unemployment.period}): "
            f"{unemployment.target_label}"} in doc["targets"]["items"]
    finland = next(r for r in doc["standing"]["rows"] if r[0] == dict(words.level_names)["finland"])
    better = sum(1 for m in readout.metrics if (c := m.comparison("finland")) and c.verdict == "better")
    assert finland[1] == str(better)
    assert doc["vintage"]["batch_ids"] and all(isinstance(b, int) for b in doc["vintage"]["batch_ids"])
