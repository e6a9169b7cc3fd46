"""Helpers for the load-fault tests: a fingerprint of every table, and data files in the sources' formats."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from datamodel.schema import Base

FIX = Path(__file__).parent / "fixtures"
REL1 = FIX / "sotkanet_data_181_release1.json"
STATFIN_POP = FIX / "statfin_11s5_kunta_population_2024M12_en.json"


def fingerprint(engine: Engine) -> dict[str, str]:
    """SHA-256 of each table's rows (sorted), warehouse and series catalogue (`dim_series`) alike:
    equal fingerprints mean nothing was written, not even a batch row or a series title."""
    out: dict[str, str] = {}
    with engine.connect() as conn:
        for name, table in sorted(Base.metadata.tables.items()):
            rows = sorted(repr(tuple(r)) for r in conn.execute(select(table)).all())
            out[name] = hashlib.sha256("\n".join(rows).encode()).hexdigest() + f"/{len(rows)}"
    return out


def sotkanet_rows(**changes: Any) -> list[dict[str, Any]]:
    """The first Sotkanet release (indicator 181) with `changes` = {index: {field: value}} applied."""
    rows = json.loads(REL1.read_text())
    for index, fields in changes.items():
        rows[int(index.removeprefix("i"))].update(fields)
    return rows


def write_json(path: Path, doc: Any) -> Path:
    """json.dumps writes NaN and Infinity literals, as a hostile or broken source would."""
    path.write_text(json.dumps(doc, allow_nan=True))
    return path
