"""`kuntamittari readout AREA`: the municipality's readout on the command line (text, CSV or JSON).

The same readout the cards and the public summary show (`readout.build_area_readout`), so a
script gets the same verdicts and the same formatted figures as the pages.
"""

from __future__ import annotations

import logging
import sys

import typer

from cli.options import LangOpt

from kuntamittari.i18n import configured_language, t
from readout.build import ReadoutError, build_area_readout
from readout.export import csv_bytes, readout_json, summary_rows
from readout.provenance import readout_provenance
from readout.localise import LocalisedReadout, localise

logger = logging.getLogger(__name__)

FORMATS = ("text", "csv", "json")


def text_lines(words: LocalisedReadout) -> list[str]:
    """The readout as plain lines: headline, then one line per metric with its comparisons."""
    lines = [*words.headline, ""]
    for item in words.metrics:
        value = item.value_with_unit if item.has_value else item.status_text
        head = f"{item.name}: {value} ({item.period}) · {item.trend_symbol} {item.trend_label}"
        lines.append(head + "".join(f" · {c.line}" for c in item.comparisons))
    lines += ["", words.source_line]
    return lines


def readout_command(
    area: str = typer.Argument(..., help="Municipality code, e.g. 208."),
    lang: LangOpt = None,
    compare: str = typer.Option("region", "--compare", help="Comma-separated: region, county, finland, pilot, similar."),
    public: bool = typer.Option(False, "--public", help="The public readout (disclosure control, approved metrics)."),
    output: str = typer.Option("text", "--format", help="text, csv or json."),
) -> None:
    """Print the readout of a municipality: every metric's figure, trend and comparisons."""
    language = configured_language(lang)
    if output not in FORMATS:
        typer.echo(f"error: --format must be one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(2)
    from cli.database import open_engine
    from cli.metrics import _catalog

    engine = open_engine(None)
    catalog = _catalog(None, engine)
    kinds = tuple(k.strip() for k in compare.split(",") if k.strip()) or ("region",)
    try:
        readout = build_area_readout(engine, catalog, area, compare_with=kinds,
                                     audience="public" if public else "internal", with_parts=public)
    except ReadoutError:
        typer.echo(f"error: {t('metrics.cli.unknown_area', language, area=area)}", err=True)
        raise typer.Exit(2) from None
    if output == "json":
        typer.echo(readout_json(readout, language))
    elif output == "csv":
        sys.stdout.write(csv_bytes(summary_rows(readout, language), language, readout_provenance(readout)).decode("utf-8-sig"))
    else:
        typer.echo("\n".join(text_lines(localise(readout, language))))


def register(app: typer.Typer) -> None:
    """Add this surface's commands to `app`."""
    app.command("readout")(readout_command)
