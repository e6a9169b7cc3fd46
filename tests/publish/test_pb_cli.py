"""`kuntamittari publish` from the command line, and the publish a refresh starts when
KUNTAMITTARI_PUBLISH_DIR is set (a real `kuntamittari publish` process on the migration star)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli.main import app
from refresh.publish_hook import publish_after_refresh, publish_command
from refresh.report import RefreshReport

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "disclosure"))
from dc_star import TOWNS, star_database  # noqa: E402

pytestmark = pytest.mark.xdist_group("static_site")


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_cli_publishes_chosen_municipalities_and_languages(bundled_engine: Engine, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = CliRunner().invoke(app, ["publish", "--out", str(out), "--area", "208", "--lang", "sv", "--no-pdf",
                                      "--jobs", "1", "--db", _url(bundled_engine)])
    assert result.exit_code == 0, result.output
    assert (out / "sv" / "208" / "index.html").is_file() and not (out / "fi").exists()
    assert not list(out.rglob("*.pdf"))
    assert str(out) in result.output


@pytest.mark.parametrize("args", [["--area", "999"], ["--lang", "de"], []], ids=["unknown-area", "bad-lang", "no-out"])
def test_cli_usage_errors(bundled_engine: Engine, tmp_path: Path, args: list[str], settings_env: Callable[..., None]) -> None:
    settings_env(PUBLISH_DIR=None)
    out = ["--out", str(tmp_path / "site")] if args else []
    result = CliRunner().invoke(app, ["publish", *out, *args, "--no-pdf", "--db", _url(bundled_engine)])
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "site").exists()


@pytest.fixture
def star_db(tmp_path: Path, _sqlite_template: Path) -> Iterator[tuple[Engine, Path]]:
    engine, definitions = star_database(tmp_path, _sqlite_template)
    yield engine, definitions
    engine.dispose()


def test_a_refresh_publishes_the_site_when_a_directory_is_set(star_db: tuple[Engine, Path], tmp_path: Path,
                                                               settings_env: Callable[..., None]) -> None:
    engine, definitions = star_db
    report = RefreshReport(run_id=1, started_at=datetime.now(UTC), status="ok")
    settings_env(PUBLISH_DIR=None)
    assert publish_command() is None and publish_after_refresh(engine, report, wait=True) is None
    out = tmp_path / "public"
    settings_env(PUBLISH_DIR=out, PUBLISH_PDF="false", PUBLISH_JOBS=1, METRICS_DIR=definitions, DATA_DIR=tmp_path / "data")
    failed = RefreshReport(run_id=2, started_at=datetime.now(UTC), status="failed")
    assert publish_after_refresh(engine, failed, wait=True) is None and not out.exists()
    assert publish_after_refresh(engine, report, wait=True) == 0
    for town in TOWNS:
        for lang in ("fi", "sv", "en"):
            assert (out / lang / town / "index.html").is_file()
    first = out.resolve()
    process = publish_after_refresh(engine, report, wait=False)  # from the page: in the background
    assert process is not None and not isinstance(process, int)
    assert process.wait(timeout=600) == 0
    assert out.resolve() != first and (out / "fi" / "766" / "index.html").is_file()
    assert (tmp_path / "data" / "publish.log").is_file()
