"""Dimension rows the write path needs (series, periods, groups), created race-safely.

Two imports that create the same new series, period or group at once must both succeed: rows
are inserted with `ON CONFLICT DO NOTHING` and the ids selected afterwards, so each import sees
the row whichever inserted it. (Whole loads are also serialised, see
`loaders.core.take_load_lock`; these helpers are safe on their own for other writers.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, insert, select

from datamodel.errors import DataError
from datamodel.periods import parse_period
from datamodel.schema import group, period, series

if TYPE_CHECKING:
    from datamodel.loaders.core import SeriesMeta


def parse_group_code(code: str) -> tuple[str, str]:
    """'total' -> ('total', 'all'); 'female:75-' -> ('female', '75-')."""
    gender, _, age = str(code).partition(":")
    gender = gender.strip().lower()
    if gender not in ("total", "male", "female"):
        raise DataError(f"unknown group {code!r} (expected total, male or female)")
    return gender, (age.strip() or "all")


def group_code(gender: str, age_band: str = "all") -> str:
    """The `dim_group.code` for a gender and age band."""
    return gender if age_band == "all" else f"{gender}:{age_band}"


def insert_new(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert dimension rows, skipping any another transaction inserted meanwhile.

    `INSERT ... ON CONFLICT DO NOTHING` (SQLite and PostgreSQL): two imports creating the same new
    series or period at once both succeed instead of one failing on the unique key; the caller
    selects the ids afterwards, so it sees the row whoever inserted it."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        conn.execute(insert(table), rows)
        return
    conn.execute(dialect_insert(table).on_conflict_do_nothing(), rows)


def upsert_series(conn: Connection, metas: Sequence[SeriesMeta]) -> dict[str, int]:
    """Insert new series, refresh metadata of known ones; returns code -> series_id."""
    codes = [m.code for m in metas]
    existing: dict[str, dict[str, Any]] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start:start + 500]
        for row in conn.execute(select(series).where(series.c.code.in_(chunk))).mappings():
            existing[row["code"]] = dict(row)
    inserts = []
    for meta in metas:
        values = asdict(meta)
        current = existing.get(meta.code)
        if current is None:
            inserts.append(values)
            continue
        # Keep richer metadata already present (e.g. titles from the metadata endpoint).
        diff = {k: v for k, v in values.items() if v is not None and current.get(k) != v}
        if diff:
            conn.execute(series.update().where(series.c.series_id == current["series_id"]).values(**diff))
    if inserts:
        insert_new(conn, series, inserts)
    ids: dict[str, int] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start:start + 500]
        for code, sid in conn.execute(select(series.c.code, series.c.series_id).where(series.c.code.in_(chunk))):
            ids[code] = sid
    return ids


def ensure_periods(conn: Connection, codes: Iterable[str]) -> dict[str, int]:
    """Insert missing periods; returns canonical code -> period_id for every code given."""
    parsed = {code: parse_period(code) for code in set(codes)}
    known = dict(conn.execute(select(period.c.code, period.c.period_id)).all())
    missing = [
        {"code": p.code, "grain": p.grain, "year": p.year, "quarter": p.quarter, "month": p.month}
        for p in {p.code: p for p in parsed.values()}.values()
        if p.code not in known
    ]
    if missing:
        insert_new(conn, period, sorted(missing, key=lambda r: r["code"]))
        known = dict(conn.execute(select(period.c.code, period.c.period_id)).all())
    return {raw: known[p.code] for raw, p in parsed.items()}


def ensure_groups(conn: Connection, codes: Iterable[str]) -> dict[str, int]:
    """Insert missing groups; returns code -> group_id."""
    wanted = {code: parse_group_code(code) for code in set(codes)}
    known = {(g, a): gid for g, a, gid in conn.execute(select(group.c.gender, group.c.age_band, group.c.group_id))}
    missing = [
        {"code": group_code(g, a), "gender": g, "age_band": a}
        for g, a in sorted(set(wanted.values())) if (g, a) not in known
    ]
    if missing:
        insert_new(conn, group, missing)
        known = {(g, a): gid for g, a, gid in conn.execute(select(group.c.gender, group.c.age_band, group.c.group_id))}
    return {code: known[ga] for code, ga in wanted.items()}
