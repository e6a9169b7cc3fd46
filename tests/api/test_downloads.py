"""Every download of the app carries its provenance; Excel holds numbers as numbers.

The pages' downloads (`ui.render` CSV/Excel of the metric and compare pages, the public
summary's CSV and JSON) are built here from the bundled data exactly as the pages build them,
then opened the way a user's tools open them (pandas, openpyxl, pyarrow).
"""

from __future__ import annotations

import io
import json

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from kuntamittari.i18n import t
from metrics.catalog import load_catalog
from metrics.model import Selection
from metrics.service import load_batches, query_metric
from readout.build import build_public_readout
from readout.downloads import parquet_bytes, round_half_up, values_download
from readout.export import readout_json, series_csv
from readout.provenance import frame_provenance
from ui.render import csv_bytes, excel_bytes


@pytest.fixture(scope="module")
def frame(bundled_engine: Engine) -> pd.DataFrame:
    """Kalajoki's and North Ostrobothnia's unemployment rate, as the metric page asks for it."""
    return query_metric(bundled_engine, load_catalog(), "unemployment_rate", Selection(areas=("208", "MK17")))


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_metric_page_excel_has_numeric_cells_and_a_provenance_sheet(bundled_engine: Engine, frame: pd.DataFrame,
                                                                      lang: str) -> None:
    table, places = values_download(frame, lang, 1)
    provenance = frame_provenance(frame, load_batches(bundled_engine), audience="internal", title="Työttömyysaste")
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes(table, "data", lang=lang, provenance=provenance, decimals=places)))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    column = header.index(t("detail.col.value", lang)) + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    assert len(cells) == len(frame) and {c.data_type for c in cells} == {"n"}
    assert {c.number_format for c in cells} == {"#,##0.0"}
    expected = [round_half_up(v, 1) for v in frame["value"]]
    assert [None if c.value is None else float(c.value) for c in cells] == expected
    about = {row[0].value: row[1].value for row in book.worksheets[1].iter_rows()}
    assert about[t("downloads.label.licence", lang)] == "CC BY 4.0"
    assert "THL, Sotkanet" in about[t("downloads.label.attribution", lang)]
    assert about[t("downloads.label.batches", lang)] == ", ".join(str(b) for b in sorted(set(frame["batch_id"].dropna().astype(int))))
    assert about[t("downloads.label.vintage", lang)].startswith(str(frame["period"].min()))


def test_metric_page_csv_parses_after_its_header_block(bundled_engine: Engine, frame: pd.DataFrame) -> None:
    table, places = values_download(frame, "fi", 1)
    provenance = frame_provenance(frame, load_batches(bundled_engine), audience="internal")
    text = csv_bytes(table, "fi", provenance, places).decode("utf-8-sig")
    block = [line for line in text.splitlines() if line.startswith("# ")]
    assert len(block) >= 8 and all(";" not in line for line in block)
    assert any(line.startswith("# Lisenssi: CC BY 4.0") for line in block)
    assert any("Sisäinen aineisto" in line for line in block)
    back = pd.read_csv(io.StringIO(text), sep=";", decimal=",", comment="#")
    assert back[t("detail.col.value", "fi")].tolist() == [round_half_up(v, 1) for v in frame["value"]]


def test_public_summary_downloads_carry_attribution(bundled_engine: Engine) -> None:
    readout = build_public_readout(bundled_engine, load_catalog(), "208")
    text = series_csv(readout, "sv", "Kalajoki").decode("utf-8-sig")  # the public summary's CSV button
    assert text.startswith("# Material: Kalajoki\n")
    assert "# Källhänvisning: Källa: THL, Sotkanet. Bearbetning: Kuntamittari." in text
    assert "# Licens: CC BY 4.0" in text and "# Dataskydd: Offentligt material" in text
    data = json.loads(readout_json(readout, "en"))
    assert data["provenance"]["licences"] == ["CC BY 4.0"] and data["provenance"]["batch_ids"]
    assert data["provenance"]["audience"] == "public" and data["provenance"]["disclosure_min_count"] == 5


def test_parquet_keeps_provenance_as_key_value_metadata(bundled_engine: Engine, frame: pd.DataFrame) -> None:
    provenance = frame_provenance(frame, load_batches(bundled_engine), audience="public", min_counts=(5,))
    table = pq.read_table(io.BytesIO(parquet_bytes(frame[["area_code", "period", "value"]], provenance, {"value": 1})))
    meta = {k.decode(): v.decode() for k, v in table.schema.metadata.items()}
    assert meta["licence"] == "CC BY 4.0" and meta["source"] == "THL, Sotkanet"
    assert meta["batch_ids"] and meta["data_vintage"] == f"{frame['period'].min()}/{frame['period'].max()}"
    assert json.loads(meta["kuntamittari.provenance"])["disclosure_min_count"] == 5
