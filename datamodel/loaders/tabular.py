"""Read a CSV or Excel file into numbered rows, the way Finnish files are written.

Kept apart from `loaders.own_data` (column mapping and validation): this module only answers
"which rows and cells does the file hold, in which encoding, separated how": the encoding (BOM,
UTF-8, Windows-1252, Latin-1), the separator, the header line below any title lines, Finnish
numbers (`12,5`, `12 271`) and the decimal mark they use, and, for Excel, the cells whose
formula has no cached value (openpyxl's `data_only=True` reads them as empty: they are reported,
never taken as missing).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from datamodel.errors import SourceFormatError

MISSING_TOKENS = frozenset({"", "..", ".", "-", "–", "—", "…", "...", "na", "n/a"})
SPACES = dict.fromkeys(map(ord, " \u00a0\u202f\u2009\u2007\t'"), None)
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")

Rows = list[tuple[int, list[str]]]  # (physical line or sheet row, cells)


@dataclass(frozen=True)
class RawTable:
    """A file's rows before any mapping, and how it was read."""

    encoding: str
    delimiter: str
    header_line: int
    rows: Rows
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column) -> formula without value


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


def _normalise(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip() if raw else ""


def parse_number(raw: str) -> float | None:
    """Finnish-aware number: '12,5', '12 271', '1.234,5', '-3', '12 %'; None for missing markers.

    Raises ValueError for text that is neither a number nor a missing marker.
    """
    text = _normalise(raw)
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
    if not _NUMBER.fullmatch(text):
        raise ValueError(raw)
    return float(text)


def decimal_mark(raw: str) -> str | None:
    """The decimal mark `parse_number` reads in a number `raw` ("," or "."), None for a whole number."""
    text = _normalise(raw).translate(SPACES)
    if "," in text and "." in text:
        return "," if text.rfind(",") > text.rfind(".") else "."
    if "," in text:
        return ","
    return "." if "." in text else None


def summarise_marks(marks: Iterable[str | None]) -> str | None:
    """',' or '.' when the file uses one decimal mark, 'mixed' for both, None when it has no decimals."""
    seen = {m for m in marks if m}
    if not seen:
        return None
    return seen.pop() if len(seen) == 1 else "mixed"


def trim(fields: list[str]) -> list[str]:
    """Drop empty trailing fields (a trailing ';' on every line)."""
    out = list(fields)
    while out and not out[-1].strip():
        out.pop()
    return out


def sniff(text: str) -> tuple[str, int, Rows]:
    """Choose the delimiter and the header line: the first line with the modal field count (>= 2)."""
    lines = text.splitlines()
    best: tuple[int, str, int, Rows] | None = None
    for delim in (";", "\t", ","):
        parsed = [(i + 1, next(csv.reader([line], delimiter=delim))) if line.strip() else (i + 1, [])
                  for i, line in enumerate(lines)]
        counts: dict[int, int] = {}
        for _, fields in parsed:
            n = len(trim(fields))
            if n >= 2:
                counts[n] = counts.get(n, 0) + 1
        if not counts:
            continue
        modal = max(counts, key=lambda n: (counts[n], n))
        score = counts[modal] * modal
        if best is None or score > best[0]:
            header = next(i for i, f in parsed if len(trim(f)) == modal)
            best = (score, delim, header, parsed)
    if best is None:
        raise SourceFormatError("no table found: every line has a single column (separator ; , or tab?)")
    _, delim, header, parsed = best
    return delim, header, parsed


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def excel_rows(data: bytes, sheet: str | None) -> tuple[Rows, dict[tuple[int, int], str]]:
    """The sheet's rows as text, and the formula cells that have no cached value.

    The workbook is read twice: with `data_only=True` for the values Excel saved, and as written
    for the formulas, so a formula never calculated (a file written by a program, not saved by
    Excel) is found instead of being read as an empty cell."""
    from openpyxl import load_workbook

    try:
        values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise SourceFormatError(f"not a readable Excel file ({type(exc).__name__})") from exc
    try:
        if sheet and sheet not in values.sheetnames:
            raise SourceFormatError(f"no sheet {sheet!r}; sheets: {', '.join(values.sheetnames)}")
        ws_values = values[sheet] if sheet else values.worksheets[0]
        ws_formulas = formulas[sheet] if sheet else formulas.worksheets[0]
        rows: Rows = []
        uncached: dict[tuple[int, int], str] = {}
        pairs = zip(ws_values.iter_rows(values_only=True), ws_formulas.iter_rows(values_only=True), strict=False)
        for i, (cached, written) in enumerate(pairs):
            line = i + 1
            rows.append((line, [_cell_text(v) for v in cached]))
            for col, (value, formula) in enumerate(zip(cached, written, strict=False)):
                if value is None and isinstance(formula, str) and formula.startswith("="):
                    uncached[(line, col)] = formula
        return rows, uncached
    finally:
        values.close()
        formulas.close()


def read_table(data: bytes, filename: str, sheet: str | None = None) -> RawTable:
    """Read a CSV or Excel file: its rows, encoding, separator and header line."""
    is_excel = filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04"
    if is_excel:
        rows, formulas = excel_rows(data, sheet)
        counts = [len(trim(r)) for _, r in rows]
        widest = max(counts, default=0)
        header_line = next((n for n, r in rows if len(trim(r)) == widest and widest >= 2), 0)
        if not header_line:
            raise SourceFormatError(f"{filename}: no table found in the sheet")
        return RawTable("xlsx", "", header_line, rows, formulas)
    encoding, text = detect_encoding(data)
    if "\x00" in text:
        raise SourceFormatError(f"{filename}: not text in a known encoding (UTF-8, UTF-16 with BOM, Windows-1252)")
    text = unicodedata.normalize("NFC", text)
    delimiter, header_line, rows = sniff(text)
    return RawTable(encoding, delimiter, header_line, rows)
