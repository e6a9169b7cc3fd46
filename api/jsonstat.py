"""An answer as a JSON-stat 2.0 dataset (the format PxWeb and THL's own API serve).

The cube is written by pyjstat (`Dataset.read` of a complete, ordered long frame, so the value
array is in JSON-stat's row-major order) and then given what pyjstat does not write: category
labels in the asked language, the metric dimension's units and decimals (`role.metric`), the
area (`role.geo`) and period (`role.time`) roles, a `status` for every value that is not shown
plainly ('too_few' = hidden by disclosure control, 'insufficient', 'suppressed' by the source,
'partial', 'provisional', 'missing'), the source line, and the provenance as `extension`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
from pyjstat import pyjstat

from api.formats import Answer
from kuntamittari.i18n import t

DIMENSIONS: tuple[str, ...] = ("metric", "area", "period", "gender")


def _cube(answer: Answer) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Every combination of the categories present, in order, with values (None where no row)."""
    table = answer.table
    cats = {
        "metric": answer.metric_ids(),
        "area": list(dict.fromkeys(table["area_code"].astype(str))),
        "period": sorted(set(table["period"].astype(str))),
        "gender": [g for g in ("total", "male", "female") if g in set(table["gender"].astype(str))],
    }
    rows = pd.DataFrame({
        "metric": table["metric_id"].astype(str).to_numpy(), "area": table["area_code"].astype(str).to_numpy(),
        "period": table["period"].astype(str).to_numpy(), "gender": table["gender"].astype(str).to_numpy(),
        "value": answer.values(), "status": table["status"].astype(str).to_numpy(),
    }).set_index(list(DIMENSIONS))
    index = pd.MultiIndex.from_product([cats[d] for d in DIMENSIONS], names=list(DIMENSIONS))
    cube = rows.reindex(index).reset_index()
    cube["status"] = cube["status"].fillna("missing")
    return cube, cats


def _labels(answer: Answer, cats: dict[str, list[str]], lang: str) -> dict[str, dict[str, str]]:
    names = answer.area_names(lang)
    return {
        "metric": {m: answer.metric_text(m, "name", lang) for m in cats["metric"]},
        "area": {a: names.get(a, a) for a in cats["area"]},
        "period": {p: p for p in cats["period"]},
        "gender": {g: t(f"public.gender.{g}", lang) for g in cats["gender"]},
    }


def jsonstat_dataset(answer: Answer, href: str | None = None) -> dict[str, Any]:
    """The JSON-stat 2.0 dataset of an answer (a dict ready for `json.dumps`)."""
    lang = answer.lang
    cube, cats = _cube(answer)
    frame = cube[[*DIMENSIONS, "value"]].astype({"value": "object"})
    frame["value"] = [None if v is None or (isinstance(v, float) and v != v) else float(v) for v in frame["value"]]
    dataset = json.loads(pyjstat.Dataset.read(frame).write(output="jsonstat"))
    labels = _labels(answer, cats, lang)
    for dim in DIMENSIONS:
        dataset["dimension"][dim]["label"] = t(f"api.dimension.{dim}", lang)
        dataset["dimension"][dim]["category"] = {"index": cats[dim], "label": labels[dim]}
    dataset["dimension"]["metric"]["category"]["unit"] = {
        m: {"label": answer.metric_text(m, "unit", lang), "decimals": int(answer.catalog.get(m).decimals)} for m in cats["metric"]
    }
    dataset["role"] = {"metric": ["metric"], "geo": ["area"], "time": ["period"]}
    status = {str(i): s for i, s in enumerate(cube["status"]) if s != "ok"}
    if status:
        dataset["status"] = status
    prov = answer.provenance
    dataset["label"] = answer.title
    dataset["source"] = prov.attribution(lang)
    if prov.retrieved is not None:
        dataset["updated"] = prov.retrieved.isoformat()
    else:
        dataset.pop("updated", None)
    dataset["note"] = [prov.disclosure(lang), t("api.status_note", lang)]
    if href:
        dataset["href"] = href
    dataset["extension"] = {"provenance": prov.as_dict(), "audience": answer.audience}
    return _ordered(dataset)


def _ordered(dataset: dict[str, Any]) -> dict[str, Any]:
    """The members in the order the JSON-stat samples use (readers do not care; people do)."""
    first: Sequence[str] = ("version", "class", "href", "label", "source", "updated", "note", "id", "size", "role",
                            "dimension", "value", "status", "extension")
    return {k: dataset[k] for k in first if k in dataset} | {k: v for k, v in dataset.items() if k not in first}
