"""Read series back out of the star schema as a tidy frame (CLI `export`, tests, benchmarks).

Metric-level exports belong to `metrics`; this one returns stored observations as they are.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from datamodel.errors import ConfigError
from datamodel.schema import area, fact, group, period, series

logger = logging.getLogger(__name__)

EXPORT_COLUMNS = [
    "series_code", "area_code", "area_name_fi", "period", "group_code", "value", "numerator", "denominator",
    "status", "attribution",
]


def series_frame(
    engine: Engine,
    series_codes: Sequence[str],
    area_codes: Sequence[str] = (),
    periods: Sequence[str] = (),
) -> pd.DataFrame:
    """Observations of the given series (optionally only some areas/periods), sorted, with attribution."""
    if not series_codes:
        raise ConfigError("give at least one series code, e.g. sotkanet:181")
    stmt = (
        select(
            series.c.code.label("series_code"), area.c.code.label("area_code"), area.c.name_fi.label("area_name_fi"),
            period.c.code.label("period"), group.c.code.label("group_code"), fact.c.value, fact.c.numerator,
            fact.c.denominator, fact.c.status, series.c.attribution,
        )
        .select_from(fact)
        .join(series, series.c.series_id == fact.c.series_id)
        .join(area, area.c.area_id == fact.c.area_id)
        .join(period, period.c.period_id == fact.c.period_id)
        .join(group, group.c.group_id == fact.c.group_id)
        .where(series.c.code.in_(list(series_codes)))
        .order_by(series.c.code, area.c.code, period.c.code, group.c.code)
    )
    if area_codes:
        stmt = stmt.where(area.c.code.in_(list(area_codes)))
    if periods:
        stmt = stmt.where(period.c.code.in_(list(periods)))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame(rows, columns=EXPORT_COLUMNS)


def write_frame(frame: pd.DataFrame, out: Path, fmt: str) -> None:
    """Write CSV (UTF-8 with BOM, `;`, decimal comma: opens right in Finnish Excel) or Parquet.

    Written to a temporary file in the same folder and renamed, so no half-written file remains.
    """
    if fmt not in ("csv", "parquet"):
        raise ConfigError(f"unknown format {fmt!r} (csv or parquet)")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    try:
        if fmt == "csv":
            frame.to_csv(tmp, sep=";", decimal=",", index=False, encoding="utf-8-sig")
        else:
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
