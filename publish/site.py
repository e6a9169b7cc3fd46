"""`publish_site`: every municipality's public summary in fi/sv/en as static files, with an index
per language, the language choice at the root and sitemap.xml.

Per municipality the disclosure-controlled cells are collected once (`readout.collect_public`, the
public page's own step) and the readout built once; every language's page, chart SVGs, CSV, JSON
and council summary PDF are made from them. Municipalities are done in parallel processes (at
most one per core: a PDF costs about 1.5 s of CPU), each with its own database connection. The
site is written aside and swapped in only when every page was written (`publish.swap`), so a
failure leaves the previous site as it was.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from datamodel.faults import one_line
from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from metrics import service
from metrics.catalog import Catalog
from readout.build import collect_public
from readout.localise import localise
from reports.summary import municipality_readout
from publish.downloads import CHART_WIDTH, council_pdf, download_names, summary_csv, summary_json, write_charts
from publish.page import LANGS, Download, area_path, home_page, index_page, sitemap, summary_page
from publish.swap import publish_lock, staging, swap_in

logger = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent / "assets"
MUNICIPALITY = "kunta"


@dataclass(frozen=True)
class Options:
    """What to publish: languages, municipalities (None: every one the public page offers), whether
    to make the PDFs, worker processes (0: one per core) and the public base URL (for sitemap.xml
    and hreflang; relative links everywhere else)."""

    langs: tuple[str, ...] = LANGS
    areas: tuple[str, ...] | None = None
    pdf: bool = True
    jobs: int = 0
    base_url: str = ""


@dataclass(frozen=True)
class AreaResult:
    """One municipality's pages: its name per language, files written, or the error (one line in the
    configured language: a fault's message, never the exception's own text)."""

    code: str
    names: dict[str, str] = field(default_factory=dict)
    pages: int = 0
    pdfs: int = 0
    seconds: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class SiteResult:
    """The published site: where, what was written, what failed, how long it took."""

    path: Path | None
    areas: tuple[AreaResult, ...]
    pages: int
    bytes: int
    seconds: float

    @property
    def failed(self) -> tuple[AreaResult, ...]:
        return tuple(a for a in self.areas if a.error)


def municipalities(engine: Engine) -> list[str]:
    """The codes of every municipality the public page offers (as its picker lists them)."""
    areas = service.list_areas(engine, MUNICIPALITY)
    return sorted(areas.drop_duplicates("code", keep="last")["code"].astype(str))


def _write(path: Path, content: bytes | str) -> int:
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.write_bytes(data)
    return len(data)


def render_area(engine: Engine, catalog: Catalog, code: str, root: Path, options: Options,
                generated: datetime) -> AreaResult:
    """Every language's page of one municipality and the files it links, under `root/<lang>/<code>/`."""
    start = time.perf_counter()
    data, readout = municipality_readout(lambda: collect_public(engine, catalog, code), catalog, code)
    names: dict[str, str] = {}
    pdfs = 0
    for lang in options.langs:
        directory = root / lang / readout.area.code
        directory.mkdir(parents=True, exist_ok=True)
        words = localise(readout, lang)
        names[lang] = words.area_name
        files = download_names(readout.area.code, lang)
        title = t("public.subtitle", lang, area=words.area_name)
        downloads: dict[str, Download | None] = {
            "csv": Download(files["csv"], _write(directory / files["csv"], summary_csv(readout, lang, title))),
            "json": Download(files["json"], _write(directory / files["json"], summary_json(readout, lang))),
            "pdf": None,
        }
        if options.pdf:
            downloads["pdf"] = Download(files["pdf"], _write(directory / files["pdf"], council_pdf(data, readout, lang, generated)))
            pdfs += 1
        charts = write_charts(readout, words, lang, directory)
        page = summary_page(readout, words, lang, charts=charts, downloads=downloads, generated=generated,
                            base_url=options.base_url, chart_width=CHART_WIDTH, langs=options.langs)
        _write(directory / "index.html", page)
    return AreaResult(readout.area.code, names, len(options.langs), pdfs, time.perf_counter() - start)


def _safe_render(engine: Engine, catalog: Catalog, code: str, root: Path, options: Options,
                 generated: datetime) -> AreaResult:
    try:
        return render_area(engine, catalog, code, root, options, generated)
    except Exception as exc:  # noqa: BLE001 - one municipality failing is reported, the rest go on
        # The traceback only at debug level: at the default level it would reach the terminal of
        # `kuntamittari publish` (with SQL and data rows); the one line below says what to do.
        logger.debug("publish: %s failed", code, exc_info=True)
        return AreaResult(code, error=one_line(exc, get_settings().default_language))


# ------------------------------------------------------------------ worker processes
_worker: dict[str, Any] = {}


def _init_worker(url: str, catalog: Catalog) -> None:
    from datamodel.engine import make_engine

    _worker["engine"] = make_engine(url)
    _worker["catalog"] = catalog


def _work(code: str, root: str, options: Options, generated: datetime) -> AreaResult:
    return _safe_render(_worker["engine"], _worker["catalog"], code, Path(root), options, generated)


@contextmanager
def _without_main_script() -> Iterator[None]:
    """Spawned workers re-run the parent's `__main__` script before anything else; under Streamlit
    or a test runner that is a page script, which must not run again. The workers need nothing
    from it (their function lives in this module), so while they start `__main__` names no file."""
    main = sys.modules["__main__"]
    saved = {name: main.__dict__[name] for name in ("__file__", "__spec__") if name in main.__dict__}
    main.__dict__.update(__file__=None, __spec__=None)
    try:
        yield
    finally:
        for name in ("__file__", "__spec__"):
            main.__dict__.pop(name, None)
        main.__dict__.update(saved)


def _render_all(engine: Engine, catalog: Catalog, codes: Sequence[str], root: Path, options: Options,
                generated: datetime, on_done: Callable[[AreaResult], None]) -> list[AreaResult]:
    jobs = min(options.jobs or os.cpu_count() or 1, len(codes)) or 1
    results: list[AreaResult] = []
    if jobs == 1:
        for code in codes:
            results.append(_safe_render(engine, catalog, code, root, options, generated))
            on_done(results[-1])
        return results
    url = engine.url.render_as_string(hide_password=False)
    with _without_main_script(), ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=_init_worker,
                                                     initargs=(url, catalog)) as pool:
        futures = [pool.submit(_work, code, str(root), options, generated) for code in codes]
        for future in as_completed(futures):
            results.append(future.result())
            on_done(results[-1])
    return results


def _collation_key(name: str) -> str:
    """Alphabetical as in Finnish and Swedish: å, ä, ö after z."""
    return name.casefold().translate(str.maketrans({"å": "{", "ä": "|", "ö": "}"}))


def _finish(root: Path, done: Sequence[AreaResult], options: Options, generated: datetime) -> None:
    """Indexes, the root page, the stylesheet and sitemap.xml."""
    shutil.copytree(ASSETS, root / "assets", dirs_exist_ok=True)
    for lang in options.langs:
        (root / lang).mkdir(parents=True, exist_ok=True)  # even when every municipality failed
        areas = sorted(((a.code, a.names[lang]) for a in done), key=lambda p: _collation_key(p[1]))
        _write(root / lang / "index.html", index_page(lang, areas, generated=generated, base_url=options.base_url,
                                                      langs=options.langs))
    _write(root / "index.html", home_page(base_url=options.base_url, langs=options.langs))
    pages = [{lang: f"{lang}/index.html" for lang in options.langs}]
    pages += [{lang: area_path(lang, a.code) for lang in options.langs} for a in done]
    _write(root / "sitemap.xml", sitemap(pages, options.base_url))


def site_size(root: Path) -> tuple[int, int]:
    """(HTML pages, bytes of every file) under `root`."""
    files = [p for p in root.rglob("*") if p.is_file()]
    return sum(1 for p in files if p.suffix == ".html"), sum(p.stat().st_size for p in files)


def publish_site(engine: Engine, catalog: Catalog, out: Path, options: Options = Options(),
                 on_done: Callable[[AreaResult], None] | None = None) -> SiteResult:
    """Write the site and swap it in at `out` when every municipality succeeded (see the module
    docstring); with failures the previous site stays and `SiteResult.path` is None.
    Raises `publish.swap.PublishBusy` when another publish to `out` is running."""
    start, generated = time.perf_counter(), datetime.now(UTC).replace(microsecond=0)
    out = Path(out).absolute()
    codes = list(options.areas) if options.areas is not None else municipalities(engine)
    with publish_lock(out), staging(out) as root:
        results = _render_all(engine, catalog, codes, root, options, generated, on_done or (lambda _r: None))
        results.sort(key=lambda r: r.code)
        done = [r for r in results if r.error is None]
        _finish(root, done, options, generated)
        pages, size = site_size(root)
        final = swap_in(root, out) if len(done) == len(results) else None
    return SiteResult(final, tuple(results), pages, size, time.perf_counter() - start)
