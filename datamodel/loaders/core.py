"""The one write path into the star schema: validated observations -> one transaction.

Every loader (bundled Sotkanet, Sotkanet API, StatFin, own CSV) produces a tidy frame of
observations keyed by codes and hands it here, so idempotency, revisions and provenance are
implemented once:

- one `load_batch` row per load, in the same transaction as the facts: any error rolls back
  everything, the database is unchanged;
- a fact whose key exists with another value is updated and the previous value moves to
  `fact_observation_revision` (nothing published is lost);
- loading the same input again changes nothing and records no batch;
- `series_coverage` is refreshed for the batch's series at the end, in the same transaction;
- values that cannot be real (`loaders.values`) are refused before anything is written, or left
  out and reported when the caller accepts a partial load;
- loads run one at a time (`take_load_lock`): a second import of the same new series waits for
  the first instead of failing on a unique key.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, func, select, update

from datamodel import quality
from datamodel.areas import AreaIndex
from datamodel.coverage import refresh_series_coverage
from datamodel.errors import DataError
from datamodel.loaders.checks import before_compare
from datamodel.loaders.dimensions import ensure_groups, ensure_periods, upsert_series
from datamodel.loaders.screen import screen_missing, screen_values
from datamodel.loaders.values import Issue
from datamodel.schema import ObservationStatus, fact, fact_revision, load_batch

logger = logging.getLogger(__name__)

KEY = ["series_id", "area_id", "group_id", "period_id"]
OBS_COLUMNS = [
    "series_code", "area_code", "period_code", "group_code", "value", "numerator", "denominator", "status",
]
CHUNK = 20_000
SAMPLE_KEYS = 20
LOAD_WAIT_SECONDS = 300  # how long a load waits for another one to finish before "database busy"
LOAD_LOCK_KEY = 0x6B756E74  # PostgreSQL advisory lock taken by every load ("kunt")

ProgressHook = Callable[[int, int], None]
"""Called as `hook(rows_done, rows_total)` after each written chunk (progress bars, tests)."""


@dataclass(frozen=True)
class SeriesMeta:
    """What a loader knows about a series; upserted into `dim_series` by `code`."""

    code: str
    source: str
    source_id: str
    title_fi: str
    licence: str
    attribution: str
    title_sv: str | None = None
    title_en: str | None = None
    description_fi: str | None = None
    description_sv: str | None = None
    description_en: str | None = None
    unit: str | None = None
    decimals: int | None = None
    is_count: bool = False
    category: str | None = None
    source_url: str | None = None
    is_synthetic: bool = False
    source_name: str | None = None  # the publisher in words (own uploads: as the uploader gives it)
    # True: a value of exactly 0 cannot be real (see datamodel.quality); None: the bundled declaration.
    zero_implausible: bool | None = None


@dataclass(frozen=True)
class BatchInfo:
    """Provenance of a load, written to `load_batch`."""

    source: str
    loader: str
    location: str
    licence: str
    attribution: str
    fetched_at: datetime | None = None  # retrieval from the source; None for an upload
    note: str | None = None
    is_synthetic: bool = False
    source_name: str | None = None  # own uploads: the publisher as the uploader gives it
    uploaded_by: str | None = None  # own uploads: the user who uploaded


@dataclass
class LoadResult:
    """What a load did. `skipped` is True when the input was already loaded (nothing written)."""

    batch_id: int | None
    rows_read: int
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    skipped: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    refused: tuple[Issue, ...] = ()  # rows left out of a partial load, and why

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output and logging."""
        return asdict(self)


def checksum_of(parts: Iterable[bytes]) -> str:
    """SHA-256 over the raw input bytes: the identity of an input for idempotent reloads."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def already_loaded(conn: Connection, loader: str, checksum: str) -> int | None:
    """The batch id of an earlier load of the same input by the same loader, if any."""
    stmt = (
        select(load_batch.c.batch_id)
        .where(load_batch.c.loader == loader, load_batch.c.checksum == checksum)
        .limit(1)
    )
    return conn.execute(stmt).scalar()


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    x = pd.to_numeric(a, errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(b, errors="coerce").to_numpy(dtype=float)
    return np.isclose(x, y, rtol=1e-12, atol=0.0, equal_nan=True)


def bulk_insert_facts(conn: Connection, frame: pd.DataFrame, cols: list[str]) -> None:
    """Append rows to `fact_observation` inside the caller's transaction, by the fastest path:
    PostgreSQL `COPY`, else driver-level `executemany` (both far faster than Core dict inserts)."""
    if conn.dialect.name == "postgresql":
        buf = io.StringIO()
        frame[cols].to_csv(buf, index=False, header=False, na_rep="\\N")
        buf.seek(0)
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            sql = f"COPY {fact.name} ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
            with cur.copy(sql) as copy:
                while data := buf.read(1 << 20):
                    copy.write(data)
        return
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {fact.name} ({', '.join(cols)}) VALUES ({', '.join([marker] * len(cols))})"
    conn.exec_driver_sql(sql, _tuples(frame, cols))


BULK_FK_THRESHOLD = 50_000


@contextmanager
def bulk_load(conn: Connection, n_rows: int) -> Iterator[None]:
    """Tune a large load. SQLite: a bigger page cache. PostgreSQL: drop the fact table's foreign keys for the load and add them
    back at the end (PostgreSQL manual, "Populating a Database": one set-based validation instead
    of a trigger call per row and key, about 6x faster here). DDL is transactional in PostgreSQL,
    so a failure anywhere still rolls everything back; re-adding validates every row."""
    if n_rows < BULK_FK_THRESHOLD:
        yield
        return
    if conn.dialect.name == "sqlite":
        # A bigger page cache for the load: index maintenance of a large fact table otherwise
        # re-reads the same B-tree pages from disk over and over.
        previous = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MiB
        try:
            yield
        finally:
            conn.exec_driver_sql(f"PRAGMA cache_size = {int(previous)}")
        return
    if conn.dialect.name != "postgresql":
        yield
        return
    rows = conn.exec_driver_sql(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'fact_observation'::regclass AND contype = 'f' ORDER BY conname"
    ).all()
    for name, _ in rows:
        conn.exec_driver_sql(f'ALTER TABLE fact_observation DROP CONSTRAINT "{name}"')
    yield
    for name, definition in rows:
        conn.exec_driver_sql(f'ALTER TABLE fact_observation ADD CONSTRAINT "{name}" {definition}')


def _tuples(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    """Rows as tuples of Python scalars (None for missing) for `exec_driver_sql` executemany."""
    out = frame[columns].astype(object)
    out = out.where(frame[columns].notna(), None)
    return list(out.itertuples(index=False, name=None))


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """Rows as dicts with Python scalars and None for missing (what DB drivers accept)."""
    out = frame[columns].astype(object).where(frame[columns].notna(), None)
    return out.to_dict("records")


def _complete_columns(observations: pd.DataFrame) -> pd.DataFrame:
    """A copy with every `OBS_COLUMNS` column (status 'ok' where none is given)."""
    obs = observations.copy()
    for col in OBS_COLUMNS:
        if col not in obs.columns:
            obs[col] = None if col != "status" else ObservationStatus.OK.value
    obs["status"] = obs["status"].fillna(ObservationStatus.OK.value)
    return obs


def _check_keys(obs: pd.DataFrame, meta_codes: set[str]) -> None:
    """Every row's series has metadata and no two rows share a key; raises `DataError` otherwise."""
    unknown_series = sorted(set(obs["series_code"]) - meta_codes)
    if unknown_series:
        raise DataError(f"observations for series without metadata: {', '.join(unknown_series[:5])}")
    dupes = obs.duplicated(["series_code", "area_code", "period_code", "group_code"], keep=False)
    if dupes.any():
        sample = obs.loc[dupes, ["series_code", "area_code", "period_code", "group_code"]].head(5)
        keys = ["/".join(map(str, r)) for r in sample.itertuples(index=False)]
        raise DataError(f"{int(dupes.sum())} rows share a key (series/area/period/group), e.g. {', '.join(keys)}")


def load_observations(
    engine: Engine,
    observations: pd.DataFrame,
    metas: Sequence[SeriesMeta],
    batch: BatchInfo,
    *,
    checksum: str,
    rows_rejected: int = 0,
    details: dict[str, Any] | None = None,
    on_progress: ProgressHook | None = None,
    division: int | None = None,
    accept_partial: bool = False,
    source_fields: Mapping[str, str] | None = None,
) -> LoadResult:
    """Write `observations` (columns `OBS_COLUMNS`) as one batch in one transaction.

    Raises `DataError` for unknown areas/series, bad periods or duplicate keys, and for a release
    on another municipal division that cannot be taken as it is (`datamodel.divisions`); the
    database is then unchanged. `division` states the release's division (the year of its
    municipality borders) where detection from the area codes cannot tell. Exceptions raised by
    `on_progress` also roll everything back.

    Values that cannot be real raise `ValuesRefused` naming file, row and field (the optional
    `source_file`/`source_row` columns of `observations`; `source_fields` maps an observation
    field to the source's name for it, e.g. numerator -> absValue), unless `accept_partial`: then
    those rows are left out and listed in `LoadResult.refused`.
    """
    obs = _complete_columns(observations)
    rows_read = len(obs) + rows_rejected
    declared = quality.declared_zero_implausible()
    metas = [m if m.zero_implausible is not None or m.code not in declared else replace(m, zero_implausible=True)
             for m in metas]
    screened = screen_values(obs, metas, location=batch.location, fields=source_fields, accept_partial=accept_partial)
    rows_given = len(obs)
    obs = screened.obs
    _check_keys(obs, {m.code for m in metas})

    with engine.connect() as conn:
        trans = conn.begin()
        try:
            take_load_lock(conn)
            previous = already_loaded(conn, batch.loader, checksum)
            if previous is not None:
                trans.rollback()
                logger.info("input already loaded as batch %s; nothing to do", previous)
                return LoadResult(batch_id=previous, rows_read=rows_read, rows_unchanged=len(obs),
                                  rows_rejected=rows_rejected, skipped=True)
            screened = screen_missing(conn, screened, location=batch.location, accept_partial=accept_partial)
            obs, refused = screened.obs, screened.refused
            result = LoadResult(batch_id=None, rows_read=rows_read, rows_rejected=rows_rejected + rows_given - len(obs),
                                refused=refused)
            if refused:
                details = (details or {}) | {"refused": len(refused),
                                             "refused_sample": [i.render(lang="en") for i in refused[:20]]}
            if obs.empty:
                trans.rollback()
                result.skipped = True
                return result
            outcome = _write(conn, obs, metas, batch, checksum, result, details or {}, on_progress, division)
            if outcome.rows_inserted == 0 and outcome.rows_updated == 0 and not outcome.details.get("moved"):
                # Same values under another checksum (e.g. re-serialised file): record nothing.
                trans.rollback()
                outcome.batch_id = None
                outcome.skipped = True
                return outcome
            trans.commit()
            return outcome
        except BaseException:
            try:
                trans.rollback()
            except Exception:  # noqa: BLE001 - the connection is gone: the server discards the transaction
                logger.debug("rollback failed after a failed load", exc_info=True)
            raise


def take_load_lock(conn: Connection) -> None:
    """Make this transaction the only load running; a second one waits here.

    SQLite: `BEGIN IMMEDIATE` takes the write lock before anything is read, so a waiting load
    later reads what the first one committed (a deferred transaction that read first would fail
    with "database is locked" when it tries to write). PostgreSQL: a transaction-scoped advisory
    lock, bounded by `lock_timeout`. Both wait at most `LOAD_WAIT_SECONDS`."""
    if conn.dialect.name == "sqlite":
        previous = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(LOAD_WAIT_SECONDS * 1000)}")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(previous or 0)}")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(LOAD_WAIT_SECONDS * 1000)}ms'")
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOAD_LOCK_KEY})")


def _write(
    conn: Connection,
    obs: pd.DataFrame,
    metas: Sequence[SeriesMeta],
    batch: BatchInfo,
    checksum: str,
    result: LoadResult,
    details: dict[str, Any],
    on_progress: ProgressHook | None,
    division: int | None = None,
) -> LoadResult:
    areas = AreaIndex.load(conn)
    unknown_areas = sorted(set(obs["area_code"]) - set(areas.by_code))
    if unknown_areas:
        raise DataError(f"unknown area codes: {', '.join(map(str, unknown_areas[:10]))}")
    series_ids = upsert_series(conn, metas)
    period_ids = ensure_periods(conn, obs["period_code"].astype(str))
    group_ids = ensure_groups(conn, obs["group_code"].astype(str))

    obs["series_id"] = obs["series_code"].map(series_ids).astype("int64")
    obs["area_id"] = obs["area_code"].map(areas.by_code).astype("int64")
    obs["period_id"] = obs["period_code"].astype(str).map(period_ids).astype("int64")
    obs["group_id"] = obs["group_code"].astype(str).map(group_ids).astype("int64")

    batch_values = asdict(batch) | {
        "loaded_at": datetime.now(UTC), "checksum": checksum, "rows_read": result.rows_read,
        "rows_rejected": result.rows_rejected,
    }
    batch_id = conn.execute(load_batch.insert().returning(load_batch.c.batch_id), batch_values).scalar_one()
    result.batch_id = batch_id
    ids = {"series": series_ids, "area": areas.by_code, "period": period_ids, "group": group_ids}
    checks = before_compare(conn, obs, metas, areas, ids, batch_id, division)

    existing = _existing_facts(conn, sorted(set(obs["series_id"].tolist())))
    existing = existing.rename(columns={c: f"{c}_old" for c in ("value", "numerator", "denominator", "status", "batch_id")})
    merged = obs.merge(existing, on=KEY, how="left", indicator=True)
    is_new = (merged["_merge"] == "left_only").to_numpy()
    old = merged[~is_new]
    same = (
        _same(old["value"], old["value_old"]) & _same(old["numerator"], old["numerator_old"])
        & _same(old["denominator"], old["denominator_old"])
        & (old["status"].astype(str).to_numpy() == old["status_old"].astype(str).to_numpy())
    )
    changed = old[~same]
    new = merged[is_new]
    total = len(new) + len(changed)
    done = 0

    new = new.assign(batch_id=batch_id)
    cols = KEY + ["value", "numerator", "denominator", "status", "batch_id"]
    with bulk_load(conn, len(new)):
        for start in range(0, len(new), CHUNK):
            bulk_insert_facts(conn, new.iloc[start:start + CHUNK], cols)
            done += min(CHUNK, len(new) - start)
            if on_progress:
                on_progress(done, total)

    if len(changed):
        revisions = pd.DataFrame({
            "series_id": changed["series_id"], "area_id": changed["area_id"],
            "group_id": changed["group_id"], "period_id": changed["period_id"],
            "value": changed["value_old"], "numerator": changed["numerator_old"],
            "denominator": changed["denominator_old"], "status": changed["status_old"],
            "batch_id": changed["batch_id_old"].astype("int64"), "superseded_by_batch_id": batch_id,
        })
        rev_cols = list(revisions.columns)
        upd = pd.DataFrame({
            "b_id": changed["observation_id"].astype("int64"), "b_value": changed["value"],
            "b_numerator": changed["numerator"], "b_denominator": changed["denominator"],
            "b_status": changed["status"], "b_batch": batch_id,
        })
        stmt = (
            update(fact).where(fact.c.observation_id == bindparam("b_id"))
            .values(value=bindparam("b_value"), numerator=bindparam("b_numerator"),
                    denominator=bindparam("b_denominator"), status=bindparam("b_status"),
                    batch_id=bindparam("b_batch"))
        )
        for start in range(0, len(changed), CHUNK):
            conn.execute(fact_revision.insert(), _records(revisions.iloc[start:start + CHUNK], rev_cols))
            conn.execute(stmt, _records(upd.iloc[start:start + CHUNK], list(upd.columns)))
            done += min(CHUNK, len(changed) - start)
            if on_progress:
                on_progress(done, total)

    result.rows_inserted = len(new)
    result.rows_updated = len(changed)
    result.rows_unchanged = len(old) - len(changed)
    years_added = sorted({int(str(p)[:4]) for p in new["period_code"].unique()}) if len(new) else []
    result.details = details | checks | {
        "series": len(series_ids),
        "inserted": result.rows_inserted,
        "revised": result.rows_updated,
        "unchanged": result.rows_unchanged,
        "rejected": result.rows_rejected,
        "years_added": years_added,
        "revised_sample": [
            f"{r.series_code}|{r.area_code}|{r.period_code}|{r.group_code}: {r.value_old} -> {r.value}"
            for r in changed.head(SAMPLE_KEYS).itertuples(index=False)
        ],
    }
    conn.execute(
        load_batch.update().where(load_batch.c.batch_id == batch_id).values(
            rows_inserted=result.rows_inserted, rows_updated=result.rows_updated,
            rows_unchanged=result.rows_unchanged, details=result.details,
        )
    )
    # Same transaction: the per-series summary is exactly as current as the facts (or rolled back with them).
    refresh_series_coverage(conn, series_ids.values())
    logger.info("batch %s: %d inserted, %d revised, %d unchanged", batch_id, len(new), len(changed), result.rows_unchanged)
    return result


def _existing_facts(conn: Connection, series_ids: list[int]) -> pd.DataFrame:
    cols = [fact.c.observation_id, *(fact.c[k] for k in KEY), fact.c.value, fact.c.numerator,
            fact.c.denominator, fact.c.status, fact.c.batch_id]
    frames = []
    for start in range(0, len(series_ids), 200):
        chunk = series_ids[start:start + 200]
        rows = conn.execute(select(*cols).where(fact.c.series_id.in_(chunk))).all()
        frames.append(pd.DataFrame(rows, columns=[c.name for c in cols]))
    if not frames:
        return pd.DataFrame(columns=[c.name for c in cols])
    out = pd.concat(frames, ignore_index=True)
    for k in KEY:
        out[k] = out[k].astype("int64")
    return out


def count_rows(conn: Connection) -> dict[str, int]:
    """Row counts of every star-schema table (doctor, tests)."""
    from datamodel.schema import Base

    return {
        name: conn.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in sorted(Base.metadata.tables.items())
    }
