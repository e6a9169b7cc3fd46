"""Compiled SQL snapshots: a change in the generated SQL shows up in review.

Regenerate with `KUNTAMITTARI_UPDATE_SNAPSHOTS=1 pytest tests/metrics/test_me_snapshots.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from metrics.catalog import load_catalog
from metrics.compiler import AreaTarget, compile_inputs, explain, metric_inputs

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
TARGETS = [
    AreaTarget("208", "kunta", "Kalajoki", "Kalajoki", "Kalajoki", (187,)),
    AreaTarget("MK17", "maakunta", "Pohjois-Pohjanmaa", None, None, (400,), (9, 187, 244)),
]


@pytest.mark.parametrize("metric_id", ["in_migration_rate", "unemployment_rate", "gross_migration"])
@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_compiled_sql_snapshot(metric_id: str, dialect: str) -> None:
    metric = load_catalog().get(metric_id)
    inputs, weight = metric_inputs(metric)
    sql = explain(compile_inputs(inputs, weight, TARGETS, ("2010", "2011"), "total", "all"), dialect) + "\n"
    assert all(code in sql for code in inputs) and "GROUP BY" in sql
    path = SNAPSHOTS / f"{metric_id}.{dialect}.sql"
    if os.environ.get("KUNTAMITTARI_UPDATE_SNAPSHOTS"):
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}; run with KUNTAMITTARI_UPDATE_SNAPSHOTS=1"
    assert path.read_text(encoding="utf-8") == sql


def test_values_from_yaml_are_bound_parameters() -> None:
    """A hostile string in a selection is a parameter value, never SQL text."""
    hostile = "total'; DROP TABLE fact_observation; --"
    stmt = compile_inputs(["sotkanet:181"], None, TARGETS[:1], None, hostile, "all")
    compiled = stmt.compile()
    assert hostile not in str(compiled)
    assert hostile in compiled.params.values()
