"""`kuntamittari publish`: the static public site (every municipality's public summary in fi/sv/en).

    kuntamittari publish --out site/
    kuntamittari publish --out site/ --area 208 --area 244 --lang fi --no-pdf --jobs 2

The site replaces the previous one at `--out` only when every page was written (`publish.swap`).
Exit codes: 0 ok, 1 a municipality failed (the previous site stays), 2 usage or configuration
error, or another publish to the same directory is running.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from cli.options import DbOpt

from cli.metrics import _catalog, _guard
from cli.database import open_engine
from kuntamittari.i18n import LANGUAGES, t
from kuntamittari.settings import get_settings
from readout.formatting import format_integer, format_number

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 10


def _usage(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@_guard
def publish(
    out: Annotated[Path | None, typer.Option("--out", help="Directory of the site (default: KUNTAMITTARI_PUBLISH_DIR).")] = None,
    area: Annotated[list[str] | None, typer.Option("--area", help="Only these municipalities (repeatable; default: all).")] = None,
    lang: Annotated[list[str] | None, typer.Option("--lang", help="Only these languages (repeatable; default: fi, sv, en).")] = None,
    pdf: Annotated[bool | None, typer.Option("--pdf/--no-pdf", help="Make the council summary PDFs (default: settings).")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", min=0, help="Worker processes; 0: one per core (default: settings).")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="The site's public address, for sitemap.xml and hreflang.")] = None,
    db: DbOpt = None,
) -> None:
    """Write every municipality's public summary as a static site: HTML, SVG charts, CSV, JSON, PDF, indexes, sitemap."""
    from metrics import service
    from publish.page import file_size
    from publish.site import Options, municipalities, publish_site
    from publish.swap import PublishBusy

    settings = get_settings()
    ui_lang = settings.default_language
    target = out or settings.publish_dir
    if target is None:
        raise _usage(t("cli.publish_out_required", ui_lang))
    langs = tuple(dict.fromkeys(lang or LANGUAGES))
    bad = [code for code in langs if code not in LANGUAGES]
    if bad:
        raise _usage(t("site.cli.bad_lang", ui_lang, lang=", ".join(bad)))
    engine = open_engine(db)
    codes = None
    if area:
        codes = tuple(dict.fromkeys(service.normalise_area_code(code) for code in area))
        unknown = sorted(set(codes) - set(municipalities(engine)))
        if unknown:
            raise _usage(t("site.cli.unknown_area", ui_lang, area=", ".join(unknown)))
    options = Options(langs=langs, areas=codes, pdf=settings.publish_pdf if pdf is None else pdf,
                      jobs=settings.publish_jobs if jobs is None else jobs,
                      base_url=_base(settings.publish_base_url if base_url is None else base_url))
    done = 0

    def progress(result) -> None:  # type: ignore[no-untyped-def]
        nonlocal done
        done += 1
        if result.error:
            typer.echo(t("site.cli.area_failed", ui_lang, area=result.code, error=result.error), err=True)
        elif done % PROGRESS_EVERY == 0:
            typer.echo(t("site.cli.progress", ui_lang, done=done, count=len(codes or ()) or "?"), err=True)

    try:
        result = publish_site(engine, _catalog(None, engine), target, options, on_done=progress)
    except PublishBusy:
        typer.echo(t("site.cli.busy", ui_lang, path=target), err=True)
        raise typer.Exit(2) from None
    if result.path is None:
        typer.echo(t("site.cli.not_swapped", ui_lang, count=len(result.failed)), err=True)
        raise typer.Exit(1)
    typer.echo(t("site.cli.written", ui_lang, path=target,
                 pages=t("counts.pages", ui_lang, count=format_integer(result.pages, ui_lang)),
                 municipalities=t("site.index_count", ui_lang, count=format_integer(len(result.areas), ui_lang)),
                 pdfs=t("counts.pdf_files", ui_lang, count=format_integer(sum(a.pdfs for a in result.areas), ui_lang)),
                 size=file_size(result.bytes, ui_lang), seconds=format_number(result.seconds, ui_lang, 1)))


def _base(url: str) -> str:
    """The base URL with one trailing slash ('' stays '': links stay relative)."""
    return url.rstrip("/") + "/" if url else ""


def register(app: typer.Typer) -> None:
    """Add `kuntamittari publish` to the main app."""
    app.command("publish")(publish)
