"""Import a municipality's own figures from CSV or Excel, in the conventions Finnish files use.

Two steps, kept apart so an upload page can show the report before anything is written:

- `parse_own_data(data, ...)` is pure (bytes in, `ParseReport` out): it detects the encoding
  (BOM, UTF-8, Windows-1252, Latin-1), the separator and the header line below any title lines,
  maps columns to fields (area, period, group, value, numerator, denominator, or years as columns),
  reads Finnish numbers (`12,5`, `12 271`) and missing markers (`..`, `.`, `-`), resolves areas by
  code or by name (NFC + casefold, old names of merged municipalities, Swedish names) and reports
  every rejected row with its physical line number (header line = 1 in a file without title
  lines), column, value and reason.
- `import_own_data(engine, ...)` writes the valid rows as one batch, and only if nothing was
  rejected unless the caller passes `accept_partial=True`.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from datamodel.areas import AreaIndex, name_key
from datamodel.errors import ConfigError, DataError, InputTooLarge, SourceFormatError, ValidationFailed
from datamodel.loaders.core import BatchInfo, LoadResult, ProgressHook, SeriesMeta, checksum_of, load_observations
from datamodel.periods import parse_period
from kuntamittari.i18n import t

logger = logging.getLogger(__name__)

FIELDS = ("area", "period", "group", "value", "numerator", "denominator", "variable")
MISSING_TOKENS = frozenset({"", "..", ".", "-", "–", "—", "…", "...", "na", "n/a"})
SPACES = dict.fromkeys(map(ord, " \u00a0\u202f\u2009\u2007\t'"), None)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
UNSTATED_LICENCE = "unstated"  # stored when the uploader gives no licence (never another source's)
SERIES_CODE = re.compile(r"^own:\d{3}:[a-z0-9][a-z0-9_-]{0,80}$")

# Header synonyms (compared after name_key): Finnish, Swedish, English.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "area": ("alue", "kunta", "kuntakoodi", "aluekoodi", "kunnan nimi", "area", "area code", "kommun",
             "område", "municipality", "region", "code", "koodi", "kunta_koodi", "alue_koodi"),
    "period": ("vuosi", "aika", "ajanjakso", "kausi", "kuukausi", "neljännes", "year", "period", "time",
               "år", "tid", "period_code"),
    "group": ("sukupuoli", "ryhmä", "group", "gender", "sex", "kön", "grupp"),
    "value": ("arvo", "luku", "value", "värde", "tunnusluku"),
    "numerator": ("osoittaja", "lukumäärä", "numerator", "count", "täljare", "antal"),
    "denominator": ("nimittäjä", "denominator", "nämnare", "väestö", "population"),
    "variable": ("tiedot", "muuttuja", "indikaattori", "variable", "indicator", "uppgifter", "variabel"),
}
GENDERS: dict[str, str] = {
    "total": "total", "yhteensä": "total", "kaikki": "total", "molemmat sukupuolet": "total",
    "totalt": "total", "alla": "total", "båda könen": "total", "all": "total", "both": "total",
    "male": "male", "mies": "male", "miehet": "male", "pojat": "male", "m": "male", "män": "male",
    "man": "male", "men": "male",
    "female": "female", "nainen": "female", "naiset": "female", "tytöt": "female", "n": "female",
    "f": "female", "kvinnor": "female", "kvinna": "female", "women": "female", "woman": "female",
}


@dataclass(frozen=True)
class RowIssue:
    """One problem: stable `code`, physical `row` (None for file-level), column, value, params."""

    code: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "fi") -> str:
        """Translated reason, e.g. 'tuntematon alue: Kalajoki2'."""
        return t(f"datamodel.issue.{self.code}", lang, value=self.value, column=self.column, **self.params)

    def render(self, filename: str, lang: str = "fi") -> str:
        """'file.csv:12 Arvo=\"abc\": not a number' (the CLI line format)."""
        where = f"{filename}:{self.row}" if self.row is not None else filename
        col = f" {self.column}" if self.column else ""
        val = f"={self.value!r}" if self.value is not None else ""
        return f"{where}{col}{val}: {self.message(lang)}"


@dataclass(frozen=True)
class ParseReport:
    """Everything `parse_own_data` found; `observations` holds the valid rows only."""

    filename: str
    encoding: str
    delimiter: str
    header_line: int
    columns: tuple[str, ...]
    mapping: Mapping[str, str]
    year_columns: tuple[str, ...]
    rows_read: int
    rows_missing: int
    issues: tuple[RowIssue, ...]
    unknown_areas: tuple[str, ...]
    observations: pd.DataFrame
    checksum: str

    @property
    def file_errors(self) -> tuple[RowIssue, ...]:
        """Problems with the file as a whole (nothing can be loaded)."""
        return tuple(i for i in self.issues if i.row is None)

    @property
    def rejected_rows(self) -> int:
        """Number of distinct rows with at least one problem."""
        return len({i.row for i in self.issues if i.row is not None})

    @property
    def ok(self) -> bool:
        """True when every row is valid and there is something to load."""
        return not self.issues and len(self.observations) > 0

    def summary(self, lang: str = "fi") -> str:
        """One line for the CLI and the upload page."""
        return t(
            "datamodel.import.summary", lang, valid=len(self.observations), rejected=self.rejected_rows,
            missing=self.rows_missing, encoding=self.encoding, header_line=self.header_line,
        )


def detect_encoding(data: bytes) -> tuple[str, str]:
    """(encoding name, decoded text): BOM'd UTF-8/16, UTF-8, else Windows-1252, else Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", data.decode("utf-16")
    try:
        return "utf-8", data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if any(0x80 <= b <= 0x9F for b in data):
        try:
            return "windows-1252", data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    return "iso-8859-1", data.decode("latin-1")


def parse_number(raw: str) -> float | None:
    """Finnish-aware number: '12,5', '12 271', '1.234,5', '-3', '12 %'; None for missing markers.

    Raises ValueError for text that is neither a number nor a missing marker.
    """
    text = unicodedata.normalize("NFKC", raw).strip() if raw else ""
    if text.lower() in MISSING_TOKENS:
        return None
    text = text.translate(SPACES).rstrip("%").replace("\u2212", "-")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        if text.count(",") > 1:
            raise ValueError(raw)
        text = text.replace(",", ".")
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", text):
        raise ValueError(raw)
    return float(text)


def _sniff(text: str) -> tuple[str, int, list[tuple[int, list[str]]]]:
    """Choose the delimiter and the header line: the first line with the modal field count (>= 2)."""
    lines = text.splitlines()
    best: tuple[int, str, int, list[tuple[int, list[str]]]] | None = None
    for delim in (";", "\t", ","):
        parsed = [(i + 1, next(csv.reader([line], delimiter=delim))) if line.strip() else (i + 1, [])
                  for i, line in enumerate(lines)]
        counts: dict[int, int] = {}
        for _, fields in parsed:
            n = len(_trim(fields))
            if n >= 2:
                counts[n] = counts.get(n, 0) + 1
        if not counts:
            continue
        modal = max(counts, key=lambda n: (counts[n], n))
        score = counts[modal] * modal
        if best is None or score > best[0]:
            header = next(i for i, f in parsed if len(_trim(f)) == modal)
            best = (score, delim, header, parsed)
    if best is None:
        raise SourceFormatError("no table found: every line has a single column (separator ; , or tab?)")
    _, delim, header, parsed = best
    return delim, header, parsed


def _trim(fields: list[str]) -> list[str]:
    """Drop empty trailing fields (a trailing ';' on every line)."""
    out = list(fields)
    while out and not out[-1].strip():
        out.pop()
    return out


def _excel_rows(data: bytes, sheet: str | None) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise SourceFormatError(f"not a readable Excel file ({type(exc).__name__})") from exc
    ws = book[sheet] if sheet else book.worksheets[0]
    rows = []
    for i, values in enumerate(ws.iter_rows(values_only=True)):
        cells = ["" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)) for v in values]
        rows.append((i + 1, cells))
    book.close()
    return rows


def _is_year_header(name: str) -> bool:
    try:
        parse_period(name)
    except DataError:
        return False
    return True


def _map_columns(header: list[str], mapping: Mapping[str, str] | None) -> tuple[dict[str, int], list[int], list[RowIssue]]:
    keys = [name_key(h) for h in header]
    result: dict[str, int] = {}
    issues: list[RowIssue] = []
    for fld, column in (mapping or {}).items():
        if fld not in FIELDS:
            raise ConfigError(f"unknown field {fld!r} in column mapping (fields: {', '.join(FIELDS)})")
        if name_key(column) not in keys:
            issues.append(RowIssue("unknown-column", column=column, params={"available": ", ".join(header)}))
            continue
        result[fld] = keys.index(name_key(column))
    for fld, names in SYNONYMS.items():
        if fld in result:
            continue
        for idx, key in enumerate(keys):
            if idx in result.values():
                continue
            if key in names or any(key.startswith(n + " ") for n in names):
                result[fld] = idx
                break
    year_cols = [i for i, h in enumerate(header) if i not in result.values() and _is_year_header(h.strip())]
    return result, year_cols, issues


def parse_own_data(
    data: bytes,
    *,
    filename: str = "<upload>",
    series_code: str,
    areas: AreaIndex | None = None,
    mapping: Mapping[str, str] | None = None,
    period: str | None = None,
    variable: str | None = None,
    sheet: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ParseReport:
    """Parse and validate without touching a database. `period` fixes the period when the file has
    no period column; `variable` picks one value of a variable column (e.g. PxWeb's 'Tiedot')."""
    if len(data) > max_bytes:
        raise InputTooLarge(
            f"{filename}: {len(data) / 1e6:.1f} MB is over the limit of {max_bytes / 1e6:.1f} MB"
        )
    if not SERIES_CODE.match(series_code):
        raise ConfigError(f"series code {series_code!r} must look like own:<municipality code>:<slug>, e.g. own:208:kotihoito")
    areas = areas or AreaIndex.bundled()
    is_excel = filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04"
    if is_excel:
        encoding, delimiter = "xlsx", ""
        rows = _excel_rows(data, sheet)
        counts = [len(_trim(r)) for _, r in rows]
        widest = max(counts, default=0)
        header_line = next((n for n, r in rows if len(_trim(r)) == widest and widest >= 2), 0)
        if not header_line:
            raise SourceFormatError(f"{filename}: no table found in the sheet")
    else:
        encoding, text = detect_encoding(data)
        text = unicodedata.normalize("NFC", text)
        delimiter, header_line, rows = _sniff(text)
    by_line = dict(rows)
    header = [h.strip() for h in _trim(by_line[header_line])]
    cols, year_cols, issues = _map_columns(header, mapping)
    if period is not None:
        try:
            fixed_period = parse_period(period).code
        except DataError as exc:
            raise ConfigError(str(exc)) from exc
    else:
        fixed_period = None
    if "area" not in cols:
        issues.append(RowIssue("no-area-column", params={"available": ", ".join(header)}))
    if "value" not in cols and "numerator" not in cols and not year_cols:
        issues.append(RowIssue("no-value-column", params={"available": ", ".join(header)}))
    if "period" not in cols and not year_cols and fixed_period is None:
        issues.append(RowIssue("no-period-column", params={"available": ", ".join(header)}))
    checksum = checksum_of([data, series_code.encode(), repr(sorted((mapping or {}).items())).encode(),
                            f"{period}|{variable}|{sheet}".encode()])

    records: list[dict[str, Any]] = []
    unknown: dict[str, int] = {}
    seen: dict[tuple[str, str, str], int] = {}
    rows_read = missing = 0
    var_idx = cols.get("variable")
    if not issues and var_idx is not None:
        variables = {(raw + [""] * len(header))[var_idx].strip() for line, raw in rows
                     if line > header_line and any(c.strip() for c in raw)}
        choices = {"choices": "; ".join(sorted(variables)[:12])}
        if variable is None and len(variables) > 1:
            issues.append(RowIssue("choose-variable", column=header[var_idx], params=choices))
        elif variable is not None and name_key(variable) not in {name_key(v) for v in variables}:
            issues.append(RowIssue("unknown-variable", column=header[var_idx], value=variable, params=choices))
    if not issues:
        for line, raw in rows:
            if line <= header_line or not any(c.strip() for c in raw):
                continue
            cells = raw + [""] * (len(header) - len(raw))

            def cell(fld: str) -> str:
                return cells[cols[fld]].strip() if fld in cols else ""

            if var_idx is not None and variable is not None and name_key(cells[var_idx]) != name_key(variable):
                continue
            rows_read += 1
            row_issues: list[RowIssue] = []
            area_raw = cell("area")
            area_code = areas.resolve(area_raw) if area_raw else None
            if not area_raw:
                row_issues.append(RowIssue("missing-area", line, header[cols["area"]], area_raw))
            elif area_code is None:
                row_issues.append(RowIssue("unknown-area", line, header[cols["area"]], area_raw))
                unknown[area_raw] = unknown.get(area_raw, 0) + 1
            gender = "total"
            if "group" in cols:
                g = name_key(cell("group"))
                if g:
                    gender = GENDERS.get(g, "")
                    if not gender:
                        row_issues.append(RowIssue("bad-group", line, header[cols["group"]], cell("group")))
            nums: dict[str, float | None] = {}
            for fld in ("numerator", "denominator"):
                if fld in cols:
                    try:
                        nums[fld] = parse_number(cell(fld))
                    except ValueError:
                        row_issues.append(RowIssue("bad-number", line, header[cols[fld]], cell(fld)))
            # One observation per (period, value) pair: a period column, or years as columns.
            pairs: list[tuple[str, str, str]] = []  # (period raw, value raw, value column)
            if year_cols and "value" not in cols:
                pairs = [(header[i], cells[i].strip(), header[i]) for i in year_cols]
            else:
                pairs = [(cell("period") if "period" in cols else fixed_period or "",
                          cell("value"), header[cols["value"]] if "value" in cols else "")]
            row_records: list[dict[str, Any]] = []
            row_keys: list[tuple[str, str, str]] = []
            row_missing = 0
            for period_raw, value_raw, value_col in pairs:
                try:
                    pcode = parse_period(period_raw).code
                except DataError:
                    pcode = ""
                    col = header[cols["period"]] if "period" in cols else value_col
                    row_issues.append(RowIssue("bad-period", line, col, period_raw))
                value: float | None = None
                if value_col:
                    try:
                        value = parse_number(value_raw)
                    except ValueError:
                        row_issues.append(RowIssue("bad-number", line, value_col, value_raw))
                        continue
                if value is None and nums.get("numerator") is None:
                    row_missing += 1
                    continue
                key = (area_code or "", pcode, gender)
                if key in seen:
                    row_issues.append(RowIssue("duplicate", line, value_col or None, value_raw, {"first": seen[key]}))
                    continue
                row_keys.append(key)
                row_records.append({
                    "series_code": series_code, "area_code": area_code, "period_code": pcode,
                    "group_code": gender, "value": value, "numerator": nums.get("numerator"),
                    "denominator": nums.get("denominator"), "status": "ok",
                })
            if row_issues:
                issues.extend(row_issues)
                continue
            missing += row_missing
            for key in row_keys:
                seen[key] = line
            records.extend(row_records)
    frame = pd.DataFrame(records, columns=[
        "series_code", "area_code", "period_code", "group_code", "value", "numerator", "denominator", "status",
    ])
    return ParseReport(
        filename=filename, encoding=encoding, delimiter=delimiter, header_line=header_line,
        columns=tuple(header), mapping={f: header[i] for f, i in cols.items()},
        year_columns=tuple(header[i] for i in year_cols), rows_read=rows_read, rows_missing=missing,
        issues=tuple(issues), unknown_areas=tuple(sorted(unknown)), observations=frame, checksum=checksum,
    )


def import_own_data(
    engine: Engine,
    source: Path | bytes,
    *,
    series_code: str,
    title: str | None = None,
    filename: str | None = None,
    mapping: Mapping[str, str] | None = None,
    period: str | None = None,
    variable: str | None = None,
    sheet: str | None = None,
    unit: str | None = None,
    is_count: bool = False,
    accept_partial: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_progress: ProgressHook | None = None,
    source_name: str | None = None,
    licence: str | None = None,
    uploaded_by: str | None = None,
    zero_implausible: bool = False,
) -> tuple[ParseReport, LoadResult]:
    """Parse, validate and (if allowed) write. Raises `ValidationFailed` (with the report) when rows
    were rejected and `accept_partial` is False; nothing is written then.

    Provenance stays the uploader's: `source_name` (who published the figures; default "kunta
    <code>"), `licence` as the uploader gives it (default `UNSTATED_LICENCE`) and `uploaded_by`
    are stored with the series and the batch; the upload date is the batch's `loaded_at`, and
    `fetched_at` stays empty (nothing was retrieved from a source). `zero_implausible` declares
    that 0 cannot be real for this series (see `datamodel.quality`)."""
    if isinstance(source, Path):
        try:
            size = source.stat().st_size
        except OSError as exc:
            raise SourceFormatError(f"{source}: cannot read ({exc.strerror})") from exc
        if size > max_bytes:
            raise InputTooLarge(f"{source}: {size / 1e6:.1f} MB is over the limit of {max_bytes / 1e6:.1f} MB")
        data, filename = source.read_bytes(), filename or str(source)
    else:
        data, filename = source, filename or "<upload>"
    with engine.connect() as conn:
        areas = AreaIndex.load(conn)
    report = parse_own_data(
        data, filename=filename, series_code=series_code, areas=areas, mapping=mapping, period=period,
        variable=variable, sheet=sheet, max_bytes=max_bytes,
    )
    if report.file_errors:
        raise ValidationFailed(f"{filename}: {report.file_errors[0].message('en')}", report)
    if report.issues and not accept_partial:
        raise ValidationFailed(
            f"{filename}: {report.rejected_rows} row(s) rejected; nothing loaded (accept a partial load to load the rest)",
            report,
        )
    if report.observations.empty:
        raise ValidationFailed(f"{filename}: no values to load", report)
    municipality = series_code.split(":")[1]
    slug = series_code.split(":", 2)[2]
    publisher = (source_name or "").strip() or f"kunta {municipality}"
    given_licence = (licence or "").strip() or UNSTATED_LICENCE
    meta = SeriesMeta(
        code=series_code, source="own", source_id=slug, title_fi=title or slug, unit=unit, is_count=is_count,
        licence=given_licence, attribution=f"Lähde: {publisher}", source_name=publisher,
        zero_implausible=zero_implausible,
    )
    batch = BatchInfo(
        source="own", loader="own-data", location=Path(filename).name, licence=given_licence,
        attribution=meta.attribution, fetched_at=None, source_name=publisher,
        uploaded_by=(uploaded_by or "").strip() or None,
        note=f"encoding {report.encoding}, header line {report.header_line}",
    )
    result = load_observations(
        engine, report.observations, [meta], batch, checksum=report.checksum,
        rows_rejected=report.rejected_rows,
        details={"rejected_sample": [i.render(Path(filename).name, "en") for i in report.issues[:20]],
                 "unknown_areas": list(report.unknown_areas[:50]), "missing": report.rows_missing},
        on_progress=on_progress,
    )
    return report, result
