"""Sotkanet data-endpoint JSON -> observations: one parser for the bundled snapshot, saved files
and live API responses, so all three take the same code path into `loaders.core`.

The data endpoint (`/rest/1.1/json?indicator=..&years=..&genders=..`) answers a JSON list of
`{"indicator", "region", "year", "gender", "value", "absValue"}`; `absValue` (the absolute count
behind a rate) becomes `numerator`, `gender` the group. Regions we do not model (hospital
districts, ERVA areas ...) are skipped and counted, not errors.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from datamodel.areas import SOTKANET_DIR, AreaIndex
from datamodel.errors import SourceFormatError
from datamodel.loaders.core import BatchInfo, LoadResult, ProgressHook, SeriesMeta, checksum_of, load_observations
from datamodel.loaders.values import SOURCE_FILE, SOURCE_NONFINITE, SOURCE_ROW, WHERE_COLUMNS, nonfinite_literals
from datamodel.schema import series

logger = logging.getLogger(__name__)

SOURCE = "sotkanet"
LICENCE = "CC BY 4.0"
ATTRIBUTION = "Lähde: THL, Sotkanet"
BUNDLED_LOADER = "sotkanet-bundled"
FILES_LOADER = "sotkanet-files"
API_LOADER = "sotkanet-api"
BUNDLED_NOTE = "THL Sotkanet snapshot retrieved 2013-09-08 via github.com/ouzor/sotkanet-shiny"
BUNDLED_FETCHED_AT = datetime.fromisoformat("2013-09-08T00:00:00+00:00")
GENDERS = {"total": "total", "male": "male", "female": "female"}
REQUIRED = ("indicator", "region", "year", "gender", "value")
SOURCE_FIELDS = {"numerator": "absValue", "period": "year", "value": "value"}  # names in the JSON


def series_code(indicator: int | str) -> str:
    """'sotkanet:<indicator id>'."""
    return f"sotkanet:{int(indicator)}"


@dataclass(frozen=True)
class ParsedData:
    """Observations parsed from one or more data-endpoint responses."""

    observations: pd.DataFrame
    indicators: tuple[int, ...]
    regions_skipped: int


def parse_data_records(
    records: Sequence[Mapping[str, Any]], region_codes: Mapping[int, str], *, origin: str = "<response>"
) -> ParsedData:
    """Check the shape of every record and map it to codes; raise `SourceFormatError` naming the item.

    Each row keeps where it came from (`origin`, "item <index>") for the value checks of the
    write path. Vectorised (the bundled snapshot has 224 000 records and is loaded at first start).
    """
    columns = ["series_code", "area_code", "period_code", "group_code", "value", "numerator", "denominator", "status"]
    if not isinstance(records, list):
        raise SourceFormatError(f"{origin}: expected a JSON list of observations, got {type(records).__name__}")
    if not records:
        return ParsedData(pd.DataFrame(columns=columns), (), 0)
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            raise SourceFormatError(f"{origin}: item {i}: expected an object, got {type(rec).__name__}")
    df = pd.DataFrame.from_records(records)
    for key in REQUIRED:
        if key not in df.columns:
            raise SourceFormatError(f"{origin}: item 0: missing field {key}")
        holes = df[key].isna() if key != "value" else pd.Series(False, index=df.index)
        if key == "value":
            holes = pd.Series([key not in r for r in records], index=df.index)
        if holes.any():
            raise SourceFormatError(f"{origin}: item {int(holes.idxmax())}: missing field {key}")
    if "absValue" not in df.columns:
        df["absValue"] = None
    ints = {}
    for key in ("indicator", "region", "year"):
        col = df[key]
        num = pd.to_numeric(col, errors="coerce")
        bad = num.isna() | (num != num.round())
        if col.dtype == object:
            bad |= ~col.map(lambda v: isinstance(v, int) and not isinstance(v, bool))
        if bad.any():
            i = int(bad.idxmax())
            raise SourceFormatError(f"{origin}: item {i}: {key} must be an integer, got {col.iloc[i]!r}")
        ints[key] = num.astype("int64")
    for key in ("value", "absValue"):
        col = df[key]
        if col.dtype == object:
            bad = ~col.map(lambda v: v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)))
            if bad.any():
                i = int(bad.idxmax())
                raise SourceFormatError(f"{origin}: item {i}: {key} is not a number: {col.iloc[i]!r}")
    genders = df["gender"].astype(str).str.lower().map(GENDERS)
    if genders.isna().any():
        i = int(genders.isna().idxmax())
        raise SourceFormatError(f"{origin}: item {i}: unknown gender {df['gender'].iloc[i]!r}")
    areas = ints["region"].map(region_codes)
    keep = areas.notna()
    value = pd.to_numeric(df["value"], errors="coerce").astype("float64")
    # A NaN literal looks like a missing value once converted: mark it while the raw value is at hand.
    nonfinite = np.where(nonfinite_literals(r.get("value") for r in records), "value",
                         np.where(nonfinite_literals(r.get("absValue") for r in records), "numerator", None))
    frame = pd.DataFrame({
        "series_code": "sotkanet:" + ints["indicator"].astype(str),
        "area_code": areas,
        "period_code": ints["year"].astype(str),
        "group_code": genders,
        "value": value,
        "numerator": pd.to_numeric(df["absValue"], errors="coerce").astype("float64"),
        "denominator": float("nan"),
        "status": value.isna().map({True: "missing", False: "ok"}),
        SOURCE_FILE: origin,
        SOURCE_ROW: [f"item {i}" for i in range(len(df))],
        SOURCE_NONFINITE: nonfinite,
    })[keep.to_numpy()].reset_index(drop=True)
    indicators = tuple(sorted(int(i) for i in ints["indicator"][keep].unique()))
    return ParsedData(frame[[*columns, *WHERE_COLUMNS]], indicators, int((~keep).sum()))


def bundled_titles() -> dict[int, tuple[str, str]]:
    """Indicator id -> (Finnish title, category) from the bundled `indicators.csv`."""
    with (SOTKANET_DIR / "indicators.csv").open(encoding="utf-8", newline="") as handle:
        return {int(r["indicator"]): (r["title_fi"], r["category"]) for r in csv.DictReader(handle)}


def default_meta(indicator: int, known: Mapping[int, tuple[str, str]] | None = None) -> SeriesMeta:
    """Series metadata when only the id is known (titles from the bundled list if there)."""
    known = bundled_titles() if known is None else known
    title, category = known.get(indicator, (f"Sotkanet-indikaattori {indicator}", None))
    return SeriesMeta(
        code=series_code(indicator), source=SOURCE, source_id=str(indicator), title_fi=title,
        category=category, licence=LICENCE, attribution=ATTRIBUTION,
        is_count=indicator == 127,
        source_url=f"https://sotkanet.fi/sotkanet/fi/metadata/indicators/{indicator}",
    )


def region_code_map(engine: Engine) -> dict[int, str]:
    """Sotkanet region id -> area code, from `dim_area`."""
    with engine.connect() as conn:
        index = AreaIndex.load(conn)
    return {rid: index.code_of[aid] for rid, aid in index.by_sotkanet.items()}


def read_json_file(path: Path) -> tuple[Any, bytes]:
    """Read a `.json` or `.json.gz` file; returns (parsed JSON, raw bytes for the checksum)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceFormatError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        text = gzip.decompress(raw) if path.suffix == ".gz" else raw
        return json.loads(text), raw
    except (OSError, ValueError) as exc:
        raise SourceFormatError(f"{path}: not valid JSON{' (gzip)' if path.suffix == '.gz' else ''}: {exc}") from exc


def load_data_files(
    engine: Engine,
    paths: Iterable[Path],
    *,
    loader: str = FILES_LOADER,
    location: str | None = None,
    metas: Mapping[int, SeriesMeta] | None = None,
    note: str | None = None,
    fetched_at: datetime | None = None,
    on_progress: ProgressHook | None = None,
    division: int | None = None,
    accept_partial: bool = False,
) -> LoadResult:
    """Load saved data-endpoint responses as one release (one batch; revisions kept).

    `division`: the municipal division of the release when its area codes cannot tell (see
    `datamodel.divisions`); None detects it. `accept_partial`: leave out values that cannot be
    real instead of refusing the release (`loaders.values`)."""
    paths = sorted(Path(p) for p in paths)
    if not paths:
        raise SourceFormatError("no files given")
    regions = region_code_map(engine)
    frames, raws, skipped = [], [], 0
    for path in paths:
        data, raw = read_json_file(path)
        parsed = parse_data_records(data, regions, origin=str(path))
        frames.append(parsed.observations)
        raws.append(raw)
        skipped += parsed.regions_skipped
    obs = pd.concat(frames, ignore_index=True)
    return load_records(
        engine, obs, loader=loader, location=location or ", ".join(str(p) for p in paths), checksum=checksum_of(raws),
        metas=metas, note=note, fetched_at=fetched_at, regions_skipped=skipped, on_progress=on_progress,
        division=division, accept_partial=accept_partial,
    )


def load_records(
    engine: Engine,
    obs: pd.DataFrame,
    *,
    loader: str,
    location: str,
    checksum: str,
    metas: Mapping[int, SeriesMeta] | None = None,
    note: str | None = None,
    fetched_at: datetime | None = None,
    regions_skipped: int = 0,
    on_progress: ProgressHook | None = None,
    division: int | None = None,
    accept_partial: bool = False,
) -> LoadResult:
    """Shared tail of every Sotkanet load: series metadata + `load_observations`."""
    known = bundled_titles()
    indicators = sorted({int(c.split(":")[1]) for c in obs["series_code"].unique()})
    existing = _existing_series_codes(engine, [series_code(i) for i in indicators])
    meta_list = []
    for ind in indicators:
        if metas and ind in metas:
            meta_list.append(metas[ind])
        elif series_code(ind) in existing:
            # Keep what is stored (possibly richer, from the metadata endpoint): only ensure it exists.
            meta_list.append(existing[series_code(ind)])
        else:
            meta_list.append(default_meta(ind, known))
    batch = BatchInfo(
        source=SOURCE, loader=loader, location=location, licence=LICENCE, attribution=ATTRIBUTION,
        fetched_at=fetched_at, note=note,
    )
    return load_observations(
        engine, obs, meta_list, batch, checksum=checksum,
        details={"indicators": indicators, "regions_skipped": regions_skipped}, on_progress=on_progress,
        division=division, accept_partial=accept_partial, source_fields=SOURCE_FIELDS,
    )


def _existing_series_codes(engine: Engine, codes: list[str]) -> dict[str, SeriesMeta]:
    fields = [f for f in SeriesMeta.__dataclass_fields__]
    with engine.connect() as conn:
        rows = conn.execute(select(*(series.c[f] for f in fields)).where(series.c.code.in_(codes))).mappings()
        return {r["code"]: SeriesMeta(**dict(r)) for r in rows}


def bundled_files() -> list[Path]:
    """The bundled snapshot's data files (one gzip JSON per indicator)."""
    return sorted((SOTKANET_DIR / "data").glob("indicator_*.json.gz"))


def load_bundled(engine: Engine, *, on_progress: ProgressHook | None = None) -> LoadResult:
    """Load the bundled 2013 snapshot (idempotent: the second call is a no-op)."""
    return load_data_files(
        engine, bundled_files(), loader=BUNDLED_LOADER, location="kuntamittari:datamodel/data/sotkanet-2013", note=BUNDLED_NOTE, fetched_at=BUNDLED_FETCHED_AT,
        on_progress=on_progress,
    )
