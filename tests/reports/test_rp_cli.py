"""`kuntamittari report summary|annex` write the same documents as the library, with a PNG of
page 1 on request; usage errors exit with 2 and one line."""

from __future__ import annotations

import pytest
from rp_pdf import flat, pdf_pages
from docx import Document
from typer.testing import CliRunner

from cli.main import app
from kuntamittari.settings import get_settings
from reports.annex import load_annex_list


@pytest.fixture
def bundled_env(bundled_engine, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KUNTAMITTARI_DATABASE_URL", bundled_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_summary_command_writes_the_pdf_and_a_png_of_page_one(bundled_env, tmp_path):
    out, png = tmp_path / "x.pdf", tmp_path / "page1.png"
    result = CliRunner().invoke(app, ["report", "summary", "--area", "208", "--lang", "sv", "--out", str(out), "--png", str(png)])
    assert result.exit_code == 0, result.output
    pages = pdf_pages(out.read_bytes())
    assert len(pages) <= 4 and "Kommunöversikt: Kalajoki" in flat(pages[0])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"({len(pages)} {'sida' if len(pages) == 1 else 'sidor'}, " in result.output  # Swedish 'one' is exactly 1


def test_annex_command_writes_docx_and_refuses_bad_input(bundled_env, tmp_path):
    runner = CliRunner()
    out = tmp_path / "annex.docx"
    result = runner.invoke(app, ["report", "annex", "--area", "208", "--term", "2009-2012", "--lang", "fi",
                                 "--format", "docx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [r for table in Document(str(out)).tables for r in table.rows[1:]]
    assert len(rows) == len(load_annex_list().indicators)
    for args, word in ((["--term", "2021"], "2021"), (["--format", "rtf"], "rtf"), (["--area", "999"], "999")):
        base = {"--area": "208", "--term": "2009-2012", "--format": "pdf"}
        base.update(dict(zip(args[::2], args[1::2], strict=True)))
        bad = runner.invoke(app, ["report", "annex", "--out", str(tmp_path / "bad.pdf"), "--lang", "en",
                                  *[x for kv in base.items() for x in kv]])
        assert bad.exit_code == 2 and word in bad.output and "Traceback" not in bad.output
        assert not (tmp_path / "bad.pdf").exists()
