"""CLI: every command has --help, exit codes 0/1/2, one-line errors, no tracebacks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from datamodel.bootstrap import head_revision
from cli.datamodel import register

FIX = Path(__file__).parent / "fixtures"
COMMANDS = ["init", "doctor", "load-sotkanet", "fetch-sotkanet", "fetch-statfin", "load-statfin", "import-csv",
            "export", "generate-synthetic"]
runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def db(bundled_engine, tmp_path) -> str:
    """A private copy of the bundled database (commands write to it)."""
    path = tmp_path / "cli.sqlite"
    shutil.copyfile(bundled_engine.url.database, path)
    return f"sqlite:///{path}"


@pytest.mark.parametrize("command", COMMANDS)
def test_help(app, command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and len(result.output) > 200


def test_init_and_doctor(app, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    result = runner.invoke(app, ["init", "--db", url, "--no-bundled"])
    assert result.exit_code == 0, result.output
    doctor = runner.invoke(app, ["doctor", "--db", url])
    assert doctor.exit_code == 1  # the bundled data check fails
    assert head_revision() in doctor.output  # the migration revision is shown


def test_doctor_masks_password(app) -> None:
    result = runner.invoke(app, ["doctor", "--db", "postgresql+psycopg://user:s3cret@127.0.0.1:1/x"])
    assert result.exit_code == 1
    assert "s3cret" not in result.output and "***" in result.output
    assert "Traceback" not in result.output


def test_doctor_ok_on_bundled(app, db) -> None:
    result = runner.invoke(app, ["doctor", "--db", db])
    assert result.exit_code == 0, result.output
    assert "224" in result.output


def test_import_csv_exit_codes(app, db, tmp_path) -> None:
    csv = tmp_path / "kotihoito.csv"
    csv.write_bytes("Kunta;Vuosi;Arvo\r\nKalajoki;2022;12,5\r\nKalajoki2;2022;3\r\n".encode("cp1252"))
    refused = runner.invoke(app, ["import-csv", str(csv), "--series-code", "own:208:kotihoito", "--db", db])
    assert refused.exit_code == 1
    assert "kotihoito.csv:3 Kunta='Kalajoki2'" in refused.output
    accepted = runner.invoke(app, ["import-csv", str(csv), "--series-code", "own:208:kotihoito", "--db", db,
                                   "--accept-partial"])
    assert accepted.exit_code == 0, accepted.output
    bad_map = runner.invoke(app, ["import-csv", str(csv), "--series-code", "own:208:k", "--map", "area", "--db", db])
    assert bad_map.exit_code == 2
    bad_code = runner.invoke(app, ["import-csv", str(csv), "--series-code", "kotihoito", "--db", db])
    assert bad_code.exit_code == 2 and "own:<municipality code>" in bad_code.output


def test_load_sotkanet_and_export(app, db, tmp_path) -> None:
    first = runner.invoke(app, ["load-sotkanet", str(FIX / "sotkanet_data_181_release1.json"), "--db", db])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["load-sotkanet", str(FIX / "sotkanet_data_181_release2.json"), "--db", db])
    assert second.exit_code == 0 and "9.9 -> 10.1" in second.output
    out = tmp_path / "out" / "k.parquet"
    result = runner.invoke(app, ["export", "--series", "sotkanet:181", "--area", "KU208", "--format", "parquet",
                                 "--out", str(out), "--db", db])
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    row = frame[(frame.period == "2012") & (frame.group_code == "total")]
    assert row["value"].tolist() == [10.1] and set(frame.area_code) == {"208"}
    assert (frame.attribution == "Lähde: THL, Sotkanet").all()
    missing = runner.invoke(app, ["load-sotkanet", str(tmp_path / "nope.json"), "--db", db])
    assert missing.exit_code == 1 and "nope.json" in missing.output and "Traceback" not in missing.output


def test_fetch_offline_is_one_clear_line(app, db) -> None:
    result = runner.invoke(app, ["fetch-sotkanet", "--indicator", "186", "--years", "2020-2021", "--db", db,
                                 "--base-url", "http://127.0.0.1:9/rest/1.1"])
    assert result.exit_code == 1
    assert "127.0.0.1:9" in result.output and "Traceback" not in result.output
    bad_years = runner.invoke(app, ["fetch-sotkanet", "--indicator", "186", "--years", "last", "--db", db])
    assert bad_years.exit_code == 2


def test_bad_database_url_is_a_usage_error(app) -> None:
    result = runner.invoke(app, ["init", "--db", "foo://bar"])
    assert result.exit_code == 2 and "bad database URL" in result.output
