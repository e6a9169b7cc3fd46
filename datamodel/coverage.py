"""Keep `series_coverage` in step with `fact_observation` (see `schema.SeriesCoverage`).

`refresh_series_coverage(conn, series_ids)` deletes the summary rows of the given series and
re-inserts them from one aggregate over their facts (`INSERT ... SELECT`, served by
`ix_fact_observation_series_period`). Every write path calls it at its end, inside its own
transaction, so a rolled-back load leaves the summary unchanged too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Select, case, delete, func, literal, select

from datamodel.schema import fact, period, series_coverage

CHUNK = 500
COLUMNS = ["series_id", "first_year", "last_year", "last_period", "rows", "last_batch_id", "refreshed_at"]


def coverage_select(series_ids: list[int] | None = None, *, now: datetime | None = None) -> Select[Any]:
    """The aggregate behind `series_coverage` (all series, or only `series_ids`), columns `COLUMNS`."""
    has_value = fact.c.value.is_not(None)
    stmt = (
        select(
            fact.c.series_id,
            func.min(case((has_value, period.c.year))).label("first_year"),
            func.max(case((has_value, period.c.year))).label("last_year"),
            func.max(case((has_value, period.c.code))).label("last_period"),
            func.count().label("rows"),
            func.max(fact.c.batch_id).label("last_batch_id"),
            literal(now or datetime.now(UTC), DateTime(timezone=True)).label("refreshed_at"),
        )
        .select_from(fact.join(period, period.c.period_id == fact.c.period_id))
        .group_by(fact.c.series_id)
    )
    if series_ids is not None:
        stmt = stmt.where(fact.c.series_id.in_(series_ids))
    return stmt


def refresh_series_coverage(conn: Connection, series_ids: Iterable[int] | None) -> int:
    """Recompute the coverage rows of `series_ids` (None: every series) in the caller's transaction.

    A series without facts ends up without a row. Returns the number of series refreshed.
    """
    now = datetime.now(UTC)
    if series_ids is None:
        conn.execute(delete(series_coverage))
        conn.execute(series_coverage.insert().from_select(COLUMNS, coverage_select(None, now=now)))
        return conn.execute(select(func.count()).select_from(series_coverage)).scalar_one()
    ids = sorted({int(s) for s in series_ids})
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        conn.execute(delete(series_coverage).where(series_coverage.c.series_id.in_(chunk)))
        conn.execute(series_coverage.insert().from_select(COLUMNS, coverage_select(chunk, now=now)))
    return len(ids)
