"""Real Sotkanet series read from the project's bundled data (datamodel/data/sotkanet-2013).

A helper module with a unique name (not conftest.py), so tests can import it whatever other
conftest files are on the path.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pandas as pd

BUNDLED = Path(__file__).resolve().parents[2] / "datamodel" / "data" / "sotkanet-2013"


def _region_ids() -> dict[str, int]:
    with (BUNDLED / "areas.csv").open(encoding="utf-8") as handle:
        return {row["municipality_code"]: int(row["sotkanet_region_id"]) for row in csv.DictReader(handle)}


def sotkanet_series(indicator: int, municipality: str) -> pd.DataFrame:
    """(period, value) of one bundled Sotkanet indicator for one municipality, sorted by year."""
    path = BUNDLED / "data" / f"indicator_{indicator}.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = json.load(handle)
    region = _region_ids()[municipality]
    points = sorted((r["year"], r["value"]) for r in rows
                    if r["region"] == region and r.get("gender", "total") == "total" and r["value"] is not None)
    return pd.DataFrame({"period": [str(y) for y, _ in points], "value": [float(v) for _, v in points]})
