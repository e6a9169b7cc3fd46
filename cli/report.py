"""`kuntamittari report ...`: the printable reports from the command line.

    kuntamittari report summary --area 208 --lang sv --out x.pdf [--png page1.png]
    kuntamittari report monthly --group pilot --month 2026-11 --out-dir reports/
    kuntamittari report annex --area 208 --term 2017-2021 --lang fi --format docx --out annex.docx

The same documents the public page offers (the council summary) or that alerts attach (the
monthly report), from the same readout, so a report made here has the figures the pages show.
Exit codes: 0 ok, 1 a report failed, 2 usage (bad area, month, term or format).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Annotated

import typer

from cli.options import DbOpt, LangOpt

from cli.metrics import _catalog, _guard
from cli.database import open_engine
from kuntamittari.i18n import configured_language, t

logger = logging.getLogger(__name__)

app = typer.Typer(name="report", help="Printable reports: council summary, monthly report, welfare-report annex.",
                  no_args_is_help=True, add_completion=False)

AreaOpt = Annotated[str, typer.Option("--area", help="Municipality code, e.g. 208.")]


def _usage(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _pages(pdf: bytes, language: str) -> str:
    """'3 pages' / '1 page': the PDF's page count as a counted phrase."""
    import io

    from pypdf import PdfReader

    return t("counts.pages", language, count=len(PdfReader(io.BytesIO(pdf)).pages))


def _write(path: Path, content: bytes) -> None:
    """Write through a temporary file so a failed run never leaves half a report under the name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(content)
    tmp.replace(path)


@app.command("summary")
@_guard
def summary(area: AreaOpt, out: Annotated[Path, typer.Option("--out", help="The PDF to write.")],
            lang: LangOpt = None, png: Annotated[Path | None, typer.Option("--png", help="Also write page 1 as PNG.")] = None,
            db: DbOpt = None) -> None:
    """The council summary (kuntakatsaus) of a municipality: the public page as a compact A4 PDF."""
    from reports.engine import ReportError
    from reports.summary import public_summary_data, summary_document
    from reports.summary import render_pdf, render_png, TEMPLATE

    language, start = configured_language(lang), time.perf_counter()
    engine = open_engine(db)
    try:
        data, readout = public_summary_data(engine, _catalog(None, engine), area)
    except ReportError:
        raise _usage(t("reports.cli.unknown_area", language, area=area)) from None
    document = summary_document(data, readout, language)
    pdf = render_pdf(TEMPLATE, document)
    _write(out, pdf)
    if png is not None:
        _write(png, render_png(TEMPLATE, document, page=1, ppi=60))
    typer.echo(t("reports.cli.written", language, path=out, pages=_pages(pdf, language), seconds=f"{time.perf_counter() - start:.1f}"))


@app.command("monthly")
@_guard
def monthly(month: Annotated[str, typer.Option("--month", help="YYYY-MM, e.g. 2026-11.")],
            out_dir: Annotated[Path, typer.Option("--out-dir", help="Directory for the PDFs.")] = Path("reports"),
            group: Annotated[str, typer.Option("--group", help="pilot, a region/county code or codes 208,244.")] = "",
            area: Annotated[str, typer.Option("--area", help="One municipality instead of a group.")] = "",
            lang: LangOpt = None, db: DbOpt = None) -> None:
    """The internal monthly report of every municipality of a group, one PDF each."""
    from reports.engine import ReportError
    from reports.monthly import group_members, monthly_for_group, parse_month

    language = configured_language(lang)
    try:
        year, mon = parse_month(month)
    except ReportError:
        raise _usage(t("reports.cli.bad_month", language, month=month)) from None
    engine = open_engine(db)
    catalog = _catalog(None, engine)
    try:
        codes = group_members(engine, area or group or "pilot")
    except ReportError:
        raise _usage(t("reports.cli.unknown_group", language, group=area or group)) from None

    def done(item) -> None:  # type: ignore[no-untyped-def]
        if item.path is None:
            typer.echo(t("reports.cli.failed", language, area=item.area_code, error=item.error), err=True)
        else:
            typer.echo(t("reports.cli.written", language, path=item.path, pages=_pages(item.path.read_bytes(), language),
                         seconds=f"{item.seconds:.1f}"))

    written = monthly_for_group(engine, catalog, codes, year, mon, language, out_dir, on_done=done)
    if any(w.path is None for w in written):
        raise typer.Exit(1)


@app.command("annex")
@_guard
def annex(area: AreaOpt, out: Annotated[Path, typer.Option("--out", help="The file to write.")],
          term: Annotated[str, typer.Option("--term", help="Council term YYYY-YYYY (default: the latest term with data).")] = "",
          fmt: Annotated[str, typer.Option("--format", help="pdf, docx, odt or csv.")] = "pdf",
          lang: LangOpt = None, db: DbOpt = None) -> None:
    """The welfare-report indicator annex of a municipality for a council term."""
    from reports.annex import annex_document, parse_term
    from reports.annex_output import FORMATS, write_annex
    from reports.engine import ReportError
    from reports.summary import public_summary_data

    language = configured_language(lang)
    if fmt not in FORMATS:
        raise _usage(t("reports.cli.bad_format", language, format=fmt))
    try:
        chosen = parse_term(term) if term else None
    except ReportError:
        raise _usage(t("reports.cli.bad_term", language, term=term)) from None
    engine = open_engine(db)
    try:
        data, readout = public_summary_data(engine, _catalog(None, engine), area)
    except ReportError:
        raise _usage(t("reports.cli.unknown_area", language, area=area)) from None
    document = annex_document(data, readout, chosen, language)
    if document["term_default"]:
        typer.echo(document["term_default"])
    _write(out, write_annex(document, fmt))
    typer.echo(t("reports.cli.written_file", language, path=out))


def register(root: typer.Typer) -> None:
    """Add `kuntamittari report ...` to the main app."""
    root.add_typer(app, name="report")
