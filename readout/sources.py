"""Where the shown figures come from: source, licence and date, per source, from the data itself.

The provenance is read from the load batches behind the values actually shown (the `batch_id`
of each row), never assumed: a municipality's own upload is footed with its own name, licence,
upload date and uploader, and the date shown for another source (Sotkanet) stays that source's
own retrieval date. Columns a database may not have yet (`source_name`, `uploaded_at`,
`uploaded_by`) are used when present.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from readout.model import MetricReadout, Source

logger = logging.getLogger(__name__)

_LABEL = re.compile(r"^\s*(lähde|källa|source)\s*:\s*", re.I)
OWN_SOURCES = ("own",)


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _stamp(*values: Any) -> datetime | None:
    for value in values:
        if value is None:
            continue
        stamp = pd.to_datetime(value, errors="coerce", utc=True)
        if not pd.isna(stamp):
            return stamp.to_pydatetime()
    return None


def source_of_batch(batch: dict[str, Any]) -> Source:
    """One load batch as a `Source`: its own name, licence and date (upload date for own data)."""
    own = str(batch.get("source") or "") in OWN_SOURCES or batch.get("uploaded_at") is not None
    name = _text(batch.get("source_name")) or _LABEL.sub("", _text(batch.get("attribution")) or "") \
        or _text(batch.get("source")) or "?"
    licence = _text(batch.get("licence"))
    origin = _text(batch.get("source"))
    if own:
        return Source(name, licence, _stamp(batch.get("uploaded_at"), batch.get("loaded_at")), "uploaded",
                      _text(batch.get("uploaded_by")), origin or "own")
    return Source(name, licence, _stamp(batch.get("fetched_at"), batch.get("loaded_at")), "fetched", origin=origin)


def merge_sources(sources: Iterable[Source]) -> tuple[Source, ...]:
    """One entry per (name, licence, kind), with that source's newest date, in first-seen order."""
    merged: dict[tuple[str, str | None, str], Source] = {}
    for source in sources:
        key = (source.name, source.licence, source.kind)
        old = merged.get(key)
        if old is None or (source.retrieved and (old.retrieved is None or source.retrieved > old.retrieved)):
            merged[key] = source
    return tuple(merged.values())


def sources_of_batches(batches: pd.DataFrame, batch_ids: Iterable[int] | None = None) -> tuple[Source, ...]:
    """The sources of the given batches (all batches of the frame when `batch_ids` is None)."""
    if batches is None or batches.empty:
        return ()
    rows = batches if batch_ids is None else batches[batches["batch_id"].isin(set(batch_ids))]
    return merge_sources(source_of_batch(r) for r in rows.to_dict("records"))


def readout_sources(items: Sequence[MetricReadout]) -> tuple[Source, ...]:
    """The sources of a whole readout: each source once, with its own newest date."""
    return merge_sources(s for item in items for s in item.sources)
