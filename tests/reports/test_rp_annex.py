"""The welfare-report indicator annex: one row per annex indicator in the DOCX, CSV and PDF,
the public readout's figures at the start and the end of the council term, "not available"
where the warehouse has nothing, and a clear message for a broken annex list."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import flat, pdf_pages
from docx import Document

from kuntamittari.i18n import t
from readout.localise import value_text
from reports.annex import annex_document, default_term, load_annex_list, parse_term
from reports.annex_output import write_annex
from reports.engine import ReportError
from reports.summary import public_summary_data


@pytest.fixture(scope="module")
def kalajoki(bundled_engine, shipped_catalog):  # type: ignore[no-untyped-def]
    return public_summary_data(bundled_engine, shipped_catalog, "208")


def test_annex_list_is_shipped_with_source_and_maps_to_the_catalogue(shipped_catalog):
    annex = load_annex_list()
    assert annex.source["publisher"].startswith("THL") and annex.source["date"] and annex.source["retrieved"]
    assert annex.source["url"].startswith("https://thl.fi/")
    mapped = [i for i in annex.indicators if i.metric]
    assert all(i.metric in shipped_catalog.metrics for i in mapped)
    assert len(mapped) >= 15 and len(annex.indicators) > len(mapped)  # some are not in the warehouse


def test_docx_holds_one_row_per_annex_indicator(kalajoki):
    data, readout = kalajoki
    document = annex_document(data, readout, (2009, 2012), "fi")
    docx = Document(io.BytesIO(write_annex(document, "docx")))
    rows = [row for table in docx.tables for row in table.rows[1:]]  # the first row of each table is its header
    indicators = load_annex_list().indicators
    assert len(rows) == len(indicators)
    titles = [row.cells[0].text for row in rows]
    assert all(any(title.startswith(dict(i.title)["fi"]) for title in titles) for i in indicators)
    note_column = [row.cells[-1].text for row in rows]
    assert t("reports.annex.missing_note", "fi") in note_column  # a field for the municipality's note
    # unemployment: Kalajoki 2009 and 2011 (the data ends 2011) exactly as the readout formats them
    row = next(r for r in rows if r.cells[0].text.startswith("Työttömät, % työvoimasta"))
    own = {p.year: p for p in readout.metric("unemployment_rate").own.points}
    assert row.cells[1].text == value_text(own[2009], 1, "fi")
    assert row.cells[2].text == f"{value_text(own[2011], 1, 'fi')} (2011)"
    missing = next(r for r in rows if r.cells[0].text.startswith("Nuorisotyöttömät"))
    assert missing.cells[1].text == t("reports.annex.not_available", "fi")


def test_csv_and_pdf_have_every_indicator_and_say_what_is_missing(kalajoki):
    data, readout = kalajoki
    document = annex_document(data, readout, None, "en")
    assert document["term"] == [2009, 2012]  # the bundled data ends 2011: the term that had started
    assert "2009–2012" in document["term_default"]
    rows = list(csv.DictReader(io.StringIO(write_annex(document, "csv").decode("utf-8-sig")), delimiter=","))
    assert len(rows) == len(load_annex_list().indicators)
    assert {r[t("reports.annex.csv_available", "en")] for r in rows} == {"yes", "no"}
    pages = pdf_pages(write_annex(document, "pdf"))
    text = flat(" ".join(pages))
    assert "Kalajoki" in text and t("reports.annex.not_available", "en") in text
    assert "thl.fi" in text and "CC BY 4.0" in text


def test_terms_and_a_broken_list_give_clear_messages(tmp_path: Path):
    assert parse_term("2017-2021") == (2017, 2021) and default_term(2011) == (2009, 2012)
    assert default_term(2022) == (2021, 2025)
    with pytest.raises(ReportError, match="YYYY-YYYY"):
        parse_term("2021")
    broken = tmp_path / "annex.yaml"
    broken.write_text("source: {title: x}\nindicators:\n  - {id: a, theme: health, title: {fi: A, sv: A}}\n", encoding="utf-8")
    with pytest.raises(ReportError, match=r"annex.yaml, indicator 1, field 'title'"):
        load_annex_list(broken)
