"""The command line's own messages (`locales/<lang>/cli.yaml`) come in the configured language:
a directory argument that is no directory, and the count of a refused file's errors not listed."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli.main import app
from kuntamittari.i18n import t

runner = CliRunner()


@pytest.mark.parametrize("command", [["validate", "--dir"], ["catalogue", "import"]])
def test_a_file_given_as_directory_is_named_in_swedish(command: list[str], tmp_path: Path,
                                                       settings_env: Callable[..., None]) -> None:
    settings_env(DEFAULT_LANGUAGE="sv", CATALOGUE_SOURCE="database")
    afile = tmp_path / "mittarit.txt"
    afile.write_text("ei hakemisto", encoding="utf-8")
    result = runner.invoke(app, [*command, str(afile)])
    assert result.exit_code == 2
    assert f"error: {afile} är inte en katalog." in result.output
    assert "not a directory" not in result.output


def test_errors_past_the_first_200_are_counted_in_swedish(bundled_engine: Engine, tmp_path: Path,
                                                          settings_env: Callable[..., None]) -> None:
    settings_env(DEFAULT_LANGUAGE="sv")
    db = tmp_path / "cli.sqlite"
    shutil.copyfile(bundled_engine.url.database, db)  # type: ignore[arg-type]
    rows = "".join(f"Eiolekunta{i};2022;1\r\n" for i in range(205))
    csv = tmp_path / "omat.csv"
    csv.write_text("Kunta;Vuosi;Arvo\r\n" + rows, encoding="utf-8")
    result = runner.invoke(app, ["import-csv", str(csv), "--series-code", "own:208:omat", "--db", f"sqlite:///{db}"])
    assert result.exit_code == 1, result.output
    assert "omat.csv:206 Kunta='Eiolekunta204'" not in result.output  # only the first 200 are listed
    assert t("cli.more_issues", "sv", count=5) in result.output
    assert "more" not in result.output
