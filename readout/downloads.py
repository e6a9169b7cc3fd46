"""Download files that carry their provenance: CSV (machine and human), Excel and Parquet.

The conventions, decided once for every surface (docs/api.md, "Files"):

- **Machine CSV** (`csv_machine`, the API's `text/csv`): RFC 4180, UTF-8 without BOM, `,` and
  a decimal point, one header row and nothing else, so every parser reads it as it is. The
  provenance travels in the rows: the columns `source`, `licence`, `retrieved` and `batch_id`
  (the data package describes them).
- **Human CSV** (`csv_human`, the pages' downloads and the API's `csv-fi`): what Finnish Excel
  opens by double-click in fi/sv (`;`, decimal comma, UTF-8 with BOM; `,` and a point in en),
  headed by a block of `#` lines (title, sources, licence, attribution, data vintage, batch ids,
  disclosure). Excel shows the block above the table; programs skip it with
  `pandas.read_csv(..., comment="#")`. Semicolons inside the block are written as commas so the
  block stays in the first column.
- **Excel** (`excel_bytes`): numbers are numeric cells with the column's number format
  (`#,##0.0` for one decimal: Excel shows it in the reader's own locale), hidden values are
  empty with the reason in the status column, and a second sheet holds the provenance block.
- **Parquet** (`parquet_bytes`): the provenance as key-value metadata of the file's schema
  (`kuntamittari.provenance` as JSON, plus `source`, `licence`, `attribution`, `data_vintage`,
  `batch_ids`).

Numbers are rounded half up to the metric's decimals before they are written (the same figures
as the pages show: `readout.formatting`).
"""

from __future__ import annotations

import decimal
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from kuntamittari.i18n import t
from readout.provenance import Provenance

EXCEL_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PARQUET_MIME = "application/vnd.apache.parquet"


def round_half_up(value: Any, decimals: int) -> float | None:
    """`value` rounded as the pages show it (3,25 -> 3,3), None when missing."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or math.isinf(number):
        return None
    quantum = decimal.Decimal(1).scaleb(-max(0, int(decimals)))
    with decimal.localcontext() as ctx:
        ctx.rounding = decimal.ROUND_HALF_UP
        return float(decimal.Decimal(repr(number)).quantize(quantum))


#: Decimals of a column: one number for the whole column, or one per row (a long table of
#: several metrics, each with its own decimals).
Decimals = Mapping[str, int | Sequence[int]]


def _per_row(places: int | Sequence[int], rows: int) -> list[int]:
    return [int(places)] * rows if isinstance(places, int) else [int(p) for p in places]


def rounded(frame: pd.DataFrame, decimals: Decimals) -> pd.DataFrame:
    """A copy with each column of `decimals` rounded half up (integers where all have 0 decimals)."""
    out = frame.copy()
    for column, places in decimals.items():
        if column not in out:
            continue
        per_row = _per_row(places, len(out))
        values = [round_half_up(v, p) for v, p in zip(out[column], per_row, strict=True)]
        if per_row and max(per_row) == 0:
            out[column] = pd.array([None if v is None else int(v) for v in values], dtype="Int64")
        else:
            out[column] = pd.array(values, dtype="Float64")
    return out


#: A download's provenance: the object, or its header lines already worded (`Provenance.lines`),
#: as a document that must stay JSON (a report's) carries them.
Header = Provenance | Sequence[tuple[str, str]]


def _block(provenance: Header, lang: str) -> str:
    lines = provenance.lines(lang) if isinstance(provenance, Provenance) else provenance
    return "".join(f"# {label}: {text}".replace(";", ",").replace("\n", " ") + "\n" for label, text in lines)


def csv_machine(frame: pd.DataFrame, decimals: Decimals | None = None) -> bytes:
    """RFC 4180 CSV (UTF-8, ',', decimal point, header row only): see the module docstring."""
    data = rounded(frame, decimals or {})
    return data.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def csv_human(frame: pd.DataFrame, lang: str, provenance: Header | None = None,
              decimals: Decimals | None = None) -> bytes:
    """CSV for spreadsheets in `lang` (fi/sv: ';' and decimal comma, BOM) with the `#` header block."""
    data = rounded(frame, decimals or {})
    buffer = io.StringIO()
    if provenance is not None:
        buffer.write(_block(provenance, lang))
    if lang in ("fi", "sv"):
        data.to_csv(buffer, index=False, sep=";", decimal=",")
    else:
        data.to_csv(buffer, index=False)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def number_format(decimals: int) -> str:
    """The Excel number format of a column with `decimals` places ('#,##0.0')."""
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def excel_bytes(frame: pd.DataFrame, lang: str, provenance: Provenance | None = None,
                decimals: Decimals | None = None, sheet: str | None = None) -> bytes:
    """An .xlsx workbook: the table (numeric cells with number formats) and a provenance sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    decimals = dict(decimals or {})
    data = rounded(frame, decimals)
    book = Workbook()
    table = book.active
    table.title = (sheet or t("downloads.sheet_data", lang))[:31]
    table.append([str(c) for c in data.columns])
    for cell in table[1]:
        cell.font = Font(bold=True)
    formats = {i + 1: _per_row(decimals[c], len(data)) for i, c in enumerate(data.columns) if c in decimals}
    for row in data.itertuples(index=False):
        table.append([_cell(v) for v in row])
    for column, places in formats.items():
        for (cell,), p in zip(table.iter_rows(min_row=2, min_col=column, max_col=column), places, strict=True):
            cell.number_format = number_format(p)
    table.freeze_panes = "A2"
    if provenance is not None:
        meta = book.create_sheet(t("downloads.sheet_about", lang)[:31])
        for label, text in provenance.lines(lang):
            meta.append([label, text])
        for (cell,) in meta.iter_rows(min_col=1, max_col=1):
            cell.font = Font(bold=True)
        meta.column_dimensions["A"].width = 28
        meta.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    """A value openpyxl writes natively: numbers stay numbers, missing values empty cells."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def parquet_bytes(frame: pd.DataFrame, provenance: Provenance, decimals: Decimals | None = None) -> bytes:
    """Parquet with the provenance as key-value metadata of the schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = rounded(frame, decimals or {})
    table = pa.Table.from_pandas(data, preserve_index=False)
    info = provenance.as_dict()
    extra = {
        "kuntamittari.provenance": json.dumps(info, ensure_ascii=False),
        "source": "; ".join(s["name"] for s in info["sources"]),
        "licence": ", ".join(info["licences"]),
        "attribution": info["attribution"],
        "data_vintage": f"{info['data_vintage']['first_period'] or ''}/{info['data_vintage']['last_period'] or ''}",
        "batch_ids": ",".join(str(b) for b in info["batch_ids"]),
    }
    metadata = {**(table.schema.metadata or {}), **{k.encode(): v.encode("utf-8") for k, v in extra.items()}}
    buffer = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(metadata), buffer)
    return buffer.getvalue()


def values_download(frame: pd.DataFrame, lang: str, decimals: int, **options: Any) -> tuple[pd.DataFrame, dict[str, int]]:
    """The metric page's table (`readout.tables.values_table`) for download: the same rows and
    columns, the value column as numbers (None where the table shows words). Returns the frame
    and its numeric columns' decimals for `csv_human` / `excel_bytes`."""
    from readout.build import point_from_row
    from readout.tables import values_table

    table = values_table(frame, lang, decimals, **options)
    column = t("detail.col.value", lang)
    if not frame.empty:
        table[column] = pd.array([round_half_up(point_from_row(r).value, decimals) for r in frame.to_dict("records")],
                                 dtype="Float64")
    return table, {column: decimals}
