"""`kuntamittari readout`: the same readout on the command line, as text, CSV and JSON."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli.main import app
from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from metrics.catalog import load_catalog
from readout.build import build_area_readout
from readout.localise import localise


@pytest.fixture
def bundled_env(bundled_engine: Engine, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KUNTAMITTARI_DATABASE_URL", bundled_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield bundled_engine
    get_settings.cache_clear()


def test_readout_command_prints_the_readout(bundled_env: Engine) -> None:
    runner = CliRunner()
    words = localise(build_area_readout(bundled_env, load_catalog(), "208", compare_with=("region",)), "en")
    unemployment = words.metric("unemployment_rate")
    text = runner.invoke(app, ["readout", "208", "--lang", "en"])
    assert text.exit_code == 0, text.output
    line = next(x for x in text.output.splitlines() if x.startswith(unemployment.name + ":"))
    assert unemployment.value_with_unit in line and unemployment.trend_label in line
    assert unemployment.comparisons[0].line in line
    as_json = runner.invoke(app, ["readout", "208", "--lang", "sv", "--format", "json", "--public",
                                  "--compare", "region,county,finland"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["area"] == "208" and data["readout"]["audience"] == "public"
    assert [a["role"] for a in data["readout"]["comparison_areas"]] == ["region", "county", "finland"]
    as_csv = runner.invoke(app, ["readout", "208", "--lang", "fi", "--format", "csv", "--public"])
    assert as_csv.exit_code == 0, as_csv.output
    block = [x for x in as_csv.stdout.splitlines() if x.startswith("# ")]  # the download's provenance block
    assert any("CC BY 4.0" in x for x in block) and any(t("downloads.label.batches", "fi") in x for x in block)
    table = pd.read_csv(io.StringIO(as_csv.stdout), sep=";", comment="#", dtype=str)
    assert len(table) > 0 and not any(c.startswith("#") for c in table.columns)
    unknown = runner.invoke(app, ["readout", "999"])
    assert unknown.exit_code == 2 and "Traceback" not in unknown.output
