"""The answer's format (by `?format=` or the `Accept` header) and the table in that format.

Formats: `json` (default), `jsonstat` (JSON-stat 2.0, as PxWeb and THL serve), `csv` (RFC 4180,
UTF-8, provenance in columns), `csv-fi` (Finnish Excel: `;`, decimal comma, `#` header block),
`xlsx` (numeric cells, provenance sheet), `parquet` (provenance as key-value metadata) and
`datapackage` (a Frictionless Data Package: `datapackage.json` + CSV in a zip). Every format
carries the same provenance (`readout.provenance`) and the same figures, rounded half up to the
metric's decimals as the pages show them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from api.problems import Problem, bad_parameter
from kuntamittari.i18n import t
from kuntamittari.settings import LANGUAGES
from metrics.catalog import Catalog
from readout.build import point_from_row
from readout.downloads import EXCEL_MIME, PARQUET_MIME, csv_human, csv_machine, excel_bytes, parquet_bytes, round_half_up
from readout.localise import status_text
from readout.provenance import Provenance
from readout.text import plain_text, text_plain

FORMATS: dict[str, str] = {
    "json": "application/json",
    "jsonstat": "application/json",
    "csv": "text/csv; charset=utf-8; header=present",
    "csv-fi": "text/csv; charset=utf-8; header=present",
    "xlsx": EXCEL_MIME,
    "parquet": PARQUET_MIME,
    "datapackage": "application/zip",
}
EXTENSIONS = {"json": "json", "jsonstat": "json", "csv": "csv", "csv-fi": "csv", "xlsx": "xlsx", "parquet": "parquet",
              "datapackage": "zip"}
#: Media types a client may ask for in `Accept`, and the format each one gets.
ACCEPT: dict[str, str] = {
    "application/json": "json", "application/vnd.json-stat+json": "jsonstat", "application/json-stat+json": "jsonstat",
    "text/csv": "csv", EXCEL_MIME: "xlsx", PARQUET_MIME: "parquet", "application/x-parquet": "parquet",
    "application/zip": "datapackage", "application/vnd.datapackage+zip": "datapackage",
}
LANGS = LANGUAGES


def negotiate(fmt: str | None, accept: str | None, allowed: Sequence[str] = tuple(FORMATS), default: str = "json") -> str:
    """The format to answer in: `?format=` wins, else the best acceptable media type, else `default`."""
    if fmt:
        name = fmt.strip().lower()
        if name not in allowed:
            raise bad_parameter("format", fmt, "unknown_format", allowed=list(allowed), kind="unknown-format", format=fmt)
        return name
    if not accept or not accept.strip():
        return default
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, position, media.lower()))
    for neg_quality, _pos, media in sorted(ranked):
        if -neg_quality <= 0:
            continue
        if media == "*/*":
            return default
        if media == "application/*":
            return "json"
        if media in ACCEPT and ACCEPT[media] in allowed:
            return ACCEPT[media]
    raise Problem(406, "not-acceptable", "not_acceptable", words={"accept": accept}, parameter="Accept", value=accept,
                  allowed=[m for m, f in ACCEPT.items() if f in allowed])


@dataclass(frozen=True)
class Answer:
    """A table ready for any format: rows, the catalogue's words, area names and provenance."""

    table: pd.DataFrame  # readout.publication.COLUMNS
    catalog: Catalog
    names: dict[str, dict[str, str]]  # lang -> area code -> official name
    types: dict[str, str]  # area code -> area type
    provenance: Provenance
    lang: str
    title: str
    audience: str
    batches: pd.DataFrame  # the load batches behind the rows (metrics.service.load_batches)

    def decimals(self) -> dict[str, int]:
        return {m: int(self.catalog.get(m).decimals) for m in self.metric_ids()}

    def metric_ids(self) -> list[str]:
        return list(dict.fromkeys(self.table["metric_id"].astype(str)))

    def metric_text(self, metric_id: str, field: str, lang: str | None = None) -> str:
        value = getattr(self.catalog.get(metric_id), field)
        return text_plain(value, lang or self.lang) if value is not None else ""

    def area_names(self, lang: str | None = None) -> dict[str, str]:
        return self.names[lang or self.lang]

    def values(self) -> list[float | None]:
        """Each row's value rounded half up to its metric's decimals (None when not shown)."""
        places = self.decimals()
        return [round_half_up(v, places[str(m)]) for m, v in zip(self.table["metric_id"], self.table["value"], strict=True)]

    def statuses(self, lang: str | None = None) -> list[str]:
        """Each row's status in words ('' for a plain value), as the pages say it."""
        return [status_text(point_from_row(r), lang or self.lang) for r in self.table.to_dict("records")]


def machine_frame(answer: Answer) -> pd.DataFrame:
    """The long table with codes, values and per-row provenance (machine CSV, Parquet, data package)."""
    table = answer.table
    names = answer.area_names("fi")
    batches = _batch_sources(answer)
    frame = pd.DataFrame({
        "metric_id": table["metric_id"].astype(str).to_numpy(),
        "area_code": table["area_code"].astype(str).to_numpy(),
        "area_name": [names.get(str(c), str(c)) for c in table["area_code"]],
        "area_type": table["area_type"].astype(str).to_numpy(),
        "period": table["period"].astype(str).to_numpy(),
        "gender": table["gender"].astype(str).to_numpy(),
        "value": pd.array(answer.values(), dtype="Float64"),
        "unit": [answer.metric_text(str(m), "unit", "fi") for m in table["metric_id"]],
        "status": table["status"].astype(str).to_numpy(),
        "basis": [b if isinstance(b, str) else "" for b in table["basis"]],
        "batch_id": pd.array([None if pd.isna(b) else int(b) for b in table["batch_id"]], dtype="Int64"),
    })
    frame["source"] = [batches.get(b, ("", "", ""))[0] if b is not pd.NA else "" for b in frame["batch_id"]]
    frame["licence"] = [batches.get(b, ("", "", ""))[1] if b is not pd.NA else "" for b in frame["batch_id"]]
    frame["retrieved"] = [batches.get(b, ("", "", ""))[2] if b is not pd.NA else "" for b in frame["batch_id"]]
    return frame


def _batch_sources(answer: Answer) -> dict[int, tuple[str, str, str]]:
    """batch id -> (source name, licence, retrieval date) from the provenance's batches."""
    from readout.sources import source_of_batch

    out: dict[int, tuple[str, str, str]] = {}
    for row in answer.batches.to_dict("records") if not answer.batches.empty else []:
        source = source_of_batch(row)
        out[int(row["batch_id"])] = (source.name, source.licence or "",
                                     source.retrieved.date().isoformat() if source.retrieved else "")
    return out


def human_frame(answer: Answer, lang: str) -> tuple[pd.DataFrame, list[int]]:
    """The same rows with words in `lang` (human CSV, Excel) and each row's decimals."""
    table = answer.table
    names = answer.area_names(lang)
    places = answer.decimals()
    col = lambda key: t(f"api.col.{key}", lang)  # noqa: E731
    frame = pd.DataFrame({
        col("metric"): [answer.metric_text(str(m), "name", lang) for m in table["metric_id"]],
        col("area_code"): table["area_code"].astype(str).to_numpy(),
        col("area"): [names.get(str(c), str(c)) for c in table["area_code"]],
        col("period"): table["period"].astype(str).to_numpy(),
        col("gender"): [t(f"public.gender.{g}", lang) for g in table["gender"].astype(str)],
        col("value"): pd.array(answer.values(), dtype="Float64"),
        col("unit"): [answer.metric_text(str(m), "unit", lang) for m in table["metric_id"]],
        col("status"): answer.statuses(lang),
    })
    return frame, [places[str(m)] for m in table["metric_id"]]


def render_table(answer: Answer, fmt: str) -> bytes:
    """CSV, CSV-fi, Excel or Parquet bytes of an answer (JSON, JSON-stat and data package elsewhere)."""
    if fmt == "csv":
        return csv_machine(machine_frame(answer))
    if fmt == "parquet":
        return parquet_bytes(machine_frame(answer), answer.provenance)
    frame, places = human_frame(answer, answer.lang)
    value = t("api.col.value", answer.lang)
    if fmt == "csv-fi":
        return csv_human(frame, answer.lang, answer.provenance, {value: places})
    if fmt == "xlsx":
        return excel_bytes(frame, answer.lang, answer.provenance, {value: places})
    raise ValueError(fmt)


def json_document(answer: Answer, links: Mapping[str, str]) -> dict[str, Any]:
    """The answer as plain JSON: codes and numbers, the catalogue's words in every language."""
    table = answer.table
    values = answer.values()
    rows = [
        {"metric": str(m), "area": str(a), "period": str(p), "gender": str(g), "value": v, "status": str(s),
         "basis": b if isinstance(b, str) else None, "batch_id": None if pd.isna(bid) else int(bid)}
        for m, a, p, g, v, s, b, bid in zip(table["metric_id"], table["area_code"], table["period"], table["gender"],
                                             values, table["status"], table["basis"], table["batch_id"], strict=True)
    ]
    codes = list(dict.fromkeys(table["area_code"].astype(str)))
    names, types = answer.names, answer.types
    return {
        "audience": answer.audience,
        "metrics": {m: {"name": _plain_texts(answer.catalog.get(m).name), "unit": _plain_texts(answer.catalog.get(m).unit),
                        "decimals": answer.catalog.get(m).decimals} for m in answer.metric_ids()},
        "areas": {c: {"type": types.get(c), "name": {lang: names[lang].get(c, c) for lang in LANGS}} for c in codes},
        "data": rows,
        "provenance": answer.provenance.as_dict(),
        "links": dict(links),
    }


def _plain_texts(value: Any) -> dict[str, str]:
    """A catalogue text in every language as plain words (`readout.text.plain_text`)."""
    return {} if value is None else {k: plain_text(v) for k, v in value.as_dict().items() if v}
