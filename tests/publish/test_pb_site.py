"""The static public site on the bundled data: every page links its CSV, JSON and PDF and they
exist, every relative link resolves, each language's pages say so in `<html lang>` and name their
translations, the figures are the public readout's (and the metric layer's), sitemap.xml lists
every page, and the site is swapped in whole or not at all."""

from __future__ import annotations

import io
import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from charts.public import SCREEN_YEARS
from kuntamittari.i18n import t
from metrics.catalog import Catalog
from metrics.model import Selection
from metrics.service import query_metric
from publish.site import Options, SiteResult, publish_site
from publish.swap import PublishBusy, publish_lock
from readout.build import build_public_readout
from readout.export import series_rows
from readout.formatting import format_number, format_period
from readout.localise import area_name, cell_text, localise
from site_html import AREAS, local_targets, read_csv, read_page

pytestmark = pytest.mark.xdist_group("static_site")

LANGS = ("fi", "sv", "en")
TITLES = {"fi": "Kuntakatsaus", "sv": "Kommunöversikt", "en": "Municipal summary"}


def _pages(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


def test_every_page_links_its_downloads_and_they_exist(root: Path) -> None:
    for code in AREAS:
        for lang in LANGS:
            path = root / lang / code / "index.html"
            page = read_page(path)
            stem = f"{t('public.csv_file_stem', lang)}_{code}_{lang}"
            pdf_name = f"{t('reports.summary.file_stem', lang)}_{code}_{lang}.pdf"
            for name in (f"{stem}.csv", f"{stem}.json", pdf_name):
                assert name in page.links, (path, name)
                assert (path.parent / name).stat().st_size > 0
            pdf = PdfReader(io.BytesIO((path.parent / pdf_name).read_bytes()))
            assert len(pdf.pages) >= 2
            assert page.images and all(img["alt"] and (path.parent / img["src"]).is_file() for img in page.images)
            json.loads((path.parent / f"{stem}.json").read_text(encoding="utf-8"))


def test_every_relative_link_resolves(root: Path) -> None:
    broken = [(str(p.relative_to(root)), str(target)) for p in _pages(root)
              for target in local_targets(p, read_page(p)) if not target.is_file()]
    assert broken == []
    assert (root / "assets" / "site.css").is_file()


def test_language_lang_attribute_headings_and_alternates(root: Path) -> None:
    for lang in LANGS:
        for path in [root / lang / "index.html", *(root / lang / code / "index.html" for code in AREAS)]:
            page = read_page(path)
            assert page.lang == lang, path
            for other in LANGS:  # each page names its translations
                assert any(href.startswith("../") and f"{other}/" in href for href in page.links), (path, other)
            levels = [level for level, _text in page.headings]
            assert levels[0] == 1 and levels.count(1) == 1
            assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), (path, levels)
        summary = read_page(root / lang / "208" / "index.html")
        assert summary.headings[0] == (1, TITLES[lang])
    assert read_page(root / "sv" / "478" / "index.html").headings  # Mariehamn in Swedish
    assert "Mariehamn" in (root / "sv" / "478" / "index.html").read_text(encoding="utf-8")
    assert "Maarianhamina" in (root / "fi" / "478" / "index.html").read_text(encoding="utf-8")


def test_tables_have_captions_and_headers(root: Path) -> None:
    page = read_page(root / "fi" / "208" / "index.html")
    text = (root / "fi" / "208" / "index.html").read_text(encoding="utf-8")
    assert page.tables and all(table["caption"] for table in page.tables)
    assert text.count('scope="col"') >= len(page.tables) and 'scope="row"' in text


def test_figures_are_the_public_readouts(root: Path, bundled_engine: Engine, shipped_catalog: Catalog) -> None:
    readout = build_public_readout(bundled_engine, shipped_catalog, "208")
    for lang in LANGS:
        words = localise(readout, lang)
        directory = root / lang / "208"
        provenance, rows = read_csv(directory / f"{t('public.csv_file_stem', lang)}_208_{lang}.csv", lang)
        assert rows == series_rows(readout, lang)  # every year of every figure, the same words
        assert provenance[t("downloads.label.licence", lang)] == "CC BY 4.0"
        assert provenance[t("downloads.label.batches", lang)]
        page = read_page(directory / "index.html")
        tables = {table["caption"]: table["rows"] for table in page.tables}
        for item in readout.metrics:
            caption = t("public.table_caption", lang, metric=words.metric(item.metric_id).name)
            rows_shown = tables[caption]
            assert rows_shown[0][1:] == [area_name(s.area, lang) for s in item.series]
            periods = sorted({p.period for s in item.series for p in s.points})[-SCREEN_YEARS:]
            assert [r[0] for r in rows_shown[1:]] == [format_period(p, lang) for p in periods]
            for row, period in zip(rows_shown[1:], periods):
                expected = [cell_text(next((p for p in s.points if p.period == period), None), item.info.decimals, lang,
                                      item.info.approximation_note) for s in item.series]
                assert row[1:] == expected, (item.metric_id, period)


def test_population_figure_is_the_metric_layers(root: Path, bundled_engine: Engine, shipped_catalog: Catalog) -> None:
    """An independent check: the newest population of Kalajoki from the metric layer, formatted."""
    frame = query_metric(bundled_engine, shipped_catalog, "population", Selection(areas=("208",)))
    frame = frame[frame["value"].notna()].sort_values("period")
    newest = frame.iloc[-1]
    decimals = shipped_catalog.get("population").decimals
    expected = format_number(float(newest["value"]), "fi", decimals)
    _prov, rows = read_csv(root / "fi" / "208" / "kuntakatsaus_208_fi.csv", "fi")
    name = t("public.col_metric", "fi")
    population_name = localise(build_public_readout(bundled_engine, shipped_catalog, "208"), "fi").metric("population").name
    found = [r for r in rows if r[name] == population_name and r[t("public.col_area", "fi")] == "Kalajoki"
             and r[t("public.col_period", "fi")] == str(newest["period"])]
    assert [r[t("public.col_value", "fi")] for r in found] == [expected]
    assert not math.isnan(float(newest["value"]))


def test_indexes_and_sitemap_list_every_page(root: Path) -> None:
    for lang in LANGS:
        index = read_page(root / lang / "index.html")
        assert {f"{code}/index.html" for code in AREAS} <= set(index.links)
    home = read_page(root / "index.html")
    assert {f"{lang}/index.html" for lang in LANGS} <= set(home.links)
    tree = ET.parse(root / "sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    locs = [u.find("s:loc", ns).text for u in tree.getroot().findall("s:url", ns)]
    assert len(locs) == len(LANGS) * (1 + len(AREAS))
    assert all((root / loc).is_file() for loc in locs)
    first = tree.getroot().find("s:url", ns)
    assert sorted(a.get("hreflang") for a in first.findall("x:link", ns)) == sorted(LANGS)


def test_page_files_and_size_are_counted(site: SiteResult, root: Path) -> None:
    assert site.pages == len(_pages(root)) == len(LANGS) * (1 + len(AREAS)) + 1
    assert site.bytes == sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert all(a.pdfs == len(LANGS) for a in site.areas)


def test_swapped_in_whole_or_not_at_all(bundled_engine: Engine, shipped_catalog: Catalog, tmp_path: Path) -> None:
    out = tmp_path / "site"
    options = Options(areas=("208",), langs=("en",), pdf=False, jobs=1, base_url="https://example.org/km/")
    first = publish_site(bundled_engine, shipped_catalog, out, options)
    assert out.is_symlink() and out.resolve() == first.path
    assert "https://example.org/km/en/208/index.html" in (out / "sitemap.xml").read_text(encoding="utf-8")
    second = publish_site(bundled_engine, shipped_catalog, out, options)
    assert out.resolve() == second.path and not first.path.exists()  # the previous build is gone
    # one municipality failing: the site at `out` stays the previous one, nothing is left aside
    failed = publish_site(bundled_engine, shipped_catalog, out, Options(areas=("208", "999"), langs=("en",), pdf=False, jobs=1))
    assert failed.path is None and [a.code for a in failed.failed] == ["999"]
    assert out.resolve() == second.path
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["site", second.path.name]
    with publish_lock(out), pytest.raises(PublishBusy):
        publish_site(bundled_engine, shipped_catalog, out, options)


def test_workers_never_rerun_the_parents_main_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under Streamlit or a test runner `__main__` can be a page script; a spawned worker re-runs
    `__main__` unless it names no file while the workers start."""
    import sys
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from publish.site import _without_main_script

    script = tmp_path / "page.py"
    script.write_text(f"open({str(tmp_path / 'ran')!r}, 'w').close()\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules["__main__"], "__file__", str(script), raising=False)
    monkeypatch.setattr(sys.modules["__main__"], "__spec__", None, raising=False)  # as a script run by path
    with _without_main_script(), ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        assert pool.submit(sum, [1, 2]).result() == 3
    assert not (tmp_path / "ran").exists() and sys.modules["__main__"].__file__ == str(script)
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:  # without it, the script runs
        pool.submit(sum, [1]).result()
    assert (tmp_path / "ran").exists()
