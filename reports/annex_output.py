"""The indicator annex written out: PDF (Typst), editable DOCX (python-docx) and CSV.

All three print the same `reports.annex.annex_document`: a table per welfare theme, one row per
annex indicator, the note column left empty for the municipality (DOCX is the editable one:
municipalities paste it into their own welfare report).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from kuntamittari.i18n import t
from readout.export import csv_bytes
from reports.engine import render_pdf

TEMPLATE = "annex.typ"
FORMATS = ("pdf", "docx", "csv")


def annex_pdf(document: Mapping[str, Any]) -> bytes:
    return render_pdf(TEMPLATE, document)


def _header(document: Mapping[str, Any]) -> list[str]:
    cols = document["columns"]
    head = [cols["indicator"]]
    for level in document["levels"]:
        head += [f"{level}: {cols['start']} {document['term'][0]}", f"{level}: {cols['end']} {document['term'][1]}"]
    return head + [cols["direction"], cols["note"]]


def annex_docx(document: Mapping[str, Any]) -> bytes:
    """An editable Word document: title, term, list source, then a table per theme whose last
    column is left for the municipality's note."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(12))
    doc.styles["Normal"].font.size = Pt(8)
    doc.core_properties.title = document["title"]
    doc.core_properties.language = document["lang"]
    doc.add_heading(document["title"], level=1)
    for line in (document["subtitle"], document["term_default"], document["term_note"], document["hint"]):
        if line:
            doc.add_paragraph(line)
    header = _header(document)
    for theme in document["themes"]:
        doc.add_heading(theme["name"], level=2)
        table = doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.text = text
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in theme["rows"]:
            title = row["title"] + (f" ({row['sotkanet']})" if row["sotkanet"] else "")
            values = [v for pair in row["values"] for v in pair]
            cells = table.add_row().cells
            for cell, text in zip(cells, [title, *values, row["direction"], row["note_hint"]], strict=True):
                cell.text = text
    doc.add_paragraph(document["list_source"])
    vintage = document["vintage"]
    doc.add_paragraph(f"{vintage['label']}: {vintage['newest']} · {'; '.join(vintage['sources'])} · {vintage['generated']}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def annex_csv(document: Mapping[str, Any]) -> bytes:
    """One row per indicator (the readout's CSV dialect: `;` in fi/sv), with its theme, Sotkanet
    id, catalogue metric and availability."""
    lang = document["lang"]
    header = _header(document)
    rows = []
    for theme in document["themes"]:
        for row in theme["rows"]:
            values = [v for pair in row["values"] for v in pair]
            record = {t("reports.annex.csv_area", lang): f"{document['area_name']} ({document['area_code']})",
                      t("reports.annex.csv_theme", lang): theme["name"], header[0]: row["title"],
                      t("reports.annex.csv_sotkanet", lang): str(row["sotkanet_id"] or ""),
                      t("reports.annex.csv_metric", lang): row["metric"],
                      t("reports.annex.csv_available", lang): t(
                          f"reports.annex.available_{'yes' if row['available'] else 'no'}", lang)}
            record.update(dict(zip(header[1:-2], values, strict=True)))
            record[header[-2]], record[header[-1]] = row["direction"], ""
            rows.append(record)
    return csv_bytes(rows, lang)


def write_annex(document: Mapping[str, Any], fmt: str) -> bytes:
    """The annex in `fmt` (pdf, docx or csv)."""
    return {"pdf": annex_pdf, "docx": annex_docx, "csv": annex_csv}[fmt](document)
