"""The warehouse's data version: what cached results are keyed by, so a load is seen at once.

Every change to the facts comes with a new `load_batch` row committed in the same transaction
(loaders, uploads, refreshes, border changes), and every change to the area dimension raises
`dim_area_version` (triggers). So the newest batch id, the number of batches (a removed batch
lowers it) and the area counter together change exactly when what a page shows can change. One
small query answers all three: about 0.1-0.2 ms on SQLite (`benchmarks/bench_freshness.py`), far
below any cached result it protects, and unlike a time-to-live it is right the moment a load
commits, on every app replica that reads the same database.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, func, select

from datamodel.schema import area_version, load_batch

_VERSION = select(
    select(func.max(load_batch.c.batch_id)).scalar_subquery(),
    select(func.count()).select_from(load_batch).scalar_subquery(),
    select(area_version.c.version).where(area_version.c.id == 1).scalar_subquery(),
)


def data_version_of(conn: Connection) -> str:
    """`batch<max id>.<count>-area<counter>` on an open connection."""
    newest, count, areas = conn.execute(_VERSION).one()
    return f"batch{int(newest or 0)}.{int(count or 0)}-area{'' if areas is None else int(areas)}"


def data_version(engine: Engine) -> str:
    """The data version of `engine`'s database (a short string, changes with every load)."""
    with engine.connect() as conn:
        return data_version_of(conn)
