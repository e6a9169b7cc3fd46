"""Fetch the catalogue's series from Sotkanet and StatFin PxWeb into memory, one source at a time.

Nothing is written here: a source's observations are gathered first and loaded as one batch
afterwards (`refresh.run`), so a source that fails half-way leaves the warehouse as it was.
A failure that concerns one series (HTTP 4xx, a malformed answer) fails that series only; a
failure of the source itself (offline, timeouts, 429/5xx still failing after the retries, a
dropped connection) stops the source and marks what was fetched as not loaded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from datamodel.areas import AreaIndex
from datamodel.errors import DataError, SourceRejected, SourceUnavailable
from datamodel.loaders.core import BatchInfo, LoadResult, SeriesMeta, checksum_of, load_observations
from datamodel.loaders.sotkanet import ATTRIBUTION as SOTKANET_ATTRIBUTION
from datamodel.loaders.sotkanet import LICENCE as SOTKANET_LICENCE
from datamodel.loaders.sotkanet import parse_data_records, region_code_map
from datamodel.sources.http import RateLimit
from datamodel.sources.sotkanet import SotkanetClient, meta_from_indicator
from datamodel.sources.statfin import ATTRIBUTION as STATFIN_ATTRIBUTION
from datamodel.sources.statfin import LICENCE as STATFIN_LICENCE
from datamodel.sources.statfin import StatFinClient, parse_jsonstat2, to_observations
from datamodel.sources.statfin_query import build_queries
from refresh.plan import Known, first_year
from refresh.report import SeriesOutcome

logger = logging.getLogger(__name__)

Tick = Callable[[int, int, str], None]
LOADERS = {"sotkanet": "sotkanet-refresh", "statfin": "statfin-refresh"}


@dataclass
class Fetched:
    """One source's answers, held until they are loaded as one batch."""

    source: str
    location: str
    licence: str
    attribution: str
    frames: list[pd.DataFrame] = field(default_factory=list)
    metas: dict[str, SeriesMeta] = field(default_factory=dict)
    raws: list[bytes] = field(default_factory=list)
    outcomes: dict[str, SeriesOutcome] = field(default_factory=dict)
    failure: SourceUnavailable | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def series_with_data(self) -> set[str]:
        return {str(c) for f in self.frames for c in f["series_code"].unique()}

    def observations(self) -> pd.DataFrame:
        return pd.concat(self.frames, ignore_index=True) if self.frames else pd.DataFrame()

    def load(self, engine: Engine) -> LoadResult | None:
        """Write everything fetched as one batch (one transaction); None when nothing was fetched."""
        obs = self.observations()
        if obs.empty:
            return None
        codes = sorted(self.series_with_data())
        batch = BatchInfo(source=self.source, loader=LOADERS[self.source], location=f"{self.location} {', '.join(codes)}"[:2000],
                          licence=self.licence, attribution=self.attribution, fetched_at=self.fetched_at,
                          note="kuntamittari refresh")
        metas = [self.metas[c] for c in codes]
        return load_observations(engine, obs, metas, batch, checksum=checksum_of(self.raws), details={"refreshed": codes})


def _fail(fetched: Fetched, outcome: SeriesOutcome, exc: Exception) -> None:
    outcome.status = "failed"
    outcome.reason = str(exc)
    if isinstance(exc, SourceUnavailable) and not isinstance(exc, SourceRejected):
        fetched.failure = exc


def fetch_sotkanet(engine: Engine, client: SotkanetClient, codes: Sequence[str], known: dict[str, Known], *,
                   revision_years: int, tick: Tick) -> Fetched:
    """Metadata of every indicator; data of those whose `data-updated` moved, from the first year due."""
    fetched = Fetched("sotkanet", client.base_url, SOTKANET_LICENCE, SOTKANET_ATTRIBUTION)
    regions = region_code_map(engine)
    for i, code in enumerate(codes):
        outcome = fetched.outcomes.setdefault(code, SeriesOutcome(code))
        tick(i, len(codes), code)
        if fetched.failure is not None:
            outcome.status, outcome.reason = "not_loaded", "source failed"
            continue
        try:
            ind = int(code.split(":")[1])
            doc = client.indicator_doc(ind)
            meta = meta_from_indicator(doc)
            stamp = str(doc.get("data-updated") or "") or None
            outcome.source_updated = stamp
            seen = known.get(code)
            if stamp and seen is not None and seen.source_updated == stamp and seen.last_year is not None:
                outcome.status = "skipped"
                continue
            years = _years(doc.get("range"), first_year(seen, _revision(revision_years)))
            records, raw = client.data(ind, years)
            parsed = parse_data_records(records, regions, origin=f"{client.base_url}/json?indicator={ind}")
        except (SourceUnavailable, DataError, ValueError) as exc:
            _fail(fetched, outcome, exc)
            continue
        fetched.frames.append(parsed.observations)
        fetched.metas[code] = meta
        fetched.raws.append(raw)
    tick(len(codes), len(codes), "")
    return _finish(fetched)


def _revision(years: int) -> int:
    return max(0, int(years))


def _years(rng: Any, from_year: int | None) -> list[int]:
    """The indicator's published years (`range`), from `from_year` on."""
    this_year = date.today().year
    start, end = 1990, this_year
    if isinstance(rng, dict):
        start = int(rng.get("start") or start)
        end = int(rng.get("end") or end)
    if from_year is not None:
        start = max(start, from_year)
    return list(range(start, end + 1))


def _finish(fetched: Fetched) -> Fetched:
    """On a source failure, everything fetched so far is dropped and reported as not loaded."""
    if fetched.failure is not None:
        for outcome in fetched.outcomes.values():
            if outcome.status not in ("failed", "skipped"):
                outcome.status, outcome.reason = "not_loaded", "source failed"
        fetched.frames, fetched.raws, fetched.metas = [], [], {}
    return fetched


def _apply_config(client: StatFinClient, max_cells: int) -> int:
    """Read the API's published limits (`?config`) and keep the stricter of them and ours."""
    try:
        config = client.config()
    except (SourceRejected, DataError) as exc:
        logger.info("PxWeb ?config not available (%s); using the configured limits", exc)
        return max_cells
    cells = config.get("maxValues") or config.get("maxCells")
    if isinstance(cells, int) and cells > 0:
        max_cells = min(max_cells, cells)
    calls, window = config.get("maxCalls"), config.get("timeWindow")
    policy = client.policy
    if policy is not None and isinstance(calls, int) and isinstance(window, (int, float)) and calls > 0 and window > 0:
        published = RateLimit(calls, window)
        published.acquire()  # the ?config request itself counts in the API's window
        policy.rates.append(published)
    return max_cells


def fetch_statfin(engine: Engine, client: StatFinClient, codes: Sequence[str], known: dict[str, Known], *,
                  revision_years: int, max_cells: int, tick: Tick) -> Fetched:
    """Every table the catalogue uses: metadata, then the series' cells from the first year due."""
    fetched = Fetched("statfin", client.base_url, STATFIN_LICENCE, STATFIN_ATTRIBUTION)
    by_table: dict[str, list[str]] = {}
    for code in codes:
        parts = code.split(":", 2)
        if len(parts) == 3:
            by_table.setdefault(parts[1], []).append(parts[2])
        else:
            fetched.outcomes[code] = SeriesOutcome(code, "failed", reason="not a statfin:<table>:<contents> code")
    if not by_table:
        return fetched
    with engine.connect() as conn:
        areas = AreaIndex.load(conn)
    try:
        max_cells = _apply_config(client, max_cells)
    except SourceUnavailable as exc:
        fetched.failure = exc
    for i, (table, contents) in enumerate(sorted(by_table.items())):
        tick(i, len(by_table), table)
        wanted = [f"statfin:{table}:{c}" for c in contents]
        outcomes = [fetched.outcomes.setdefault(code, SeriesOutcome(code)) for code in wanted]
        if fetched.failure is not None:
            continue
        try:
            _fetch_table(fetched, client, areas, table, contents, known, revision_years, max_cells)
        except (SourceUnavailable, DataError, ValueError) as exc:
            for outcome in outcomes:
                _fail(fetched, outcome, exc)
    tick(len(by_table), len(by_table), "")
    return _finish(fetched)


def _fetch_table(fetched: Fetched, client: StatFinClient, areas: AreaIndex, table: str, contents: list[str],
                 known: dict[str, Known], revision_years: int, max_cells: int) -> None:
    wanted = {f"statfin:{table}:{c}" for c in contents}
    starts = [first_year(known.get(code), _revision(revision_years)) for code in sorted(wanted)]
    from_year = None if any(s is None for s in starts) else min(s for s in starts if s is not None)
    metadata = client.metadata(table)
    for body in build_queries(metadata, contents, from_year=from_year, max_cells=max_cells):
        doc, raw = client.query(table, body)
        parsed = parse_jsonstat2(doc, table=table, origin=f"{client.base_url}{client.table_path(table)}",
                                 language=client.lang)
        obs, metas, _details = to_observations(parsed, areas)
        obs = obs[obs["series_code"].isin(wanted)]
        fetched.frames.append(obs)
        fetched.raws.append(raw)
        for meta in metas:
            if meta.code in wanted:
                fetched.metas.setdefault(meta.code, meta)
        for code in wanted:
            fetched.outcomes[code].source_updated = parsed.updated
