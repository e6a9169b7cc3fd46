"""When data was last refreshed and when the next refresh is due (`refresh --if-due`, the app).

A refresh counts when it reached its sources (`ok`, or `partial` when one source failed); a run
that could reach none (`failed`: offline) does not, so a daily timer with `--if-due` tries again
the next day. The interval is `refresh_interval_days` (30 by default: monthly).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from datamodel.schema import refresh_run
from forecasting.accuracy_store import ACCURACY_TRIGGER
from kuntamittari.settings import get_settings

COUNTS = ("ok", "partial")
STALE_RUNNING = timedelta(hours=6)  # a run "running" for longer than this died without finishing


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class RefreshStatus:
    """What the app shows about freshness, and what `--if-due` decides on."""

    last_refreshed: datetime | None
    last_status: str | None
    last_attempt: datetime | None
    next_due: datetime
    due: bool
    running: bool
    interval_days: int


def refresh_status(engine: Engine, now: datetime | None = None) -> RefreshStatus:
    """Last successful refresh, the last attempt, the next due time and whether one is running."""
    now = _utc(now) or datetime.now(UTC)
    interval = get_settings().refresh_interval_days
    with engine.connect() as conn:
        last_ok = conn.execute(
            select(refresh_run.c.finished_at).where(refresh_run.c.status.in_(COUNTS))
            .order_by(refresh_run.c.finished_at.desc()).limit(1)
        ).scalar_one_or_none()
        last = conn.execute(
            select(refresh_run.c.started_at, refresh_run.c.status)
            .where(refresh_run.c.trigger != ACCURACY_TRIGGER)  # a stored accuracy summary is no refresh
            .order_by(refresh_run.c.run_id.desc()).limit(1)
        ).first()
    last_ok = _utc(last_ok)
    started = _utc(last[0]) if last else None
    running = bool(last and last[1] == "running" and started is not None and now - started < STALE_RUNNING)
    next_due = (last_ok + timedelta(days=interval)) if last_ok else now
    return RefreshStatus(
        last_refreshed=last_ok, last_status=last[1] if last else None, last_attempt=started,
        next_due=next_due, due=next_due <= now, running=running, interval_days=interval,
    )
