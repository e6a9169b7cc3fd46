"""Statistics Finland PxWeb API (json-stat2) client and loader.

The PyPI `statfin` package talks through `requests`, so it cannot take an httpx transport; this
module parses json-stat2 itself (it is small and documented: `id`, `size`, `dimension`,
`role`, `value` as a dense list or a sparse object). Variable codes carry version stamps
(`alue_23_20260101`), so dimensions are found by `role` (time, geo, metric) and by prefix.

Series: `statfin:<table>:<contents code>`; areas `KU208` -> `208`, `SSS`, `MK17`, `HVA19`;
periods `2024`, `2024Q1`, `2024M12`.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
from sqlalchemy import Engine

from datamodel.areas import AreaIndex, normalise_area_code
from datamodel.errors import DataError, SourceFormatError
from datamodel.sources.http import CallPolicy, request_json
from datamodel.loaders.core import BatchInfo, LoadResult, ProgressHook, SeriesMeta, checksum_of, load_observations
from datamodel.loaders.values import SOURCE_FILE, SOURCE_NONFINITE, SOURCE_ROW, nonfinite_literals
from datamodel.periods import parse_period
from kuntamittari.settings import get_settings

logger = logging.getLogger(__name__)

SOURCE = "statfin"
LICENCE = "CC BY 4.0"
ATTRIBUTION = "Lähde: Tilastokeskus"
GENDER_CODES = {"SSS": "total", "1": "male", "2": "female", "T": "total", "M": "male", "F": "female", "N": "female"}
GENDER_PREFIXES = ("sukupuoli", "sex", "kön", "kon")
AGE_PREFIXES = ("ikaryhma", "ika", "age", "alder", "ålder")


@dataclass(frozen=True)
class JsonStatTable:
    """A parsed json-stat2 dataset in long form (one row per cell, codes + value)."""

    table: str
    frame: pd.DataFrame  # columns: one per dimension id (codes), value
    roles: Mapping[str, list[str]]
    dimensions: Mapping[str, Mapping[str, Any]]
    label: str
    source: str
    updated: str | None
    language: str = "fi"
    origin: str = "<response>"
    nonfinite: tuple[int, ...] = ()  # cells whose raw value was a NaN/Infinity literal


def _category_codes(dim: Mapping[str, Any], name: str) -> list[str]:
    index = dim.get("category", {}).get("index")
    if index is None:
        labels = dim.get("category", {}).get("label")
        if isinstance(labels, Mapping) and len(labels) == 1:
            return list(labels)
        raise SourceFormatError(f"json-stat2: dimension {name} has no category index")
    if isinstance(index, list):
        return [str(c) for c in index]
    if isinstance(index, Mapping):
        return [code for code, _ in sorted(index.items(), key=lambda kv: int(kv[1]))]
    raise SourceFormatError(f"json-stat2: dimension {name}: index must be a list or an object")


def parse_jsonstat2(
    doc: Mapping[str, Any], *, table: str | None = None, origin: str = "<response>", language: str | None = None
) -> JsonStatTable:
    """Parse a json-stat2 dataset into long form; checks that size and value agree."""
    if not isinstance(doc, Mapping) or doc.get("class") != "dataset":
        raise SourceFormatError(f"{origin}: not a json-stat2 dataset (class != 'dataset')")
    try:
        ids: list[str] = list(doc["id"])
        sizes: list[int] = [int(s) for s in doc["size"]]
        dims: Mapping[str, Mapping[str, Any]] = doc["dimension"]
    except (KeyError, TypeError, ValueError) as exc:
        raise SourceFormatError(f"{origin}: json-stat2 without id/size/dimension ({exc})") from exc
    if len(ids) != len(sizes):
        raise SourceFormatError(f"{origin}: id has {len(ids)} entries but size has {len(sizes)}")
    codes = []
    for name, size in zip(ids, sizes, strict=True):
        if name not in dims:
            raise SourceFormatError(f"{origin}: dimension {name} listed in id but not described")
        cats = _category_codes(dims[name], name)
        if len(cats) != size:
            raise SourceFormatError(f"{origin}: dimension {name} has {len(cats)} categories, size says {size}")
        codes.append(cats)
    total = 1
    for size in sizes:
        total *= size
    raw = doc.get("value")
    if isinstance(raw, list):
        if len(raw) != total:
            raise SourceFormatError(f"{origin}: {len(raw)} values for {total} cells")
        values = raw
    elif isinstance(raw, Mapping):
        values = [None] * total
        for key, val in raw.items():
            values[int(key)] = val
    else:
        raise SourceFormatError(f"{origin}: value must be a list or an object")
    rows = [combo for combo in itertools.product(*codes)]  # row-major: last dimension fastest
    frame = pd.DataFrame(rows, columns=ids)
    frame["value"] = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
    # PxWeb symbols ("x", "..") become missing values; a NaN number must not: mark it now.
    nonfinite = tuple(int(i) for i in np.flatnonzero(nonfinite_literals(values)))
    ext = (doc.get("extension") or {}).get("px") or {}
    table_id = table or ext.get("tableid") or str(doc.get("label", "")).split(" -- ")[0].strip()
    if not table_id:
        raise SourceFormatError(f"{origin}: cannot tell the table id; pass it explicitly")
    return JsonStatTable(
        table=table_id, frame=frame, roles=doc.get("role") or {}, dimensions=dims,
        label=str(doc.get("label", "")), source=str(doc.get("source", "")), updated=doc.get("updated"),
        language=str(ext.get("language") or language or "fi")[:2], origin=origin, nonfinite=nonfinite,
    )


def _dim_by_role(t: JsonStatTable, role: str, prefixes: Sequence[str]) -> str | None:
    names = t.roles.get(role) or []
    if names:
        return names[0]
    for name in t.frame.columns:
        if name != "value" and name.lower().startswith(tuple(prefixes)):
            return name
    return None


def _time_dim(t: JsonStatTable) -> str | None:
    return _dim_by_role(t, "time", ("timeperiod", "vuosi", "kuukausi", "vuosineljännes", "year", "month", "quarter"))


def to_observations(t: JsonStatTable, areas: AreaIndex) -> tuple[pd.DataFrame, list[SeriesMeta], dict[str, Any]]:
    """Map a parsed table to observations (codes), series metadata and details (skipped areas).

    Each row keeps where it came from (the response and "cell <index> (<codes>)") for the value
    checks of the write path."""
    geo = _dim_by_role(t, "geo", ("alue", "area", "region", "kunta"))
    time = _time_dim(t)
    metric = _dim_by_role(t, "metric", ("contentscode", "tiedot"))
    if geo is None or time is None or metric is None:
        raise SourceFormatError(f"table {t.table}: need geo, time and metric dimensions (roles: {dict(t.roles)})")
    gender = next((c for c in t.frame.columns if c.lower().startswith(GENDER_PREFIXES)), None)
    age = next((c for c in t.frame.columns if c.lower().startswith(AGE_PREFIXES)), None)
    others = [c for c in t.frame.columns if c not in {geo, time, metric, gender, age, "value"}]
    for name in others:
        if t.frame[name].nunique() > 1:
            raise DataError(f"table {t.table}: dimension {name} has several values; select one value in the query")
    frame = t.frame
    area_codes = frame[geo].map(lambda c: normalise_area_code(c))
    known = area_codes.isin(set(areas.by_code))
    skipped = sorted(set(frame.loc[~known, geo]))
    if skipped:
        logger.warning("table %s: %d unknown areas skipped (%s)", t.table, len(skipped), ", ".join(skipped[:5]))
    try:
        periods = {p: parse_period(p).code for p in frame[time].unique()}
    except DataError as exc:
        raise SourceFormatError(f"table {t.table}: {exc}") from exc
    if gender:
        bad = sorted(set(frame[gender]) - set(GENDER_CODES))
        if bad:
            raise DataError(f"table {t.table}: unknown gender codes {bad}")
        genders = frame[gender].map(GENDER_CODES)
    else:
        genders = pd.Series("total", index=frame.index)
    if age:
        ages = frame[age].map(lambda a: "" if a in ("SSS", "yht", "Total") else f":{a}")
        group_codes = genders + ages
    else:
        group_codes = genders
    obs = pd.DataFrame({
        "series_code": "statfin:" + t.table + ":" + frame[metric].astype(str),
        "area_code": area_codes, "period_code": frame[time].map(periods), "group_code": group_codes,
        "value": frame["value"], "numerator": None, "denominator": None,
        "status": frame["value"].isna().map({True: "missing", False: "ok"}),
        SOURCE_FILE: t.origin,
        SOURCE_ROW: _cell_labels(frame),
        SOURCE_NONFINITE: np.where(np.isin(np.arange(len(frame)), t.nonfinite), "value", None),
    })[known.to_numpy()]
    mdim = t.dimensions[metric]["category"]
    metas = []
    for code in sorted(frame[metric].astype(str).unique()):
        unit = (mdim.get("unit") or {}).get(code) or {}
        title = str((mdim.get("label") or {}).get(code, code))
        # title_fi is required: a response in sv/en also fills it until a Finnish one is loaded.
        titles = {"title_fi": title} | ({f"title_{t.language}": title} if t.language in ("sv", "en") else {})
        metas.append(SeriesMeta(
            code=f"statfin:{t.table}:{code}", source=SOURCE, source_id=f"{t.table}:{code}", **titles,
            unit=unit.get("base") or unit.get("label"), decimals=unit.get("decimals"),
            is_count=str(unit.get("base") or unit.get("label") or "").lower() in ("lukumäärä", "number", "antal"),
            licence=LICENCE, attribution=ATTRIBUTION,
            source_url=f"https://pxdata.stat.fi/PxWeb/pxweb/fi/StatFin/?table={t.table}",
        ))
    return obs.reset_index(drop=True), metas, {"table": t.table, "areas_skipped": skipped[:50], "label": t.label}


def _cell_labels(frame: pd.DataFrame) -> list[str]:
    """'cell 17 (KU091/2024/vaesto)': the cell's index in `value` and its category codes."""
    dims = [c for c in frame.columns if c != "value"]
    codes = pd.Series("", index=frame.index)
    for n, dim in enumerate(dims):
        codes = codes + ("/" if n else "") + frame[dim].astype(str)
    return [f"cell {i} ({c})" for i, c in enumerate(codes)]


def load_jsonstat(
    engine: Engine,
    doc: Mapping[str, Any],
    raw: bytes,
    *,
    table: str | None = None,
    location: str,
    language: str | None = None,
    on_progress: ProgressHook | None = None,
    accept_partial: bool = False,
) -> LoadResult:
    """Parse one json-stat2 response and load it as one batch. Values that cannot be real refuse
    the load, or with `accept_partial` are left out and reported (`loaders.values`)."""
    parsed = parse_jsonstat2(doc, table=table, origin=location, language=language)
    with engine.connect() as conn:
        areas = AreaIndex.load(conn)
    obs, metas, details = to_observations(parsed, areas)
    batch = BatchInfo(source=SOURCE, loader="statfin-pxweb", location=location, licence=LICENCE,
                      attribution=ATTRIBUTION, fetched_at=datetime.now(UTC),
                      note=f"updated {parsed.updated}" if parsed.updated else None)
    return load_observations(engine, obs, metas, batch, checksum=checksum_of([raw]), details=details,
                             on_progress=on_progress, accept_partial=accept_partial,
                             source_fields={"period": _time_dim(parsed) or "period"})


def load_jsonstat_file(engine: Engine, path: Path, *, table: str | None = None, language: str | None = None,
                       accept_partial: bool = False) -> LoadResult:
    """Load a saved json-stat2 response."""
    try:
        raw = path.read_bytes()
        doc = json.loads(raw)
    except OSError as exc:
        raise SourceFormatError(f"{path}: cannot read ({exc.strerror})") from exc
    except ValueError as exc:
        raise SourceFormatError(f"{path}: not valid JSON ({exc})") from exc
    return load_jsonstat(engine, doc, raw, table=table, location=str(path), language=language,
                         accept_partial=accept_partial)


class StatFinClient:
    """PxWeb v1 client: POST a query to a table and get json-stat2 back."""

    def __init__(self, base_url: str | None = None, *, lang: str = "fi", database: str = "StatFin",
                 transport: httpx.BaseTransport | None = None, timeout: float = 60.0,
                 policy: CallPolicy | None = None) -> None:
        self.base_url = (base_url or get_settings().statfin_base_url).rstrip("/")
        self.lang, self.database, self.policy = lang, database, policy
        self._client = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout,
                                    headers={"User-Agent": "kuntamittari"}, follow_redirects=True)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def table_path(self, table: str) -> str:
        """'11re' -> '/fi/StatFin/11re.px'; a path with '/' is taken as given below the database."""
        name = table if table.endswith(".px") else f"{table}.px"
        return f"/{self.lang}/{self.database}/{name}"

    def _request(self, method: str, path: str, body: Any = None) -> tuple[Any, bytes]:
        return request_json(self._client, self.base_url, method, path, policy=self.policy, json=body)

    def config(self) -> dict[str, Any]:
        """The API's published limits (`GET /{lang}/?config`: maxValues/maxCells, maxCalls, timeWindow)."""
        doc, _ = request_json(self._client, self.base_url, "GET", f"/{self.lang}/?config", policy=self.policy)
        if not isinstance(doc, dict):
            raise SourceFormatError(f"{self.base_url}/{self.lang}/?config: expected an object")
        return doc

    def metadata(self, table: str) -> dict[str, Any]:
        """Table metadata (variables with codes, values and texts)."""
        doc, _ = self._request("GET", self.table_path(table))
        if not isinstance(doc, dict) or "variables" not in doc:
            raise SourceFormatError(f"{self.table_path(table)}: metadata without variables")
        return doc

    def query(self, table: str, query: Mapping[str, Any]) -> tuple[dict[str, Any], bytes]:
        """POST a PxWeb query (its response format forced to json-stat2)."""
        body = dict(query)
        body["response"] = {"format": "json-stat2"}
        return self._request("POST", self.table_path(table), body)


def variable_code(metadata: Mapping[str, Any], prefix: str) -> str:
    """The version-stamped variable code starting with `prefix` ('alue' -> 'alue_23_20260101')."""
    for var in metadata.get("variables", []):
        if str(var.get("code", "")).lower().startswith(prefix.lower()):
            return str(var["code"])
    raise DataError(f"no variable starting with {prefix!r}")
