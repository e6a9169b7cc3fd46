"""Computed region values against THL Sotkanet's own published region rows (bundled real data)."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from metrics.accuracy import APPROXIMATION_LIMIT, aggregation_report, region_comparison

RAW = Path(__file__).resolve().parents[2] / "datamodel" / "data" / "sotkanet-2013"


def _raw(indicator: int) -> dict[tuple[int, int], float]:
    with gzip.open(RAW / "data" / f"indicator_{indicator}.json.gz", "rt", encoding="utf-8") as handle:
        return {(r["region"], r["year"]): r["value"] for r in json.load(handle) if r["value"] is not None}


@pytest.fixture(scope="module")
def report(bundled_engine, starter_catalog):
    return aggregation_report(bundled_engine, starter_catalog)


def test_every_shipped_approximation_is_within_two_percent(report) -> None:
    assert "undeclared" not in set(report["weighting"])  # every weighted mean says what its weight is
    approx = report[report["weighting"] == "approximation"]
    assert len(approx) >= 10 and (approx["compared"] > 0).all()
    over = approx[approx["max_beyond_rounding"] > APPROXIMATION_LIMIT]
    assert over.empty, over[["metric_id", "max_beyond_rounding", "worst"]].to_string()
    # Counts and ratios of counts add up exactly.
    exact = report[report["weighting"].isin(["sum", "ratio"])]
    assert len(exact) == 6 and (exact["max_error"] == 0).all()
    # Metrics whose base is not in the warehouse compute nothing.
    for metric_id in ("primary_care_bed_days_75", "youth_outside_education", "relative_indebtedness",
                      "child_psychiatric_hospital_care"):
        row = report.set_index("metric_id").loc[metric_id]
        assert row["weighting"] == "source_only" and row["compared"] == 0


def test_a_computed_region_is_the_population_weighted_mean_of_its_members(bundled_engine, starter_catalog) -> None:
    """Central Finland 2011, dependency ratio: the report's numbers recomputed from the raw files."""
    with (RAW / "areas.csv").open(encoding="utf-8", newline="") as handle:
        members = [int(r["sotkanet_region_id"]) for r in csv.DictReader(handle) if r["maakunta_code"] == "13"]
    ratio, pop = _raw(761), _raw(127)
    expected = sum(ratio[(m, 2011)] * pop[(m, 2011)] for m in members) / sum(pop[(m, 2011)] for m in members)
    metric = starter_catalog.get("demographic_dependency_ratio")
    published, computed = region_comparison(bundled_engine, starter_catalog, [metric])
    rec = computed[metric.id][("MK13", "2011")]
    assert rec.value == pytest.approx(expected) and rec.basis == "approximation" and rec.coverage == 1.0
    assert published[metric.id][("MK13", "2011")].value == ratio[(499, 2011)] == 54.5


def test_unemployment_needs_every_member(report, bundled_engine, starter_catalog) -> None:
    """Ostrobothnia 2010 lacks one municipality's rate: with population standing in for the labour
    force, the partial mean was 3.5 % off, so the metric asks for full coverage."""
    row = report.set_index("metric_id").loc["unemployment_rate"]
    assert row["min_coverage"] == 1.0 and row["insufficient"] > 0 and row["partial"] == 0
    metric = starter_catalog.get("unemployment_rate")
    _published, computed = region_comparison(bundled_engine, starter_catalog, [metric])
    rec = computed[metric.id][("MK15", "2010")]
    assert (rec.value, rec.status, rec.present, rec.expected) == (None, "insufficient", 14, 15)


def test_cli_prints_the_table(bundled_engine) -> None:
    result = CliRunner().invoke(app, ["aggregation-report", "--db", str(bundled_engine.url), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "| Metric | Weighting | Coverage threshold |" in result.output
    assert "| unemployment_rate | approximation | 100 % |" in result.output
