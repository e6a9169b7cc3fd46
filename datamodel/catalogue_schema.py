"""The metric catalogue's table in the warehouse: every version of every metric definition.

Why in the warehouse: several app processes (replicas behind a load balancer) serve one
PostgreSQL, and each must see the drafts and approvals saved through any other. The payload is
the metric's YAML text exactly as a file would hold it, so the one validator reads both.

One append-only table, no updates and no deletes:

- `version` numbers a metric's current line 1, 2, 3...; the unique key on (`metric_id`,
  `version`) is the optimistic-concurrency check: a save that started from version N inserts
  N + 1, and only one of two concurrent saves can (the other gets an integrity error and is
  refused). The newest `version` of a metric is its current definition.
- Rows with `version` NULL are kept texts that never became current: a refused concurrent save
  (`kind` 'conflict') and a shipped definition held back because the metric was edited locally
  (`kind` 'shipped'). Unique keys ignore NULLs on SQLite and PostgreSQL alike.
- `kind`: seed (from the shipped files), saved (the authoring page or the library), import
  (`kuntamittari catalogue import`), conflict, shipped. `author` and `created_at` say who and when.

Imported by `datamodel.schema` so `Base.metadata` (migrations, `create_all`) always holds it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from datamodel.schema import Base


class MetricVersion(Base):
    """One saved text of one metric (current line when `version` is set, a kept copy when NULL)."""

    __tablename__ = "metric_version"
    __table_args__ = (
        UniqueConstraint("metric_id", "version", name="uq_metric_version_key"),
        Index("ix_metric_version_metric", "metric_id", "version_id"),
    )

    version_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))
    theme: Mapped[str] = mapped_column(String(40))
    status: Mapped[str | None] = mapped_column(String(12))
    yaml_text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(200), default="")
    based_on: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


metric_version = MetricVersion.__table__
