"""Checks the write path makes before comparing a release with the stored facts.

Kept apart from `loaders.core` (the transaction and the revision mechanics): implausible zeros
become missing values (`datamodel.quality`), and each series' municipal division is decided,
re-basing rows on older borders (`datamodel.divisions`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from datamodel import divisions, quality
from datamodel.areas import AreaIndex

logger = logging.getLogger(__name__)


def before_compare(
    conn: Connection,
    obs: pd.DataFrame,
    metas: Sequence[Any],
    areas: AreaIndex,
    ids: dict[str, Any],
    batch_id: int,
    division: int | None,
) -> dict[str, Any]:
    """Before the facts are compared: implausible zeros become missing values (`datamodel.quality`)
    and each series' municipal division is decided, re-basing older rows (`datamodel.divisions`).
    Returns what goes into the batch's `details` (flag count, division changes, rows moved)."""
    zero_series = {m.code for m in metas if m.zero_implausible}
    flagged = quality.flag_implausible_zeros(obs, areas, zero_series)
    n_flagged = quality.store_issues(conn, flagged, ids, batch_id)

    rows = list(areas.rows.values())
    merges = divisions.merges_of(rows)
    stored = divisions.stored_divisions(conn, ids["series"])
    names = {code: str(row["name_fi"]) for code, row in areas.rows.items()}
    kinds = obs["area_code"].map(lambda c: areas.rows[c]["area_type"])
    munis = obs[(kinds == "kunta").to_numpy()].assign(year=lambda f: f["period_code"].astype(str).str[:4].astype(int))
    counts = divisions.municipalities_per_division(rows, range(divisions.BASE_DIVISION, 2101))
    decisions = []
    for code, part in munis.groupby("series_code", sort=True):
        wanted = divisions.decide(str(code), part, merges, stored.get(str(code)), division, counts, names)
        decision = divisions.SeriesDivision(str(code), wanted, stored.get(str(code)))
        if decision.previous is not None and wanted > decision.previous:
            divisions.rebase(conn, decision, ids["series"][str(code)], part, merges, areas.by_code, batch_id)
        decisions.append(decision)
    divisions.record(conn, ids["series"], decisions)
    changes = [d.as_dict() for d in decisions if d.previous is not None and d.division != d.previous]
    out: dict[str, Any] = {"implausible_zeros": n_flagged, "moved": sum(d.moved for d in decisions)}
    if changes:
        out["divisions"] = changes
        logger.info("batch %s re-based %d series to newer municipal borders", batch_id, len(changes))
    return out
