"""Where the measured accuracy summary is kept: a row of `refresh_run`, so every replica sees it.

Why there and not a file: app replicas share one database, not a data directory, and no schema
change is needed. The row has `trigger` = `ACCURACY_TRIGGER` and `status` = `MEASURED`; its
`report` JSON is `AccuracySummary.to_dict()`. `refresh.schedule` ignores such rows (they are not
refreshes). Every measurement appends a row; the newest one is the published summary, and the
older ones stay as its history.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from datamodel.schema import refresh_run
from forecasting.accuracy import AccuracySummary

ACCURACY_TRIGGER = "forecast_accuracy"
MEASURED = "measured"


def save_summary(engine: Engine, summary: AccuracySummary) -> int:
    """Store `summary` as the newest measurement; returns its row id."""
    with engine.begin() as conn:
        run_id = conn.execute(refresh_run.insert().returning(refresh_run.c.run_id), {
            "started_at": summary.measured_at, "finished_at": summary.measured_at, "trigger": ACCURACY_TRIGGER,
            "status": MEASURED, "batch_ids": [summary.data_batch] if summary.data_batch is not None else [],
            "report": summary.to_dict(),
        }).scalar_one()
    return int(run_id)


def load_summary(engine: Engine) -> AccuracySummary | None:
    """The newest stored summary, or None when accuracy has not been measured on this database."""
    with engine.connect() as conn:
        report = conn.execute(
            select(refresh_run.c.report).where(refresh_run.c.trigger == ACCURACY_TRIGGER,
                                               refresh_run.c.status == MEASURED)
            .order_by(refresh_run.c.run_id.desc()).limit(1)
        ).scalar_one_or_none()
    return AccuracySummary.from_dict(report) if report else None
