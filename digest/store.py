"""Keep digest items in `digest_item` (one row per change, keyed by load batch) and read them back.

Writing is idempotent: the unique key (batch, area, metric, kind, period) means computing the
digest of a batch twice stores each item once. Reads are newest first, for the overview page,
the data-status page, the e-mail and the webhook alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from datamodel.areas import normalise_area_code
from datamodel.schema import digest_item, load_batch
from digest.compute import DigestEntry


@dataclass(frozen=True)
class DigestRecord(DigestEntry):
    """A stored digest item: its id and the time its batch was loaded."""

    item_id: int
    loaded_at: datetime | None


def save_items(engine: Engine, entries: Sequence[DigestEntry], run_id: int | None = None) -> int:
    """Store entries not stored yet (same batch/area/metric/kind/period); returns how many were new."""
    if not entries:
        return 0
    batches = sorted({e.batch_id for e in entries})
    now = datetime.now(UTC)
    with engine.begin() as conn:
        existing = {
            (r.batch_id, r.area_code, r.metric_id, r.kind, r.period)
            for r in conn.execute(select(digest_item.c.batch_id, digest_item.c.area_code, digest_item.c.metric_id,
                                         digest_item.c.kind, digest_item.c.period)
                                  .where(digest_item.c.batch_id.in_(batches)))
        }
        rows = [
            {"batch_id": e.batch_id, "run_id": run_id, "area_code": e.area_code, "metric_id": e.metric_id,
             "theme": e.theme, "kind": e.kind, "period": e.period, "payload": e.payload, "created_at": now}
            for e in entries if (e.batch_id, e.area_code, e.metric_id, e.kind, e.period) not in existing
        ]
        if rows:
            conn.execute(digest_item.insert(), rows)
    return len(rows)


def _records(engine: Engine, where: Any, limit: int | None) -> list[DigestRecord]:
    stmt = (
        select(digest_item.c.item_id, digest_item.c.batch_id, digest_item.c.area_code, digest_item.c.metric_id,
               digest_item.c.theme, digest_item.c.kind, digest_item.c.period, digest_item.c.payload,
               load_batch.c.loaded_at)
        .select_from(digest_item.join(load_batch, load_batch.c.batch_id == digest_item.c.batch_id))
        .where(where)
        .order_by(digest_item.c.batch_id.desc(), digest_item.c.metric_id, digest_item.c.kind, digest_item.c.period.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    with engine.connect() as conn:
        return [DigestRecord(**dict(r)) for r in conn.execute(stmt).mappings()]


def digest_for_area(engine: Engine, area_code: str, *, limit: int | None = 100,
                    batch_ids: Iterable[int] | None = None) -> list[DigestRecord]:
    """One municipality's digest items, newest batch first (optionally only some batches)."""
    where = digest_item.c.area_code == normalise_area_code(area_code)
    if batch_ids is not None:
        where = where & digest_item.c.batch_id.in_(sorted({int(b) for b in batch_ids}))
    return _records(engine, where, limit)


def digest_for_batches(engine: Engine, batch_ids: Iterable[int], *, areas: Iterable[str] | None = None,
                       themes: Iterable[str] | None = None) -> list[DigestRecord]:
    """Items of the batches, optionally only for some municipalities and themes (alerts)."""
    where = digest_item.c.batch_id.in_(sorted({int(b) for b in batch_ids}))
    if areas:
        where = where & digest_item.c.area_code.in_(sorted({normalise_area_code(a) for a in areas}))
    if themes:
        where = where & digest_item.c.theme.in_(sorted(set(themes)))
    return _records(engine, where, None)


def batches_with_items(engine: Engine) -> list[tuple[int, datetime | None]]:
    """(batch id, loaded at) of every batch that has digest items, oldest first."""
    stmt = (select(load_batch.c.batch_id, load_batch.c.loaded_at)
            .where(load_batch.c.batch_id.in_(select(digest_item.c.batch_id).distinct()))
            .order_by(load_batch.c.batch_id))
    with engine.connect() as conn:
        return [(int(b), at) for b, at in conn.execute(stmt)]
