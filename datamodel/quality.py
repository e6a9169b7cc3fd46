"""Data-quality checks made at load time, and the list the data status page shows.

Implausible zeros: some sources write 0 where a figure is missing (THL Sotkanet's Kainuu 2005
social-assistance cost: 0.0 for 8 of 9 municipalities and a regional 61 EUR per inhabitant).
Summed or averaged, such zeros pull totals down as if they were real. A series declares that 0
cannot be real for it (`dim_series.zero_implausible`; the bundled sources' declarations are in
`data/implausible_zeros.csv`, own uploads say so when uploaded), and then, in a year where most
member municipalities of a region report exactly 0, those zeros (and the region's own 0) are
stored as missing values (`status='missing'`) with a `data_quality_issue` row that keeps the 0
as the source gave it. A lone 0 among real figures is left alone: it may be a true small value.

`quality_notes(engine)` lists these warnings together with the municipal-division changes the
loaders recorded (merged municipalities whose rows moved to revisions, successors whose history
a release revised, breaks in series), newest load first.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from datamodel.areas import DATA_DIR, AreaIndex
from datamodel.schema import AreaType, area, load_batch, period, quality_issue, series

ZERO_RULES_FILE = DATA_DIR / "implausible_zeros.csv"
KIND_ZERO = "implausible_zero"
NOTE_COLUMNS = ["kind", "batch_id", "loaded_at", "series_code", "area_codes", "periods", "count", "detail"]
# Kinds of note, in the order the data status page lists them.
NOTE_KINDS = (KIND_ZERO, "merged", "revised", "series_break")


@lru_cache(maxsize=1)
def declared_zero_implausible() -> dict[str, str]:
    """Series code -> why 0 cannot be real for it (the bundled declarations)."""
    with ZERO_RULES_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["series_code"]: row["why"] for row in csv.DictReader(handle)}


def flag_implausible_zeros(obs: pd.DataFrame, areas: AreaIndex, series_codes: set[str]) -> pd.DataFrame:
    """Find the implausible zeros of `obs` (OBS_COLUMNS) and turn them into missing values in place.

    Returns one row per flagged observation: `series_code, area_code, period_code, group_code,
    value, detail`. Only series in `series_codes` are checked.
    """
    empty = pd.DataFrame(columns=["series_code", "area_code", "period_code", "group_code", "value", "detail"])
    if not series_codes or obs.empty:
        return empty
    candidates = obs["series_code"].isin(series_codes).to_numpy()
    if not candidates.any():
        return empty
    part = obs.loc[candidates, ["series_code", "area_code", "period_code", "group_code", "value"]]
    kinds = part["area_code"].map(lambda c: areas.rows[c]["area_type"] if c in areas.rows else None)
    munis = part[(kinds == AreaType.MUNICIPALITY.value).to_numpy()].copy()
    if munis.empty:
        return empty
    munis["region"] = munis["area_code"].map(lambda c: areas.rows[c]["region_code"])
    munis["has"] = munis["value"].notna()
    munis["zero"] = munis["value"].eq(0.0).fillna(False)
    keys = ["series_code", "group_code", "period_code", "region"]
    tally = munis.groupby(keys, dropna=True)[["has", "zero"]].sum().reset_index()
    bad = tally[(tally["zero"] >= 2) & (tally["zero"] * 2 > tally["has"])]
    if bad.empty:
        return empty
    words = {tuple(r[k] for k in keys): f"0 reported by {int(r['zero'])} of {int(r['has'])} municipalities of {r['region']}"
             for r in bad.to_dict("records")}
    flagged_idx: list[Any] = []
    details: list[str] = []
    for idx, row in munis[munis["zero"]].iterrows():
        key = (row["series_code"], row["group_code"], row["period_code"], row["region"])
        if key in words:
            flagged_idx.append(idx)
            details.append(words[key])
    # The region's own 0 in such a year is the same gap, aggregated by the source.
    for idx, row in part[(kinds == AreaType.REGION.value).to_numpy() & part["value"].eq(0.0).fillna(False).to_numpy()].iterrows():
        key = (row["series_code"], row["group_code"], row["period_code"], row["area_code"])
        if key in words:
            flagged_idx.append(idx)
            details.append(words[key])
    flagged = obs.loc[flagged_idx, ["series_code", "area_code", "period_code", "group_code", "value"]].copy()
    flagged["detail"] = details
    obs.loc[flagged_idx, "value"] = np.nan
    obs.loc[flagged_idx, "status"] = "missing"
    return flagged.reset_index(drop=True)


def store_issues(conn: Any, flagged: pd.DataFrame, ids: Mapping[str, Mapping[Any, int]], batch_id: int) -> int:
    """Write flagged observations as `data_quality_issue` rows of `batch_id`; returns how many."""
    if flagged.empty:
        return 0
    rows = [
        {"batch_id": batch_id, "series_id": ids["series"][r.series_code], "area_id": ids["area"][r.area_code],
         "period_id": ids["period"][str(r.period_code)], "group_id": ids["group"][str(r.group_code)],
         "kind": KIND_ZERO, "value": float(r.value), "detail": r.detail}
        for r in flagged.itertuples(index=False)
    ]
    conn.execute(quality_issue.insert(), rows)
    return len(rows)


def _zero_notes(conn: Any) -> list[dict[str, Any]]:
    stmt = (
        select(quality_issue.c.batch_id, load_batch.c.loaded_at, series.c.code.label("series_code"),
               area.c.code.label("area_code"), period.c.code.label("period"), quality_issue.c.detail)
        .select_from(
            quality_issue.join(load_batch, load_batch.c.batch_id == quality_issue.c.batch_id)
            .join(series, series.c.series_id == quality_issue.c.series_id)
            .join(area, area.c.area_id == quality_issue.c.area_id)
            .join(period, period.c.period_id == quality_issue.c.period_id)
        )
        .where(quality_issue.c.kind == KIND_ZERO)
    )
    groups: dict[tuple, dict[str, Any]] = {}
    for row in conn.execute(stmt):
        key = (row.batch_id, row.series_code, row.period, row.detail)
        note = groups.setdefault(key, {
            "kind": KIND_ZERO, "batch_id": row.batch_id, "loaded_at": row.loaded_at, "series_code": row.series_code,
            "area_codes": [], "periods": (row.period,), "count": 0, "detail": row.detail,
        })
        note["area_codes"].append(row.area_code)
        note["count"] += 1
    return list(groups.values())


def _division_notes(conn: Any) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = []
    rows = conn.execute(select(load_batch.c.batch_id, load_batch.c.loaded_at, load_batch.c.details)).all()
    for batch_id, loaded_at, details in rows:
        for d in (details or {}).get("divisions", []) if isinstance(details, dict) else []:
            base = {"batch_id": batch_id, "loaded_at": loaded_at, "series_code": d.get("series")}
            where = f"division {d.get('previous')} -> {d.get('division')}"
            if d.get("merged"):
                notes.append(base | {"kind": "merged", "area_codes": list(d["merged"]), "periods": (),
                                     "count": len(d["merged"]), "detail": where})
            if d.get("revised"):
                notes.append(base | {"kind": "revised", "area_codes": list(d["revised"]), "periods": (),
                                     "count": len(d["revised"]), "detail": where})
            for code, years in sorted((d.get("breaks") or {}).items()):
                notes.append(base | {"kind": "series_break", "area_codes": [code],
                                     "periods": tuple(str(y) for y in years), "count": len(years), "detail": where})
    return notes


def quality_notes(engine: Engine) -> pd.DataFrame:
    """Data-quality warnings and division changes, one row per note (columns `NOTE_COLUMNS`).

    `kind` is one of `NOTE_KINDS`; `area_codes` a tuple of area codes, `periods` a tuple of period
    codes (empty when the note is not about particular periods), `detail` a short English
    explanation for logs (pages translate `kind` instead).
    """
    with engine.connect() as conn:
        notes = _zero_notes(conn) + _division_notes(conn)
    if not notes:
        return pd.DataFrame(columns=NOTE_COLUMNS)
    df = pd.DataFrame(notes, columns=NOTE_COLUMNS)
    df["area_codes"] = df["area_codes"].map(lambda codes: tuple(sorted(codes)))
    df["order"] = df["kind"].map({k: i for i, k in enumerate(NOTE_KINDS)})
    df = df.sort_values(["batch_id", "order", "series_code"], ascending=[False, True, True])
    return df.drop(columns=["order"]).reset_index(drop=True)
