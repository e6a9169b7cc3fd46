"""What `kuntamittari publish` says on the terminal: in the configured language, numbers in its
format, and a failed municipality as one plain line (no traceback, no SQL), run as a user runs it."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli.main import app
from kuntamittari.i18n import t
from publish.page import index_page

pytestmark = pytest.mark.xdist_group("static_site")
ROOT = Path(__file__).resolve().parents[2]


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_the_summary_line_has_swedish_numbers_and_units(bundled_engine: Engine, tmp_path: Path,
                                                        settings_env: Callable[..., None]) -> None:
    settings_env(DEFAULT_LANGUAGE="sv")
    result = CliRunner().invoke(app, ["publish", "--out", str(tmp_path / "site"), "--area", "208", "--lang", "sv",
                                      "--no-pdf", "--jobs", "1", "--db", _url(bundled_engine)])
    assert result.exit_code == 0, result.output
    line = next(text for text in result.output.splitlines() if text.startswith("Webbplatsen skrevs:"))
    # '(4 sidor, 1 kommun, 0 PDF-filer, 95 kB, 3,1 s)': a decimal comma, never '0.1 MB' or '3.1 s';
    # one municipality in the singular (CLDR 'one'), zero PDF files in the plural
    assert re.search(r"\(\d+ sidor, 1 kommun, 0 PDF-filer, \d+(,\d)? (kB|MB), \d+,\d s\)\.$", line), line


def test_publish_needs_a_directory_said_in_the_configured_language(bundled_engine: Engine,
                                                                  settings_env: Callable[..., None]) -> None:
    settings_env(PUBLISH_DIR=None, DEFAULT_LANGUAGE="sv")
    result = CliRunner().invoke(app, ["publish", "--no-pdf", "--db", _url(bundled_engine)])
    assert result.exit_code == 2
    assert f"error: {t('cli.publish_out_required', 'sv')}" in result.output


def test_a_failed_municipality_is_one_translated_line_without_traceback_or_sql(bundled_engine: Engine,
                                                                               tmp_path: Path) -> None:
    db = tmp_path / "broken.sqlite"
    shutil.copyfile(bundled_engine.url.database, db)  # type: ignore[arg-type]
    with sqlite3.connect(db) as conn:  # the figures' table is gone: every query for them fails
        conn.execute("DROP TABLE fact_observation")
    out = tmp_path / "site"
    env = {**os.environ, "KUNTAMITTARI_DEFAULT_LANGUAGE": "sv"}
    run = subprocess.run([sys.executable, "-m", "cli.main", "publish", "--out", str(out), "--area", "208", "--lang",
                          "sv", "--no-pdf", "--jobs", "1", "--db", f"sqlite:///{db}"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert t("site.cli.area_failed", "sv", area="208", error=t("faults.not_migrated", "sv")) in output
    assert t("site.cli.not_swapped", "sv", count=1) in output
    assert "1 kommun misslyckades" in output  # the singular form, not "1 kommuner"
    for raw in ("Traceback", "SELECT", "fact_observation", "sqlite3", "FileNotFoundError"):
        assert raw not in output, output
    assert not out.exists()


@pytest.mark.parametrize(("lang", "one", "two"), [("fi", "1 kunta", "2 kuntaa"), ("sv", "1 kommun", "2 kommuner"),
                                                  ("en", "1 municipality", "2 municipalities")])
def test_the_index_counts_one_municipality_in_the_singular(lang: str, one: str, two: str) -> None:
    when = datetime(2026, 3, 1, 12, 0)
    assert f"<p>{one}</p>" in index_page(lang, [("091", "Helsinki")], generated=when)
    assert f"<p>{two}</p>" in index_page(lang, [("091", "Helsinki"), ("049", "Espoo")], generated=when)
