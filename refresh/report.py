"""What a refresh did, per source and per series: plain data for the CLI, the page and the run log.

Statuses of a series: `new` (new periods), `revised` (changed values, maybe new periods too),
`unchanged`, `skipped` (the source's update stamp has not moved, so nothing was downloaded),
`failed` (with the reason), `not_loaded` (fetched, but its source failed, so nothing of that
source was written). A source is `ok`, `nothing_new`, `failed` (offline or refused: nothing
written) or `empty` (the catalogue uses none of its series).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class SeriesOutcome:
    """One series of the catalogue in one refresh."""

    code: str
    status: str = "unchanged"
    new_periods: list[str] = field(default_factory=list)
    new_values: int = 0
    revised_values: int = 0
    unchanged_values: int = 0
    reason: str | None = None
    source_updated: str | None = None


@dataclass
class SourceOutcome:
    """One source (one batch at most) in one refresh."""

    source: str
    status: str = "nothing_new"
    message: str | None = None
    batch_id: int | None = None
    requests: int = 0
    series: list[SeriesOutcome] = field(default_factory=list)


@dataclass
class RefreshReport:
    """The whole refresh: sources, digest items written and alerts sent."""

    run_id: int | None
    started_at: datetime
    finished_at: datetime | None = None
    status: str = "running"
    sources: list[SourceOutcome] = field(default_factory=list)
    digest_items: int = 0
    alerts: dict[str, int] = field(default_factory=dict)

    @property
    def batch_ids(self) -> list[int]:
        return [s.batch_id for s in self.sources if s.batch_id is not None]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (datetimes as ISO strings)."""
        out = asdict(self)
        for key in ("started_at", "finished_at"):
            out[key] = out[key].isoformat() if out[key] else None
        out["batch_ids"] = self.batch_ids
        return out


@dataclass(frozen=True)
class Progress:
    """A step of a refresh for a progress bar: `stage` is sotkanet | statfin | load | digest | alerts."""

    stage: str
    done: int
    total: int
    detail: str = ""

    @property
    def fraction(self) -> float:
        return 0.0 if self.total <= 0 else min(1.0, self.done / self.total)


ProgressCallback = Callable[[Progress], None]
