"""Apply the value checks (`loaders.values`) on the write path: refuse, or leave rows out.

`loaders.core.load_observations` calls `screen_values` before its transaction and
`screen_missing` inside it (that check compares with the stored facts). Without
`accept_partial` any finding raises `ValuesRefused`, naming file, row and field, and nothing is
written; with it the offending rows are left out and returned as `Issue`s for the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, select

from datamodel.errors import DataError, ValuesRefused
from datamodel.loaders.values import (
    SOURCE_FILE,
    SOURCE_ROW,
    WHERE_COLUMNS,
    Finding,
    Issue,
    check_observations,
    missing_replacing,
)
from datamodel.periods import parse_period
from datamodel.schema import area, fact, group, period, series

KEY_CODES = ["series_code", "area_code", "period_code", "group_code"]


@dataclass(frozen=True)
class Screened:
    """Rows that passed, where each row came from (same index), and the rows left out."""

    obs: pd.DataFrame
    where: pd.DataFrame
    refused: tuple[Issue, ...]


def _issue(finding: Finding, obs: pd.DataFrame, where: pd.DataFrame, location: str,
           fields: Mapping[str, str]) -> Issue:
    params = dict(finding.params)
    if finding.position is None:  # the series' metadata
        return Issue(finding.code, None, finding.field, finding.value, params, location)
    row = where.iloc[finding.position]
    file = str(row[SOURCE_FILE]) if pd.notna(row.get(SOURCE_FILE)) else location
    label: Any = row.get(SOURCE_ROW)
    if label is None or (isinstance(label, float) and pd.isna(label)):
        label = "|".join(str(obs[c].iloc[finding.position]) for c in KEY_CODES)
    return Issue(finding.code, label, fields.get(finding.field, finding.field), finding.value, params, file)


def _refuse(issues: Sequence[Issue]) -> ValuesRefused:
    shown = "; ".join(i.render(lang="en") for i in issues[:3])
    more = f" (+{len(issues) - 3} more)" if len(issues) > 3 else ""
    return ValuesRefused(
        f"{shown}{more}; nothing loaded (fix the source, or load anyway without these rows: --accept-partial)",
        tuple(issues),
    )


def _drop(obs: pd.DataFrame, where: pd.DataFrame, findings: Sequence[Finding]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leave out the rows of the findings; a finding on a series (metadata, a release missing
    throughout) leaves out the whole series."""
    positions = {f.position for f in findings if f.position is not None and "series" not in f.params}
    whole = {str(f.params["series"]) for f in findings if "series" in f.params}
    keep = ~obs["series_code"].astype(str).isin(whole).to_numpy()
    for pos in positions:
        keep[pos] = False
    return obs[keep].reset_index(drop=True), where[keep].reset_index(drop=True)


def screen_values(obs: pd.DataFrame, metas: Sequence[Any], *, location: str, fields: Mapping[str, str] | None,
                  accept_partial: bool) -> Screened:
    """Split off the where-columns and check every value; raise or leave rows out."""
    obs = obs.reset_index(drop=True)
    findings = check_observations(obs, metas)  # reads the source_nonfinite marks
    where = pd.DataFrame({c: obs[c] if c in obs.columns else None for c in WHERE_COLUMNS}, index=obs.index)
    obs = obs.drop(columns=[c for c in WHERE_COLUMNS if c in obs.columns])
    issues = tuple(_issue(f, obs, where, location, fields or {}) for f in findings)
    if issues and not accept_partial:
        raise _refuse(issues)
    if findings:
        obs, where = _drop(obs, where, findings)
    return Screened(obs, where, issues)


def _stored_values(conn: Connection, obs: pd.DataFrame, codes: list[str]) -> pd.Series:
    """The stored value (or numerator) of each row's key for the given series; NaN where none."""
    stmt = (
        select(series.c.code.label("series_code"), area.c.code.label("area_code"),
               period.c.code.label("period_code"), group.c.code.label("group_code"),
               func.coalesce(fact.c.value, fact.c.numerator).label("stored"))
        .join(series, series.c.series_id == fact.c.series_id).join(area, area.c.area_id == fact.c.area_id)
        .join(period, period.c.period_id == fact.c.period_id).join(group, group.c.group_id == fact.c.group_id)
        .where(series.c.code.in_(codes))
    )
    stored = pd.DataFrame(conn.execute(stmt).all(), columns=[*KEY_CODES, "stored"])
    keys = obs[KEY_CODES].astype(str).copy()
    keys["period_code"] = keys["period_code"].map(_canonical)
    merged = keys.merge(stored.drop_duplicates(KEY_CODES), on=KEY_CODES, how="left")
    return pd.Series(pd.to_numeric(merged["stored"], errors="coerce").to_numpy(), index=obs.index)


def _canonical(code: str) -> str:
    try:
        return parse_period(code).code
    except DataError:  # a bad period is reported by the write path
        return code


def screen_missing(conn: Connection, screened: Screened, *, location: str, accept_partial: bool) -> Screened:
    """Refuse a series whose release is missing throughout while values of the same keys are stored."""
    obs = screened.obs
    if obs.empty:
        return screened
    values = pd.to_numeric(obs["value"], errors="coerce")
    numerators = pd.to_numeric(obs["numerator"], errors="coerce")
    holds = (values.notna() | numerators.notna()).groupby(obs["series_code"]).any()
    empty_series = sorted(str(c) for c in holds.index[~holds.to_numpy()])
    if not empty_series:
        return screened
    part = obs["series_code"].astype(str).isin(empty_series).to_numpy()
    stored = pd.Series(float("nan"), index=obs.index)
    stored[part] = _stored_values(conn, obs[part], empty_series).to_numpy()
    findings = missing_replacing(obs, stored)
    if not findings:
        return screened
    issues = tuple(_issue(f, obs, screened.where, location, {}) for f in findings)
    if not accept_partial:
        raise _refuse(issues)
    kept, where = _drop(obs, screened.where, findings)
    return Screened(kept, where, screened.refused + issues)
