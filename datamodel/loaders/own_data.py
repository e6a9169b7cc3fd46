"""Import a municipality's own figures from CSV or Excel, in the conventions Finnish files use.

Two steps, kept apart so an upload page can show the report before anything is written:

- `parse_own_data(data, ...)` is pure (bytes in, `ParseReport` out): the file is read by
  `loaders.tabular` (encoding, separator, header line below any title lines, Finnish numbers,
  Excel formulas without a saved value), columns are mapped to fields (area, period, group,
  value, numerator, denominator, or years as columns), missing markers (`..`, `.`, `-`) are
  counted, areas are resolved by code or by name (NFC + casefold, old names of merged
  municipalities, Swedish names), and values are checked (`loaders.values`: non-finite numbers,
  negative counts, implausible years, damaged text). Every row of the file gets an outcome
  (valid, missing, refused with its reasons, title, header, empty, another variable) and every
  problem its physical line number (header line = 1 in a file without title lines), column and
  value.
- `import_own_data(engine, ...)` writes the valid rows as one batch, and only if nothing was
  rejected unless the caller passes `accept_partial=True`.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from datamodel.areas import AreaIndex, name_key
from datamodel.errors import ConfigError, DataError, InputTooLarge, SourceFormatError, ValidationFailed
from datamodel.loaders.core import BatchInfo, LoadResult, ProgressHook, SeriesMeta, checksum_of, load_observations
from datamodel.loaders.tabular import (
    MISSING_TOKENS,
    RawTable,
    decimal_mark,
    detect_encoding,
    parse_number,
    read_table,
    summarise_marks,
    trim,
)
from datamodel.loaders.values import Issue, check_observations, is_nonfinite_text, text_problem
from datamodel.periods import parse_period
from kuntamittari.i18n import t

__all__ = ["MISSING_TOKENS", "ParseReport", "RowIssue", "RowOutcome", "detect_encoding", "import_own_data",
           "parse_number", "parse_own_data"]

logger = logging.getLogger(__name__)

FIELDS = ("area", "period", "group", "value", "numerator", "denominator", "variable")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
UNSTATED_LICENCE = "unstated"  # stored when the uploader gives no licence (never another source's)
SERIES_CODE = re.compile(r"^own:\d{3}:[a-z0-9][a-z0-9_-]{0,80}$")
OBS_FIELDS = ["series_code", "area_code", "period_code", "group_code", "value", "numerator", "denominator", "status"]
RowIssue = Issue  # one problem of an uploaded file: code, physical row, column, value

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
# Outcome of each physical row; every row of the file has exactly one.
OUTCOMES = ("valid", "missing", "refused", "title", "header", "empty", "other-variable")


@dataclass(frozen=True)
class RowOutcome:
    """What became of one physical row: `status` one of `OUTCOMES`, and the refusal reasons."""

    line: int
    status: str
    codes: tuple[str, ...] = ()


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
    issues: tuple[Issue, ...]
    unknown_areas: tuple[str, ...]
    observations: pd.DataFrame
    checksum: str
    decimal_mark: str | None = None  # "," or "." as the file's numbers use it, "mixed", None: no decimals
    outcomes: tuple[RowOutcome, ...] = ()

    @property
    def file_errors(self) -> tuple[Issue, ...]:
        """Problems with the file as a whole (nothing can be loaded)."""
        return tuple(i for i in self.issues if i.row is None)

    @property
    def rejected_rows(self) -> int:
        """Number of distinct rows with at least one problem."""
        return len({i.row for i in self.issues if i.row is not None})

    @property
    def row_counts(self) -> dict[str, int]:
        """Rows of the file per outcome (every status of `OUTCOMES`, zeros included)."""
        found = Counter(o.status for o in self.outcomes)
        return {status: found.get(status, 0) for status in OUTCOMES}

    @property
    def ok(self) -> bool:
        """True when every row is valid and there is something to load."""
        return not self.issues and len(self.observations) > 0

    def summary(self, lang: str = "fi") -> str:
        """One line for the CLI and the upload page: every row of the file counted, and how it was read."""
        counts = self.row_counts
        separator = {";": "';'", ",": "','", "\t": "tab", "": "-"}.get(self.delimiter, repr(self.delimiter))
        mark = {None: t("valuecheck.report.no_decimals", lang), "mixed": t("valuecheck.report.mixed", lang)}.get(
            self.decimal_mark, f"'{self.decimal_mark}'")
        other = counts["title"] + counts["header"] + counts["empty"] + counts["other-variable"]
        return t(  # each count as its own plural phrase: "1 row", "2 rows"
            "valuecheck.report.summary", lang, lines=t("counts.rows", lang, count=len(self.outcomes)),
            valid=t("valuecheck.report.valid", lang, count=counts["valid"]),
            values=t("counts.values", lang, count=len(self.observations)), missing=counts["missing"],
            refused=t("valuecheck.report.refused", lang, count=counts["refused"]),
            other=t("valuecheck.report.other", lang, count=other),
            encoding=self.encoding, separator=separator, decimal=mark, header_line=self.header_line,
        )


def _is_year_header(name: str) -> bool:
    try:
        parse_period(name)
    except DataError:
        return False
    return True


def _map_columns(header: list[str], mapping: Mapping[str, str] | None) -> tuple[dict[str, int], list[int], list[Issue]]:
    keys = [name_key(h) for h in header]
    result: dict[str, int] = {}
    issues: list[Issue] = []
    for fld, column in (mapping or {}).items():
        if fld not in FIELDS:
            raise ConfigError(f"unknown field {fld!r} in column mapping (fields: {', '.join(FIELDS)})")
        if name_key(column) not in keys:
            issues.append(Issue("unknown-column", column=column, params={"available": ", ".join(header)}))
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


@dataclass
class _Rows:
    """The state of one parse: what the rows of the file produced so far."""

    header: list[str]
    cols: dict[str, int]
    year_cols: list[int]
    fixed_period: str | None
    series_code: str
    areas: AreaIndex
    formulas: Mapping[tuple[int, int], str]
    records: list[dict[str, Any]] = field(default_factory=list)
    where: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (line, field -> column) per record
    issues: list[Issue] = field(default_factory=list)
    unknown: dict[str, int] = field(default_factory=dict)
    seen: dict[tuple[str, str, str], int] = field(default_factory=dict)
    missing: int = 0
    marks: list[str | None] = field(default_factory=list)

    def used_columns(self) -> list[int]:
        return sorted({i for f, i in self.cols.items() if f != "variable"} | set(self.year_cols))

    def damaged(self, line: int, cells: list[str]) -> list[Issue]:
        """Cells of the row whose text is damaged, or that hold a formula Excel never calculated."""
        found = []
        for idx in self.used_columns():
            if (line, idx) in self.formulas:
                found.append(Issue("formula-without-value", line, self.header[idx], self.formulas[(line, idx)]))
            elif code := text_problem(cells[idx]):
                found.append(Issue(code, line, self.header[idx], cells[idx]))
        return found

    def number(self, line: int, column: str, raw: str, issues: list[Issue]) -> float | None:
        try:
            value = parse_number(raw)
        except ValueError:
            issues.append(Issue("non-finite" if is_nonfinite_text(raw) else "bad-number", line, column, raw))
            return None
        if value is not None:
            self.marks.append(decimal_mark(raw))
        return value

    def add_row(self, line: int, cells: list[str]) -> str:
        """Parse one data row; returns its outcome (valid, missing or refused)."""
        damaged = self.damaged(line, cells)
        if damaged:
            self.issues.extend(damaged)
            return "refused"
        cols, header = self.cols, self.header

        def cell(fld: str) -> str:
            return cells[cols[fld]].strip() if fld in cols else ""

        row_issues: list[Issue] = []
        area_raw = cell("area")
        area_code = self.areas.resolve(area_raw) if area_raw else None
        if not area_raw:
            row_issues.append(Issue("missing-area", line, header[cols["area"]], area_raw))
        elif area_code is None:
            row_issues.append(Issue("unknown-area", line, header[cols["area"]], area_raw))
            self.unknown[area_raw] = self.unknown.get(area_raw, 0) + 1
        gender = "total"
        if "group" in cols and (g := name_key(cell("group"))):
            gender = GENDERS.get(g, "")
            if not gender:
                row_issues.append(Issue("bad-group", line, header[cols["group"]], cell("group")))
        nums = {fld: self.number(line, header[cols[fld]], cell(fld), row_issues)
                for fld in ("numerator", "denominator") if fld in cols}
        # One observation per (period, value) pair: a period column, or years as columns.
        if self.year_cols and "value" not in cols:
            pairs = [(header[i], cells[i].strip(), header[i]) for i in self.year_cols]
        else:
            pairs = [(cell("period") if "period" in cols else self.fixed_period or "",
                      cell("value"), header[cols["value"]] if "value" in cols else "")]
        row_records: list[dict[str, Any]] = []
        row_where: list[dict[str, str]] = []
        row_missing = 0
        for period_raw, value_raw, value_col in pairs:
            period_col = header[cols["period"]] if "period" in cols else value_col
            try:
                pcode = parse_period(period_raw).code
            except DataError:
                pcode = ""
                row_issues.append(Issue("bad-period", line, period_col, period_raw))
            failed = len(row_issues)
            value = self.number(line, value_col, value_raw, row_issues) if value_col else None
            if len(row_issues) > failed:
                continue
            if value is None and nums.get("numerator") is None:
                row_missing += 1
                continue
            key = (area_code or "", pcode, gender)
            if key in self.seen:
                row_issues.append(Issue("duplicate", line, value_col or None, value_raw, {"first": self.seen[key]}))
                continue
            row_records.append({
                "series_code": self.series_code, "area_code": area_code, "period_code": pcode,
                "group_code": gender, "value": value, "numerator": nums.get("numerator"),
                "denominator": nums.get("denominator"), "status": "ok",
            })
            row_where.append({"value": value_col, "period": period_col,
                              **{f: header[cols[f]] for f in ("numerator", "denominator") if f in cols}})
        if row_issues:
            self.issues.extend(row_issues)
            return "refused"
        self.missing += row_missing
        for record, where in zip(row_records, row_where, strict=True):
            self.seen[(record["area_code"] or "", record["period_code"], record["group_code"])] = line
            self.records.append(record)
            self.where.append((line, where))
        return "valid" if row_records else "missing"

    def check_values(self, is_count: bool) -> set[int]:
        """The value checks of every loader (`loaders.values`) over the valid rows; returns the
        lines refused, whose records are removed."""
        frame = pd.DataFrame(self.records, columns=OBS_FIELDS)
        meta = SimpleNamespace(code=self.series_code, source="own", is_count=is_count)
        refused: set[int] = set()
        for finding in check_observations(frame, [meta]):
            if finding.position is None:
                continue  # no metadata text here: the title is checked on import
            line, names = self.where[finding.position]
            self.issues.append(Issue(finding.code, line, names.get(finding.field, finding.field), finding.value,
                                     finding.params))
            refused.add(line)
        if refused:
            keep = [i for i, (line, _) in enumerate(self.where) if line not in refused]
            self.records = [self.records[i] for i in keep]
            self.where = [self.where[i] for i in keep]
        return refused


def _file_checks(header: list[str], cols: dict[str, int], year_cols: list[int], fixed_period: str | None) -> list[Issue]:
    issues = [Issue(code, None, h, h) for h in header if (code := text_problem(h))]
    available = {"available": ", ".join(header)}
    if "area" not in cols:
        issues.append(Issue("no-area-column", params=available))
    if "value" not in cols and "numerator" not in cols and not year_cols:
        issues.append(Issue("no-value-column", params=available))
    if "period" not in cols and not year_cols and fixed_period is None:
        issues.append(Issue("no-period-column", params=available))
    return issues


def _variable_issues(table: RawTable, header: list[str], var_idx: int, variable: str | None) -> list[Issue]:
    variables = {(raw + [""] * len(header))[var_idx].strip() for line, raw in table.rows
                 if line > table.header_line and any(c.strip() for c in raw)}
    choices = {"choices": "; ".join(sorted(variables)[:12])}
    if variable is None and len(variables) > 1:
        return [Issue("choose-variable", column=header[var_idx], params=choices)]
    if variable is not None and name_key(variable) not in {name_key(v) for v in variables}:
        return [Issue("unknown-variable", column=header[var_idx], value=variable, params=choices)]
    return []


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
    is_count: bool = False,
) -> ParseReport:
    """Parse and validate without touching a database. `period` fixes the period when the file has
    no period column; `variable` picks one value of a variable column (e.g. PxWeb's 'Tiedot');
    `is_count` says the values are counts (a negative one is refused)."""
    if len(data) > max_bytes:
        raise InputTooLarge(
            f"{filename}: {len(data) / 1e6:.1f} MB is over the limit of {max_bytes / 1e6:.1f} MB"
        )
    if not SERIES_CODE.match(series_code):
        raise ConfigError(f"series code {series_code!r} must look like own:<municipality code>:<slug>, e.g. own:208:kotihoito")
    areas = areas or AreaIndex.bundled()
    table = read_table(data, filename, sheet)
    header = [h.strip() for h in trim(dict(table.rows)[table.header_line])]
    cols, year_cols, issues = _map_columns(header, mapping)
    try:
        fixed_period = parse_period(period).code if period is not None else None
    except DataError as exc:
        raise ConfigError(str(exc)) from exc
    issues += _file_checks(header, cols, year_cols, fixed_period)
    checksum = checksum_of([data, series_code.encode(), repr(sorted((mapping or {}).items())).encode(),
                            f"{period}|{variable}|{sheet}".encode()])
    var_idx = cols.get("variable")
    if not issues and var_idx is not None:
        issues += _variable_issues(table, header, var_idx, variable)
    state = _Rows(header, cols, year_cols, fixed_period, series_code, areas, table.formulas, issues=issues)
    outcomes: dict[int, str] = {}
    for line, raw in table.rows:
        if not any(c.strip() for c in raw):
            outcomes[line] = "empty"
        elif line < table.header_line:
            outcomes[line] = "title"
        elif line == table.header_line:
            outcomes[line] = "header"
        elif state.issues and any(i.row is None for i in state.issues):
            outcomes[line] = "refused"  # the file cannot be read as a table: no row is valid
        else:
            cells = raw + [""] * (len(header) - len(raw))
            if var_idx is not None and variable is not None and name_key(cells[var_idx]) != name_key(variable):
                outcomes[line] = "other-variable"
            else:
                outcomes[line] = state.add_row(line, cells)
    for line in state.check_values(is_count):
        outcomes[line] = "refused"
    reasons: dict[int, list[str]] = {}
    for issue in state.issues:
        if isinstance(issue.row, int):
            reasons.setdefault(issue.row, []).append(issue.code)
    rows_read = sum(1 for status in outcomes.values() if status in ("valid", "missing", "refused"))
    return ParseReport(
        filename=filename, encoding=table.encoding, delimiter=table.delimiter, header_line=table.header_line,
        columns=tuple(header), mapping={f: header[i] for f, i in cols.items()},
        year_columns=tuple(header[i] for i in year_cols), rows_read=rows_read, rows_missing=state.missing,
        issues=tuple(state.issues), unknown_areas=tuple(sorted(state.unknown)),
        observations=pd.DataFrame(state.records, columns=OBS_FIELDS), checksum=checksum,
        decimal_mark=summarise_marks(state.marks),
        outcomes=tuple(RowOutcome(line, status, tuple(reasons.get(line, ()))) for line, status in sorted(outcomes.items())),
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
        variable=variable, sheet=sheet, max_bytes=max_bytes, is_count=is_count,
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
        note=f"encoding {report.encoding}, separator {report.delimiter!r}, decimal mark {report.decimal_mark}, "
             f"header line {report.header_line}",
    )
    result = load_observations(
        engine, report.observations, [meta], batch, checksum=report.checksum,
        rows_rejected=report.rejected_rows,
        details={"rejected_sample": [i.render(Path(filename).name, "en") for i in report.issues[:20]],
                 "unknown_areas": list(report.unknown_areas[:50]), "missing": report.rows_missing,
                 "rows": report.row_counts},
        on_progress=on_progress,
    )
    return report, result
