"""What a load batch changed, read back from the warehouse: new keys and revised keys per series.

A fact written by batch B is either new (its key had no value before) or revised (the value it
replaced moved to `fact_observation_revision` with `superseded_by_batch_id = B`). Reading this
back after the load, rather than trusting the loader's counters, gives the refresh report its
per-series figures and the digest the source's own evidence of a revision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, select

from datamodel.schema import area, fact, fact_revision, group, period, series

KEY = ["series_code", "area_code", "period_code", "group_code"]


@dataclass
class SeriesChange:
    """New and revised values of one series in some batches."""

    new_values: int = 0
    revised_values: int = 0
    new_periods: list[str] = field(default_factory=list)


def _keys(engine: Engine, table, batch_column, batch_ids: list[int]) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    stmt = (
        select(series.c.code.label("series_code"), area.c.code.label("area_code"),
               period.c.code.label("period_code"), group.c.code.label("group_code"), table.c.value)
        .select_from(table.join(series, series.c.series_id == table.c.series_id)
                     .join(area, area.c.area_id == table.c.area_id)
                     .join(period, period.c.period_id == table.c.period_id)
                     .join(group, group.c.group_id == table.c.group_id))
        .where(batch_column.in_(batch_ids))
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame(rows, columns=[*KEY, "value"])


def revised_values(engine: Engine, batch_ids: Iterable[int]) -> pd.DataFrame:
    """Old values replaced by the batches (columns: series, area, period, group codes, old value)."""
    ids = sorted({int(b) for b in batch_ids})
    if not ids:
        return pd.DataFrame(columns=[*KEY, "value"])
    return _keys(engine, fact_revision, fact_revision.c.superseded_by_batch_id, ids)


def batch_changes(engine: Engine, batch_ids: Iterable[int]) -> dict[str, SeriesChange]:
    """Per series code: how many values the batches added and revised, and the new periods."""
    ids = sorted({int(b) for b in batch_ids})
    if not ids:
        return {}
    written = _keys(engine, fact, fact.c.batch_id, ids)
    revised = revised_values(engine, ids)
    marked = written.merge(revised[KEY].drop_duplicates().assign(_rev=True), on=KEY, how="left")
    is_rev = marked["_rev"].eq(True).to_numpy()
    new = marked[~is_rev]
    out: dict[str, SeriesChange] = {}
    for code, rows in new.groupby("series_code"):
        out.setdefault(str(code), SeriesChange()).new_values = len(rows)
        out[str(code)].new_periods = sorted(set(rows.loc[rows["value"].notna(), "period_code"].astype(str)))
    for code, rows in marked[is_rev].groupby("series_code"):
        out.setdefault(str(code), SeriesChange()).revised_values = len(rows)
    return out
