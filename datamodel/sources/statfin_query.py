"""PxWeb v1 queries for whole series: from a table's metadata to query bodies within the cell limit.

A catalogue series `statfin:<table>:<contents code>` is refreshed by asking the table for every
area, the series' contents codes, every gender value, the total of any age variable and the
time values from a given year on. Variables that may be left out (`elimination`) are left out;
any other variable is fixed to its first value (usually the total). Variable codes carry version
stamps (`alue_23_20260101`), so variables are recognised by prefix and by the `time` flag.
A query that would exceed the API's cell limit is split along the time variable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from datamodel.errors import DataError
from datamodel.periods import parse_period

GEO_PREFIXES = ("alue", "area", "region", "kunta")
METRIC_PREFIXES = ("contentscode", "tiedot")
GENDER_PREFIXES = ("sukupuoli", "sex", "kön", "kon")
AGE_PREFIXES = ("ikaryhma", "ika", "age", "alder", "ålder")
TOTAL_CODES = ("SSS", "yht", "Total")


def _select(code: str, values: Sequence[str]) -> dict[str, Any]:
    return {"code": code, "selection": {"filter": "item", "values": list(values)}}


def time_values(metadata: Mapping[str, Any]) -> tuple[str, list[str]]:
    """(variable code, values) of the table's time variable."""
    for var in metadata.get("variables", []):
        if var.get("time"):
            return str(var["code"]), [str(v) for v in var.get("values", [])]
    raise DataError(f"table {metadata.get('title', '?')}: no time variable in the metadata")


def build_queries(metadata: Mapping[str, Any], contents: Sequence[str], *, from_year: int | None,
                  max_cells: int) -> list[dict[str, Any]]:
    """Query bodies for `contents` of one table, time values of `from_year` and later (all when
    None), each within `max_cells`. An empty list when the table has no such time values."""
    time_code, times = time_values(metadata)
    if from_year is not None:
        times = [p for p in times if parse_period(p).year >= from_year]
    if not times:
        return []
    fixed: list[dict[str, Any]] = []
    cells = 1
    found_contents = False
    for var in metadata.get("variables", []):
        code, values = str(var["code"]), [str(v) for v in var.get("values", [])]
        low = code.lower()
        if code == time_code:
            continue
        if low.startswith(METRIC_PREFIXES):
            missing = sorted(set(contents) - set(values))
            if missing:
                raise DataError(f"table {metadata.get('title', '?')}: no contents code {', '.join(missing)}")
            fixed.append(_select(code, contents))
            cells *= len(contents)
            found_contents = True
        elif low.startswith(GEO_PREFIXES) or low.startswith(GENDER_PREFIXES):
            fixed.append({"code": code, "selection": {"filter": "all", "values": ["*"]}})
            cells *= len(values)
        elif low.startswith(AGE_PREFIXES):
            fixed.append(_select(code, [next((v for v in values if v in TOTAL_CODES), values[0])]))
        elif not var.get("elimination"):
            fixed.append(_select(code, values[:1]))
    if not found_contents:
        raise DataError(f"table {metadata.get('title', '?')}: no contents (Tiedot) variable")
    per_query = max(1, max_cells // max(cells, 1))
    chunks = [times[i:i + per_query] for i in range(0, len(times), per_query)]
    if cells > max_cells:
        raise DataError(f"table {metadata.get('title', '?')}: one period has {cells} cells, over the limit {max_cells}")
    return [{"query": fixed + [_select(time_code, chunk)]} for chunk in chunks]


def query_cells(body: Mapping[str, Any], metadata: Mapping[str, Any]) -> int:
    """How many cells a query body asks for (for the limit check in tests and logs)."""
    sizes = {str(v["code"]): len(v.get("values", [])) for v in metadata.get("variables", [])}
    total = 1
    for part in body.get("query", []):
        sel = part["selection"]
        total *= sizes[part["code"]] if sel.get("filter") == "all" else len(sel["values"])
    return total if body.get("query") else math.prod(sizes.values())
