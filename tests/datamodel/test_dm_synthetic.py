"""Synthetic generator: deterministic, flagged as synthetic, noisy, idempotent (both backends)."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, select

from datamodel.schema import fact, load_batch, series
from datamodel.synthetic import SyntheticSpec, generate_frame, load_synthetic


def test_generate_frame_is_deterministic_and_not_linear() -> None:
    spec = SyntheticSpec(n_series=2, n_years=25, seed=7)
    args = (np.arange(1, 11), np.arange(1, 26), np.array([1, 2, 3]), np.array([100, 200]))
    a = generate_frame(spec, *args, series_index=1)
    b = generate_frame(spec, *args, series_index=1)
    c = generate_frame(SyntheticSpec(n_series=2, seed=8), *args, series_index=1)
    assert a.equals(b) and not a["value"].equals(c["value"])
    assert len(a) == 10 * 25 * 3 and set(a["series_id"]) == {200}
    one = a[(a.area_id == 1) & (a.group_id == 1)].sort_values("period_id")["value"].to_numpy()
    residual = one - np.polyval(np.polyfit(np.arange(25), one, 1), np.arange(25))
    assert np.abs(residual).max() > 1e-6  # not an exact line (Prophet's slow path)


def test_load_synthetic_small(db_engine) -> None:
    spec = SyntheticSpec(n_series=3, n_years=4, seed=1)
    result = load_synthetic(db_engine, spec)
    with db_engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(fact)).scalar_one()
        flags = conn.execute(select(series.c.is_synthetic, series.c.title_en).where(series.c.code == "synthetic:2")).one()
        batch = conn.execute(select(load_batch.c.is_synthetic, load_batch.c.rows_inserted)).one()
    assert result.rows == n == 308 * 4 * 3 * 3  # municipalities valid today x years x genders x series
    assert tuple(flags) == (True, "Synthetic series 2")
    assert tuple(batch) == (True, n)
    assert load_synthetic(db_engine, spec).skipped
