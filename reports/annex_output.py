"""The indicator annex written out: PDF (Typst), editable DOCX (python-docx) and ODT (odfpy, for
municipalities on LibreOffice), and CSV.

All four print the same `reports.annex.annex_document`: a table per welfare theme, one row per
annex indicator, the note column left empty for the municipality (DOCX and ODT are the editable ones:
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
FORMATS = ("pdf", "docx", "odt", "csv")


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
        for body in _table_rows(theme):
            for cell, text in zip(table.add_row().cells, body, strict=True):
                cell.text = text
    doc.add_paragraph(document["list_source"])
    doc.add_paragraph(_vintage_line(document))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _table_rows(theme: Mapping[str, Any]) -> list[list[str]]:
    """A theme's body rows as the editable documents show them (the note column left for the user)."""
    return [[row["title"] + (f" ({row['sotkanet']})" if row["sotkanet"] else ""),
             *[v for pair in row["values"] for v in pair], row["direction"], row["note_hint"]]
            for row in theme["rows"]]


def _vintage_line(document: Mapping[str, Any]) -> str:
    vintage = document["vintage"]
    return f"{vintage['label']}: {vintage['newest']} · {'; '.join(vintage['sources'])} · {vintage['generated']}"


def annex_odt(document: Mapping[str, Any]) -> bytes:
    """The same editable document as OpenDocument text: landscape A4, a table per theme with a
    bold header row, the document's language and title in its metadata."""
    from odf import dc
    from odf.opendocument import OpenDocumentText
    from odf.style import MasterPage, PageLayout, PageLayoutProperties, Style, TextProperties
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, P

    doc = OpenDocumentText()
    layout = PageLayout(name="annex")
    layout.addElement(PageLayoutProperties(pagewidth="297mm", pageheight="210mm", printorientation="landscape",
                                           margin="12mm"))
    doc.automaticstyles.addElement(layout)
    doc.masterstyles.addElement(MasterPage(name="Standard", pagelayoutname=layout))
    bold = Style(name="header", family="paragraph")
    bold.addElement(TextProperties(fontweight="bold", fontsize="8pt"))
    small = Style(name="cell", family="paragraph")
    small.addElement(TextProperties(fontsize="8pt"))
    doc.automaticstyles.addElement(bold)
    doc.automaticstyles.addElement(small)
    doc.meta.addElement(dc.Title(text=document["title"]))
    doc.meta.addElement(dc.Language(text=document["lang"]))
    doc.text.addElement(H(outlinelevel=1, text=document["title"]))
    for line in (document["subtitle"], document["term_default"], document["term_note"], document["hint"]):
        if line:
            doc.text.addElement(P(text=line))
    header = _header(document)
    for number, theme in enumerate(document["themes"], start=1):
        doc.text.addElement(H(outlinelevel=2, text=theme["name"]))
        table = Table(name=f"theme{number}")
        table.addElement(TableColumn(numbercolumnsrepeated=len(header)))
        for style, cells in [(bold, header), *((small, r) for r in _table_rows(theme))]:
            tr = TableRow()
            for text in cells:
                cell = TableCell(valuetype="string")
                cell.addElement(P(stylename=style, text=text))
                tr.addElement(cell)
            table.addElement(tr)
        doc.text.addElement(table)
    doc.text.addElement(P(text=document["list_source"]))
    doc.text.addElement(P(text=_vintage_line(document)))
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def annex_csv(document: Mapping[str, Any]) -> bytes:
    """One row per indicator (the readout's CSV dialect: `;` in fi/sv), with its theme, Sotkanet
    id, catalogue metric and availability, under the provenance block every download has."""
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
    return csv_bytes(rows, lang, document.get("provenance"))


def write_annex(document: Mapping[str, Any], fmt: str) -> bytes:
    """The annex in `fmt` (pdf, docx, odt or csv)."""
    return {"pdf": annex_pdf, "docx": annex_docx, "odt": annex_odt, "csv": annex_csv}[fmt](document)
