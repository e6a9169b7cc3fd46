"""Municipal divisions: which municipality borders a release is on, and re-basing a series to newer ones.

Municipalities merge (Juankoski into Kuopio in 2017, ...). A statistics release is published on
one *division*, named by the year whose borders it uses: on the 2013 division Kuopio's 2011
population is that of Kuopio's 2013 area and Juankoski has rows of its own; on the 2021 division
Kuopio's 2011 figure already includes Juankoski, and Juankoski has no rows. Loading the second
release on top of the first without care counts Juankoski twice in every total.

Rules kept here (the loader calls them inside its transaction):

* a release's division is detected from its area codes and the merger table in `dim_area`
  (`valid_to` = last year of a merged municipality, `successor_code`): a successor present in a
  year before a merger while the merged municipality is absent means the newer borders; a merged
  municipality present before its merger means borders from before it;
* each series remembers the division of its history (`dim_series.division`, null = `BASE_DIVISION`);
* a release on newer borders re-bases the series: for every merger in between, the merged
  municipality's rows and the successor's rows for years the release does not cover move to
  `fact_observation_revision` (superseded by the new batch; nothing is lost, nothing is counted
  twice); the successor's covered rows are revised by the ordinary revision path;
* a release on older borders than the stored series, or mixing divisions, is refused with a
  message saying what to do; so is a re-base asked by a release that covers under half of the
  municipalities (it cannot tell "newer borders" from "not included"): pass `division=` then.

The metric layer reads `dim_series.division` and never mixes divisions in a value (see
`metrics.areas`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, delete, select, update

from datamodel.errors import DataError
from datamodel.schema import AreaType, fact, fact_revision, period, series

# The division of the bundled area list (the 320 municipalities of 2013); every series loaded
# before divisions were recorded is on it.
BASE_DIVISION = 2013
# A release must hold at least this share of the municipalities of its division before it may
# re-base a series on its own evidence (otherwise a missing municipality may just be left out).
MIN_SHARE_FOR_DETECTION = 0.5


@dataclass(frozen=True)
class Merge:
    """A municipality that ceased to exist after `last_year`, merged into `successor`."""

    merged: str
    last_year: int
    successor: str


def merges_of(rows: Iterable[Mapping[str, Any]]) -> list[Merge]:
    """The mergers recorded in `dim_area`-shaped rows (municipalities with `valid_to` and a successor)."""
    out = []
    for row in rows:
        if row["area_type"] == AreaType.MUNICIPALITY.value and row.get("valid_to") is not None and row.get("successor_code"):
            out.append(Merge(str(row["code"]), int(row["valid_to"]), str(row["successor_code"])))
    return sorted(out, key=lambda m: (m.last_year, m.merged))


def exists_on(row: Mapping[str, Any], division: int) -> bool:
    """Whether an area row is part of the given division (valid_from <= division <= valid_to)."""
    valid_to = row.get("valid_to")
    return int(row.get("valid_from") or 0) <= division and (valid_to is None or int(valid_to) >= division)


@dataclass
class SeriesDivision:
    """What the loader decided for one series of a release."""

    series_code: str
    division: int  # the division the series is on after the load
    previous: int | None  # stored before the load (None: a new series)
    merged: list[str] = field(default_factory=list)  # merged municipalities whose rows moved to revisions
    revised: list[str] = field(default_factory=list)  # successors whose history the release replaces
    breaks: dict[str, list[int]] = field(default_factory=dict)  # successor -> years without a value on the new borders
    moved: int = 0  # fact rows moved to revisions by the re-base

    def as_dict(self) -> dict[str, Any]:
        return {"series": self.series_code, "division": self.division, "previous": self.previous,
                "merged": self.merged, "revised": self.revised, "breaks": self.breaks, "moved": self.moved}


def _name(code: str, names: Mapping[str, str]) -> str:
    return f"{names.get(code, code)} ({code})"


def detect(obs: pd.DataFrame, merges: list[Merge]) -> tuple[int | None, int | None, list[str]]:
    """(lowest, highest) division consistent with a release's municipal rows, and the evidence.

    `obs` needs `area_code` and `year`. Highest (certain): the earliest merger year of a merged
    municipality that still has rows of its own before its merger. Lowest (a sign only): one year
    after the latest merger whose merged municipality has no row at all while its successor has
    rows from before the merger; sparse series leave small municipalities out, so absence alone
    is weighed with the release's coverage by `decide`. None = no evidence either way.
    """
    years: dict[str, set[int]] = {}
    for code, year in zip(obs["area_code"].astype(str), obs["year"].astype(int), strict=True):
        years.setdefault(code, set()).add(year)
    lo: int | None = None
    hi: int | None = None
    evidence: list[str] = []
    for m in merges:
        merged_years = years.get(m.merged, set())
        successor_years = {y for y in years.get(m.successor, ()) if y <= m.last_year}
        if any(y <= m.last_year for y in merged_years):
            hi = m.last_year if hi is None else min(hi, m.last_year)
        elif successor_years and not merged_years:
            lo = m.last_year + 1 if lo is None else max(lo, m.last_year + 1)
            evidence.append(f"{m.successor} has {min(successor_years)} but {m.merged} has no rows")
    return lo, hi, evidence


def decide(
    series_code: str,
    obs: pd.DataFrame,
    merges: list[Merge],
    stored: int | None,
    explicit: int | None,
    municipalities_on: Mapping[int, int] | None = None,
    names: Mapping[str, str] | None = None,
) -> int:
    """The division a series is on after loading `obs` (its municipal rows); raises `DataError`.

    `municipalities_on` (division -> number of municipalities on it) guards automatic re-basing
    from a release that covers too few municipalities to tell.
    """
    names = names or {}
    lo, hi, evidence = detect(obs, merges)
    if lo is not None and hi is not None and lo > hi and explicit is None:
        late = next(m for m in merges if m.last_year == hi)
        raise DataError(
            f"{series_code}: the release mixes municipal divisions: it has rows of {_name(late.merged, names)}, "
            f"merged after {hi}, but none of municipalities merged before it ({'; '.join(evidence[:3])}); "
            f"if they are only missing, load it with division={hi} (CLI: --division {hi})"
        )
    if explicit is not None:
        if hi is not None and explicit > hi:
            raise DataError(
                f"{series_code}: division={explicit} does not fit the release's area codes: it has rows of "
                f"municipalities merged after {hi}, so it is on the {hi} borders or older"
            )
        wanted = explicit
    else:
        current = stored if stored is not None else BASE_DIVISION
        wanted = lo if lo is not None and lo > current else current
        if hi is not None and wanted > hi:
            if stored is None:
                wanted = hi  # a new series whose rows are on older borders than the base division
            else:
                raise DataError(
                    f"{series_code}: the release is on the municipal division of {hi} or earlier (it has rows of "
                    f"municipalities merged after {hi}), but the database holds this series on the {stored} division; "
                    f"load a release on the {stored} borders or newer"
                )
        if stored is not None and wanted > stored and municipalities_on:
            present = obs["area_code"].nunique()
            expected = municipalities_on.get(wanted) or 0
            if expected and present < MIN_SHARE_FOR_DETECTION * expected:
                raise DataError(
                    f"{series_code}: the release looks like the {wanted} municipal division ({'; '.join(evidence[:2])}) "
                    f"but holds only {present} of {expected} municipalities, so a missing municipality may just be left "
                    f"out; load it with division={wanted} (CLI: --division {wanted}) to re-base the series (successors "
                    f"missing from the release then have a break in series), or division={stored} if it is on the "
                    f"{stored} borders"
                )
    if stored is not None and wanted < stored:
        raise DataError(
            f"{series_code}: division {wanted} is older than the {stored} division the database holds this series on; "
            f"load a release on the {stored} borders or newer"
        )
    return wanted


def rebase(
    conn: Connection,
    decision: SeriesDivision,
    series_id: int,
    release: pd.DataFrame,
    merges: list[Merge],
    area_ids: Mapping[str, int],
    batch_id: int,
) -> None:
    """Move the rows of a series that are on older borders to revisions (see the module docstring).

    `release` is this series' rows of the release with `area_code`, `group_id` and `year`.
    Fills `decision.merged/revised/breaks/moved`.
    """
    previous = decision.previous if decision.previous is not None else BASE_DIVISION
    affected = [m for m in merges if previous <= m.last_year < decision.division
                and m.merged in area_ids and m.successor in area_ids]
    if not affected:
        return
    covered = {(str(a), int(g), int(y)) for a, g, y in zip(release["area_code"], release["group_id"], release["year"], strict=True)}
    last_year: dict[str, int] = {}
    for m in affected:
        last_year[m.successor] = max(last_year.get(m.successor, 0), m.last_year)
        last_year[m.merged] = m.last_year
    code_of = {area_ids[c]: c for c in last_year}
    cols = [fact.c.observation_id, fact.c.area_id, fact.c.period_id, fact.c.series_id, fact.c.group_id,
            fact.c.value, fact.c.numerator, fact.c.denominator, fact.c.status, fact.c.batch_id]
    stmt = (
        select(*cols, period.c.year)
        .select_from(fact.join(period, period.c.period_id == fact.c.period_id))
        .where(fact.c.series_id == series_id, fact.c.area_id.in_(sorted(code_of)))
    )
    moving: list[Any] = []
    merged_codes = {m.merged for m in affected}
    for row in conn.execute(stmt):
        code = code_of[row.area_id]
        if row.year > last_year[code]:
            continue  # after the merger the successor's rows are on the new borders already
        if code in merged_codes:
            moving.append(row)
            if code not in decision.merged:
                decision.merged.append(code)
        elif (code, row.group_id, row.year) not in covered:
            moving.append(row)
            decision.breaks.setdefault(code, [])
            if row.year not in decision.breaks[code]:
                decision.breaks[code].append(row.year)
    for successor in sorted({m.successor for m in affected}):
        if any(a == successor and y <= last_year[successor] for a, _, y in covered):
            decision.revised.append(successor)
    for years in decision.breaks.values():
        years.sort()
    decision.merged.sort()
    if moving:
        conn.execute(fact_revision.insert(), [
            {"area_id": r.area_id, "period_id": r.period_id, "series_id": r.series_id, "group_id": r.group_id,
             "value": r.value, "numerator": r.numerator, "denominator": r.denominator, "status": r.status,
             "batch_id": r.batch_id, "superseded_by_batch_id": batch_id}
            for r in moving
        ])
        ids = [r.observation_id for r in moving]
        for start in range(0, len(ids), 500):
            conn.execute(delete(fact).where(fact.c.observation_id.in_(ids[start:start + 500])))
    decision.moved = len(moving)


def stored_divisions(conn: Connection, series_ids: Mapping[str, int]) -> dict[str, int | None]:
    """The division recorded for each series before a load (None: the series has no facts yet)."""
    from datamodel.schema import series_coverage

    ids = sorted(set(series_ids.values()))
    rows = conn.execute(
        select(series.c.code, series.c.division, series_coverage.c.series_id)
        .select_from(series.outerjoin(series_coverage, series_coverage.c.series_id == series.c.series_id))
        .where(series.c.series_id.in_(ids))
    ).all()
    out: dict[str, int | None] = {}
    for code, division, has_facts in rows:
        out[code] = (int(division) if division is not None else BASE_DIVISION) if has_facts is not None else None
    return out


def record(conn: Connection, series_ids: Mapping[str, int], decisions: Iterable[SeriesDivision]) -> None:
    """Store each series' division after the load."""
    for d in decisions:
        conn.execute(update(series).where(series.c.series_id == series_ids[d.series_code]).values(division=d.division))


def municipalities_per_division(rows: Iterable[Mapping[str, Any]], divisions: Iterable[int]) -> dict[int, int]:
    """How many municipalities each division has (for the partial-release guard)."""
    munis = [r for r in rows if r["area_type"] == AreaType.MUNICIPALITY.value]
    return {d: sum(1 for r in munis if exists_on(r, d)) for d in set(divisions)}
