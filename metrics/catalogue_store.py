"""The metric catalogue in the warehouse: versions, the authoring store on them, the cache key.

Several app replicas serve one PostgreSQL. A catalogue kept as files on each machine's disk
would give each replica its own catalogue, so (with `settings.catalogue_source = "database"`,
the default) every metric definition is a row of `metric_version`: its YAML text exactly as a
file would hold it (validated by the same code, `metrics.catalog`), its author and time. Nothing
is updated or deleted: a save appends the next version, so the whole history stays.

**Optimistic concurrency, in the database.** Opening a metric for editing records its version
number N (the store's "fingerprint"). A save inserts version N + 1 with one conditional
statement (`INSERT ... SELECT ... WHERE <current version> = N`), and the unique key on
(`metric_id`, `version`) refuses a second insert of N + 1 that raced past the condition on
another replica. Either way the later save is refused with `ConflictError`, exactly as on one
process, and its text is kept as a conflict row in the history. No file lock, no process lock.

**Cache key.** `catalogue_version(engine)` is one aggregate over the table (count and newest
id), cheap enough to run on every page rerun; it changes with every row any replica commits,
so a save on one replica shows on another at its next rerun.

Seeding from the shipped files, export and import live in `metrics.catalogue_sync`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, and_, func, insert, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from datamodel.catalogue_schema import metric_version as mv
from kuntamittari.settings import Settings, get_settings
from metrics.authoring_store import (
    AlreadyExistsError,
    ConflictError,
    HistoryEntry,
    HistoryNotFoundError,
    MetricNotFoundError,
    MetricStore,
    OpenedMetric,
    SaveResult,
    StoreError,
    check_metric_id,
    check_theme,
    fingerprint,
)

logger = logging.getLogger(__name__)

#: How a version came to be (see `datamodel.catalogue_schema`).
KINDS = ("seed", "saved", "import", "conflict", "shipped")
#: The display root of catalogue texts in issues: `catalogue:<theme>/<id>.yaml`.
DISPLAY_ROOT = "catalogue:"


@dataclass(frozen=True)
class CatalogueRow:
    """One row of `metric_version` (a current-line version when `version` is set)."""

    version_id: int
    metric_id: str
    version: int | None
    kind: str
    theme: str
    status: str | None
    text: str
    sha256: str
    author: str
    based_on: int | None
    created_at: datetime

    @property
    def label(self) -> str:
        """The version's name in the history: '3', or 'conflict-17' / 'shipped-18' for kept copies."""
        return str(self.version) if self.version is not None else f"{self.kind}-{self.version_id}"

    @property
    def display_path(self) -> Path:
        """How issues name this text: `catalogue:<theme>/<id>.yaml` (the file it exports to)."""
        return Path(f"{DISPLAY_ROOT}{self.theme}") / f"{self.metric_id}.yaml"


def row_from(record: Any) -> CatalogueRow:
    m = record._mapping
    return CatalogueRow(m["version_id"], m["metric_id"], m["version"], m["kind"], m["theme"], m["status"],
                        m["yaml_text"], m["sha256"], m["author"] or "", m["based_on"], m["created_at"])


def status_of(text: str) -> str | None:
    """The `status:` of a metric text, for listing (None when the text does not parse)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    value = data.get("status", "approved") if isinstance(data, dict) else None
    return str(value)[:12] if value is not None else None


def _now() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------------------- reading


def catalogue_version(engine: Engine) -> str:
    """A key that changes whenever any replica commits a version (rows are only ever added)."""
    with engine.connect() as conn:
        count, newest = conn.execute(select(func.count(), func.max(mv.c.version_id))).one()
    return f"db|{count}|{newest or 0}"


def _current_versions():  # type: ignore[no-untyped-def]
    return (select(mv.c.metric_id, func.max(mv.c.version).label("version"))
            .where(mv.c.version.is_not(None)).group_by(mv.c.metric_id).subquery())


def current_rows(engine: Engine | Connection) -> list[CatalogueRow]:
    """Every metric's current version, by id."""
    cur = _current_versions()
    stmt = (select(mv).join(cur, and_(mv.c.metric_id == cur.c.metric_id, mv.c.version == cur.c.version))
            .order_by(mv.c.metric_id))
    if isinstance(engine, Connection):
        return [row_from(r) for r in engine.execute(stmt)]
    with engine.connect() as conn:
        return [row_from(r) for r in conn.execute(stmt)]


def current_row(conn: Connection, metric_id: str) -> CatalogueRow | None:
    """One metric's current version (None when the metric has none)."""
    stmt = (select(mv).where(mv.c.metric_id == metric_id, mv.c.version.is_not(None))
            .order_by(mv.c.version.desc()).limit(1))
    record = conn.execute(stmt).first()
    return row_from(record) if record is not None else None


def is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(mv.c.version_id).limit(1)).first() is None


# ---------------------------------------------------------------------------- writing


def insert_version(conn: Connection, metric_id: str, theme: str, text: str, *, expected: int, kind: str,
                   author: str = "") -> int | None:
    """Append version `expected + 1` if the metric's current version is `expected` (0: none yet).

    One conditional INSERT ... SELECT: it reads the current version and writes in one statement
    (SQLite takes its write lock first; on PostgreSQL the unique key stops a racing twin).
    Returns the new version, or None when the condition failed. Raises IntegrityError on a race.
    """
    current = (select(func.coalesce(func.max(mv.c.version), 0)).where(mv.c.metric_id == metric_id)
               .scalar_subquery())
    values = {
        "metric_id": metric_id, "version": expected + 1, "kind": kind, "theme": theme, "status": status_of(text),
        "yaml_text": text, "sha256": fingerprint(text), "author": author[:200], "based_on": expected or None,
        "created_at": _now(),
    }
    columns = list(values)
    source = select(*(literal(values[c], mv.c[c].type) for c in columns)).where(current == expected)
    # RETURNING tells whether the row went in (psycopg reports no rowcount for INSERT ... SELECT).
    inserted = conn.execute(insert(mv).from_select(columns, source).returning(mv.c.version_id)).first()
    return expected + 1 if inserted is not None else None


def keep_copy(conn: Connection, metric_id: str, theme: str, text: str, *, kind: str, author: str = "",
              based_on: int | None = None) -> int:
    """Keep a text that does not become current (a refused save, a held-back shipped version)."""
    result = conn.execute(insert(mv).values(
        metric_id=metric_id, version=None, kind=kind, theme=theme, status=status_of(text), yaml_text=text,
        sha256=fingerprint(text), author=author[:200], based_on=based_on, created_at=_now(),
    ))
    return int(result.inserted_primary_key[0])


def _expected_version(token: str, metric_id: str) -> int:
    if not token:
        return 0
    try:
        return int(token)
    except ValueError:  # a file fingerprint handed to the database store: not an edit of this catalogue
        raise StoreError(f"not a catalogue version: {token!r}", metric_id=metric_id) from None


class DatabaseMetricStore:
    """The authoring store on the warehouse's catalogue; the same interface as `MetricStore`.

    `OpenedMetric.fingerprint` is the version number as text ('' for a new metric).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def find(self, metric_id: str) -> CatalogueRow | None:
        check_metric_id(metric_id)
        with self.engine.connect() as conn:
            return current_row(conn, metric_id)

    def open(self, metric_id: str) -> OpenedMetric:
        """Read a metric for editing, remembering the version its save must follow."""
        row = self.find(metric_id)
        if row is None:
            raise MetricNotFoundError(f"metric {metric_id!r} not found", metric_id=metric_id)
        return OpenedMetric(metric_id, None, row.text, str(row.version))

    def new(self, metric_id: str) -> OpenedMetric:
        """A metric not yet in the catalogue: its save is refused if the id turns out to be taken."""
        return OpenedMetric(metric_id, None, "", "")

    def current_fingerprint(self, metric_id: str) -> str:
        row = self.find(metric_id)
        return str(row.version) if row is not None else ""

    def save(self, metric_id: str, theme: str, text: str, expected_fingerprint: str, *, author: str = "",
             kind: str = "saved") -> SaveResult:
        """Append `text` as the next version if nobody saved since `expected_fingerprint`.

        A refused save keeps the text as a conflict row and raises `ConflictError` (or
        `AlreadyExistsError` when a new metric's id was taken meanwhile).
        """
        check_metric_id(metric_id)
        check_theme(theme)
        expected = _expected_version(expected_fingerprint, metric_id)
        try:
            with self.engine.begin() as conn:
                version = insert_version(conn, metric_id, theme, text, expected=expected, kind=kind, author=author)
                if version is not None:
                    logger.info("saved metric %s version %d (%s)", metric_id, version, author or "-")
                    return SaveResult(metric_id, None, None, str(version), version=version)
        except IntegrityError:
            logger.info("save of %s version %d lost a race with another replica", metric_id, expected + 1)
        self._refuse(metric_id, theme, text, expected, author)
        raise AssertionError("unreachable")  # pragma: no cover - _refuse always raises

    def _refuse(self, metric_id: str, theme: str, text: str, expected: int, author: str) -> None:
        with self.engine.begin() as conn:
            copy_id = keep_copy(conn, metric_id, theme, text, kind="conflict", author=author, based_on=expected or None)
            current = current_row(conn, metric_id)
        logger.warning("save of %s refused: version %d is no longer current; kept conflict-%d", metric_id,
                       expected, copy_id)
        error_cls = AlreadyExistsError if not expected else ConflictError
        raise error_cls(
            f"metric {metric_id!r} changed in the catalogue since it was opened",
            metric_id=metric_id,
            conflict_copy=f"conflict-{copy_id}",
            current_fingerprint=str(current.version) if current is not None else "",
        )

    def rows(self, metric_id: str) -> list[CatalogueRow]:
        """Every row of a metric, newest first."""
        check_metric_id(metric_id)
        with self.engine.connect() as conn:
            records = conn.execute(select(mv).where(mv.c.metric_id == metric_id).order_by(mv.c.version_id.desc()))
            return [row_from(r) for r in records]

    def history(self, metric_id: str) -> list[HistoryEntry]:
        """Every kept version of a metric, newest first (conflict and held-back shipped copies marked)."""
        return [HistoryEntry(metric_id, row.label, None, row.kind if row.kind in ("conflict", "shipped") else "saved",
                             row.created_at, author=row.author) for row in self.rows(metric_id)]

    def read_version(self, metric_id: str, version: str) -> str:
        """The text of one history version (by its label)."""
        for row in self.rows(metric_id):
            if row.label == version:
                return row.text
        raise HistoryNotFoundError(f"no version {version!r} of {metric_id!r}", metric_id=metric_id, version=version)


def metric_store(engine: Engine | None = None, settings: Settings | None = None) -> MetricStore | DatabaseMetricStore:
    """The authoring store of the configured catalogue: the warehouse's, or the files of `metrics_dir`."""
    settings = settings or get_settings()
    if settings.catalogue_source == "directory":
        return MetricStore(Path(settings.metrics_dir))
    if engine is None:
        raise StoreError("the database catalogue needs an engine")
    return DatabaseMetricStore(engine)
