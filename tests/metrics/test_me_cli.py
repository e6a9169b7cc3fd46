"""The metrics CLI: exit codes (0 ok, 1 errors, 2 usage), JSON output, explain, schema, export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from cli.main import app
from cli.metrics import _valid_line

BROKEN = Path(__file__).resolve().parent / "broken"
runner = CliRunner()


def test_validate_ok_and_errors(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["validate"])
    assert ok.exit_code == 0, ok.output
    assert "0 virhettä" in ok.output
    bad = runner.invoke(app, ["validate", "--dir", str(BROKEN), "--lang", "en"])
    assert bad.exit_code == 1
    assert "bad_direction.yaml:22: direction: 'up' is not one of" in bad.output
    finnish = runner.invoke(app, ["validate", "--dir", str(BROKEN)])  # the settings' language: Finnish
    assert "bad_direction.yaml:22: direction: 'up' ei ole mikään vaihtoehdoista" in finnish.output
    assert "is not one of" not in finnish.output
    assert "Traceback" not in bad.output
    missing = runner.invoke(app, ["validate", "--dir", str(tmp_path / "nope")])
    assert missing.exit_code == 2


def test_validate_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "--json", "--dir", str(BROKEN)])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    # unknown_series.yaml loads here: series are checked against a database only with --check-db
    assert payload["valid"] is False and payload["metrics"] == 4
    codes = {i["code"] for i in payload["issues"]}
    assert {"yaml-syntax", "unknown-field", "cycle", "duplicate-id"} <= codes
    single = tmp_path / "economy_services"
    single.mkdir()
    shutil.copy(BROKEN / "economy_services" / "population.yaml", single)
    good = runner.invoke(app, ["validate", "--json", "--dir", str(tmp_path)])
    assert good.exit_code == 0 and json.loads(good.stdout)["valid"] is True


def test_list_and_explain() -> None:
    listed = runner.invoke(app, ["list", "--lang", "sv"])
    assert listed.exit_code == 0 and "Arbetslöshetsgrad" in listed.output and "Unga" in listed.output
    explained = runner.invoke(app, ["explain", "in_migration_rate", "--dialect", "postgresql"])
    assert explained.exit_code == 0, explained.output
    assert "SELECT" in explained.output and "sotkanet:3196" in explained.output and "GROUP BY" in explained.output
    assert "× 1\u202f000" in explained.output
    unknown = runner.invoke(app, ["explain", "in_migraton_rate"])
    assert unknown.exit_code == 2 and "did you mean 'in_migration_rate'" in unknown.output


def test_schema_check_and_write(tmp_path: Path) -> None:
    assert runner.invoke(app, ["schema", "--check"]).exit_code == 0
    out = tmp_path / "s.json"
    assert runner.invoke(app, ["schema", "--out", str(out)]).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["title"] == "Kuntamittari metric definition"
    out.write_text("{}", encoding="utf-8")
    assert runner.invoke(app, ["schema", "--check", "--out", str(out)]).exit_code == 1


def test_export_metric(bundled_engine, tmp_path: Path) -> None:
    url = bundled_engine.url.render_as_string(hide_password=False)
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["export-metric", "--metric", "in_migration_rate", "--area", "208", "--area", "pilot",
                                 "--period", "2011", "--out", str(out), "--db", url])
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig", dtype={"area_code": str})
    assert df["area_code"].tolist() == ["208", "pilot"]
    assert df["attribution"].unique().tolist() == ["Lähde: THL, Sotkanet"]
    parquet = tmp_path / "out.parquet"
    assert runner.invoke(app, ["export-metric", "--metric", "population", "--area", "SSS", "--format", "parquet",
                               "--out", str(parquet), "--db", url]).exit_code == 0
    assert len(pd.read_parquet(parquet)) == 22
    bad_area = runner.invoke(app, ["export-metric", "--metric", "population", "--area", "XYZ", "--out", str(out), "--db", url])
    assert bad_area.exit_code == 2 and "XYZ" in bad_area.output
    bad_format = runner.invoke(app, ["export-metric", "--metric", "population", "--area", "208", "--format", "xlsx", "--out", str(out)])
    assert bad_format.exit_code == 2


def test_every_command_has_help() -> None:
    for command in ("validate", "list", "explain", "schema", "export-metric"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and len(result.output) > 100


def test_every_command_reads_lang_and_db_the_same_way() -> None:
    """One `--lang` rule for every command: a value in any case or with a region picks the language;
    none picks the configured default (Finnish here). `--db` and `--lang` say the same in every `--help`."""
    listed = {lang: runner.invoke(app, ["list", "--lang", lang]) for lang in ("SV", "en-GB", "")}
    assert "Barn och familjer" in listed["SV"].output
    assert "Children and families" in listed["en-GB"].output
    assert "Lapset ja perheet" in listed[""].output
    helps = [runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"}).output
             for command in (["forecast", "run"], ["report", "summary"], ["readout"], ["init"])]
    assert all("Database URL (default: KUNTAMITTARI_DATABASE_URL or var/ SQLite)." in h for h in helps[:2] + helps[3:])
    assert all("fi, sv or en (default: settings)." in h for h in helps[:3])


def test_the_summary_line_counts_each_noun_by_its_own_number() -> None:
    assert _valid_line("en", 1, 1, 0) == "1 metric valid, 1 error, 0 warnings"
    assert _valid_line("fi", 21, 2, 1) == "21 mittaria kunnossa, 2 virhettä, 1 varoitus"
    assert _valid_line("sv", 1, 0, 2) == "1 indikator i ordning, 0 fel, 2 varningar"
