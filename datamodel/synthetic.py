"""Seeded synthetic national-scale data for benchmarks and load tests.

All municipalities in `dim_area` (valid ones: ~308) x N series x 25 years x 3 genders (~11.5 M
facts at full scale). Series are `synthetic:<n>`, flagged `is_synthetic` on the series and the
batch, titled as synthetic, and noisy (a trend plus seeded noise) so forecasting benchmarks do
not hit Prophet's slow path on exactly linear series. Same seed, same numbers.

Bulk paths, not ORM rows: PostgreSQL `COPY`, SQLite `executemany` on the raw DB-API cursor.
(The benchmark loads the same frames into DuckDB itself, for the comparison in the docs.)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from datamodel.areas import sync_areas
from datamodel.coverage import refresh_series_coverage
from datamodel.divisions import BASE_DIVISION
from datamodel.errors import ConfigError
from datamodel.loaders.core import already_loaded, bulk_insert_facts, bulk_load, checksum_of, ensure_groups, ensure_periods
from datamodel.schema import AreaType, area, load_batch, series

logger = logging.getLogger(__name__)

LOADER = "synthetic"
LICENCE = "synthetic (no source)"
ATTRIBUTION = "Synteettinen testiaineisto / synthetic test data"
GENDERS = ("total", "male", "female")


@dataclass(frozen=True)
class SyntheticSpec:
    """Size and seed of a synthetic data set; `scale` multiplies the number of series."""

    n_series: int = 500
    first_year: int = 2000
    n_years: int = 25
    seed: int = 20261123

    @classmethod
    def scaled(cls, scale: float, seed: int = 20261123) -> SyntheticSpec:
        """`scale=1` is the national-scale set (500 series); `scale=0.1` has 50."""
        if not 0 < scale <= 10:
            raise ConfigError(f"scale must be in (0, 10], got {scale}")
        return cls(n_series=max(1, round(500 * scale)), seed=seed)


@dataclass(frozen=True)
class SyntheticResult:
    batch_id: int | None
    rows: int
    seconds: float
    skipped: bool


def generate_frame(spec: SyntheticSpec, area_ids: np.ndarray, period_ids: np.ndarray, group_ids: np.ndarray,
                   series_ids: np.ndarray, series_index: int) -> pd.DataFrame:
    """Facts of one series (all areas x years x genders); deterministic given the seed and index."""
    rng = np.random.default_rng([spec.seed, series_index])
    n_a, n_y, n_g = len(area_ids), len(period_ids), len(group_ids)
    level = rng.uniform(5, 500) * rng.lognormal(0, 0.3, size=n_a)
    slope = rng.normal(0, 0.02, size=n_a)
    t = np.arange(n_y)
    base = level[:, None] * (1 + slope[:, None] * t[None, :])
    noise = rng.normal(0, 0.03, size=(n_a, n_y, n_g))
    gender_factor = np.array([1.0, 1.04, 0.96])[:n_g]
    values = np.round(base[:, :, None] * gender_factor[None, None, :] * (1 + noise), 3)
    return pd.DataFrame({
        "area_id": np.repeat(area_ids, n_y * n_g),
        "series_id": np.full(n_a * n_y * n_g, series_ids[series_index]),
        "group_id": np.tile(group_ids, n_a * n_y),
        "period_id": np.tile(np.repeat(period_ids, n_g), n_a),
        "value": values.reshape(-1),
    })


def load_synthetic(
    engine: Engine, spec: SyntheticSpec, *, on_progress: Callable[[int, int], None] | None = None
) -> SyntheticResult:
    """Generate and bulk-load the data set in one transaction (a no-op if already loaded)."""
    checksum = checksum_of([repr(spec).encode()])
    start = time.perf_counter()
    dialect = engine.dialect.name
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            previous = already_loaded(conn, LOADER, checksum)
            if previous is not None:
                trans.rollback()
                return SyntheticResult(previous, 0, 0.0, True)
            if conn.execute(select(func.count()).select_from(area)).scalar_one() == 0:
                sync_areas(conn)
            area_ids = np.array(sorted(conn.execute(
                select(area.c.area_id).where(area.c.area_type == AreaType.MUNICIPALITY.value, area.c.valid_to.is_(None))
            ).scalars()), dtype=np.int64)
            # The values are made for today's municipalities, so the series are on the newest division.
            last_merger = conn.execute(select(func.max(area.c.valid_to)).where(area.c.area_type == AreaType.MUNICIPALITY.value)).scalar()
            division = int(last_merger) + 1 if last_merger is not None else BASE_DIVISION
            years = [str(spec.first_year + i) for i in range(spec.n_years)]
            pmap = ensure_periods(conn, years)
            gmap = ensure_groups(conn, GENDERS)
            period_ids = np.array([pmap[y] for y in years], dtype=np.int64)
            group_ids = np.array([gmap[g] for g in GENDERS], dtype=np.int64)
            codes = [f"synthetic:{n}" for n in range(1, spec.n_series + 1)]
            existing = set(conn.execute(select(series.c.code).where(series.c.code.like("synthetic:%"))).scalars())
            new_series = [
                {"code": c, "source": "synthetic", "source_id": c.split(":")[1],
                 "title_fi": f"Synteettinen sarja {c.split(':')[1]}", "title_sv": f"Syntetisk serie {c.split(':')[1]}",
                 "title_en": f"Synthetic series {c.split(':')[1]}", "unit": "synthetic", "decimals": 1,
                 "is_count": False, "licence": LICENCE, "attribution": ATTRIBUTION, "is_synthetic": True,
                 "division": division}
                for c in codes if c not in existing
            ]
            if new_series:
                conn.execute(series.insert(), new_series)
            sid = dict(conn.execute(select(series.c.code, series.c.series_id).where(series.c.code.like("synthetic:%"))).all())
            series_ids = np.array([sid[c] for c in codes], dtype=np.int64)
            total = len(area_ids) * spec.n_years * len(GENDERS) * spec.n_series
            batch_id = conn.execute(load_batch.insert().returning(load_batch.c.batch_id), {
                "source": "synthetic", "loader": LOADER, "location": f"seed {spec.seed}",
                "loaded_at": datetime.now(UTC), "licence": LICENCE, "attribution": ATTRIBUTION,
                "checksum": checksum, "rows_read": total, "is_synthetic": True,
                "note": f"{spec.n_series} series x {len(area_ids)} municipalities x {spec.n_years} years x 3 genders",
            }).scalar_one()
            done = 0
            per_chunk = max(1, 200_000 // (len(area_ids) * spec.n_years * len(GENDERS)))
            with bulk_load(conn, total):
                for first in range(0, spec.n_series, per_chunk):
                    frames = [generate_frame(spec, area_ids, period_ids, group_ids, series_ids, i)
                              for i in range(first, min(first + per_chunk, spec.n_series))]
                    chunk = pd.concat(frames, ignore_index=True)
                    chunk["status"] = "ok"
                    chunk["batch_id"] = batch_id
                    bulk_insert_facts(conn, chunk, COLUMNS)
                    done += len(chunk)
                    if on_progress:
                        on_progress(done, total)
            conn.execute(load_batch.update().where(load_batch.c.batch_id == batch_id).values(
                rows_inserted=done, details={"series": spec.n_series, "rows": done, "seed": spec.seed}))
            refresh_series_coverage(conn, series_ids.tolist())
            trans.commit()
        except BaseException:
            trans.rollback()
            raise
    seconds = time.perf_counter() - start
    logger.info("synthetic: %d rows in %.1f s (%.0f rows/s) on %s", done, seconds, done / seconds, dialect)
    return SyntheticResult(batch_id, done, seconds, False)


COLUMNS = ["area_id", "series_id", "group_id", "period_id", "value", "status", "batch_id"]
