"""The warehouse as the surfaces see it: opening the database, dimension lists, own-data uploads.

Pages and `ui/` never import the data model; what they need of it besides metric values (the
engine, which years and population groups exist, area names, loading a municipality's own
figures) goes through these functions, so SQL stays below the metric layer's line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from datamodel.areas import AreaIndex
from datamodel.bootstrap import ensure_database
from datamodel.engine import make_engine
from datamodel.errors import DataModelError, InputTooLarge, ValidationFailed
from datamodel.faults import describe
from datamodel.loaders.own_data import import_own_data, parse_own_data
from datamodel.schema import group, period
from kuntamittari.i18n import has, normalise_language, t
from metrics.areas import list_areas, official_names

logger = logging.getLogger(__name__)

__all__ = [
    "DataModelError", "InputTooLarge", "UploadSummary", "ValidationFailed", "age_bands", "area_names",
    "describe_upload", "genders", "import_upload", "open_database", "parse_upload", "years",
]


def open_database(url: str) -> Engine:
    """An engine on `url`, migrated and filled with the bundled data on first use."""
    engine = make_engine(url)
    ensure_database(engine)
    return engine


def years(engine: Engine) -> list[int]:
    """Calendar years present in the period dimension, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(period.c.year).distinct().order_by(period.c.year.desc())).scalars().all()
    return [int(y) for y in rows if y is not None]


def age_bands(engine: Engine) -> list[str]:
    """Age bands present in the group dimension besides 'all'."""
    with engine.connect() as conn:
        rows = conn.execute(select(group.c.age_band).distinct()).scalars().all()
    return sorted(str(b) for b in rows if b and str(b) != "all")


def genders(engine: Engine) -> set[str]:
    """Genders present in the group dimension ('total', 'male', 'female')."""
    with engine.connect() as conn:
        return {str(g) for g in conn.execute(select(group.c.gender).distinct()).scalars() if g}


def area_names(engine: Engine, lang: str) -> dict[str, str]:
    """Area code -> official name in `lang` of each area's newest version (`metrics.areas.official_names`)."""
    return official_names(list_areas(engine))[normalise_language(lang)]


def parse_upload(engine: Engine, data: bytes, **options: Any) -> Any:
    """Parse and validate an own-data upload against the database's areas; nothing is written.
    Returns the loader's `ParseReport` (see `datamodel.loaders.own_data.parse_own_data`)."""
    with engine.connect() as conn:
        areas = AreaIndex.load(conn)
    return parse_own_data(data, areas=areas, **options)


@dataclass(frozen=True)
class UploadSummary:
    """An upload's report in words: how the file was read, every row counted, rows left out."""

    read_as: str
    counts: str
    loaded: int
    missing_rows: tuple[int, ...]
    refused_rows: tuple[int, ...]
    missing_text: str | None


_SEPARATORS = {";": "semicolon", ",": "comma", "\t": "tab"}
_MARKS = {",": "comma", ".": "point", "mixed": "mixed", None: "none"}
_SHOWN_ROWS = 30  # row numbers listed in a sentence; the counts always cover every row


def _row_list(rows: tuple[int, ...]) -> str:
    listed = ", ".join(str(r) for r in rows[:_SHOWN_ROWS])
    return listed + (" …" if len(rows) > _SHOWN_ROWS else "")


def describe_upload(report: Any, lang: str) -> UploadSummary:
    """The parse report (`ParseReport`) in `lang`: the detected encoding, separator and decimal mark,
    and every row of the file counted once (loaded, without a value, refused, titles/headers/empty)."""
    counts = report.row_counts
    encoding_key = f"workshop.upload.encoding.{report.encoding}"
    encoding = t(encoding_key, lang) if has(encoding_key, lang) else report.encoding
    separator_key = _SEPARATORS.get(report.delimiter)
    separator = (t(f"workshop.upload.separator.{separator_key}", lang) if separator_key
                 else t("workshop.upload.separator.other", lang, char=report.delimiter))
    decimal = t(f"workshop.upload.decimal.{_MARKS.get(report.decimal_mark, 'mixed')}", lang)
    key = "read_as_excel" if report.encoding == "xlsx" else "read_as"
    read_as = t(f"workshop.upload.{key}", lang, encoding=encoding, separator=separator, decimal=decimal,
                header_line=report.header_line)
    other = counts["title"] + counts["header"] + counts["empty"] + counts["other-variable"]
    loaded = len(report.observations)
    text = t("workshop.upload.counts", lang, lines=len(report.outcomes), loaded=counts["valid"],
             missing=counts["missing"], refused=counts["refused"], other=other)
    missing = tuple(o.line for o in report.outcomes if o.status == "missing")
    refused = tuple(o.line for o in report.outcomes if o.status == "refused")
    missing_text = t("workshop.upload.missing_rows", lang, rows=_row_list(missing)) if missing else None
    return UploadSummary(read_as, text, loaded, missing, refused, missing_text)


def import_upload(engine: Engine, data: bytes, **options: Any) -> Any:
    """Load a validated upload as a series in one transaction (`import_own_data`)."""
    return import_own_data(engine, data, **options)


def fault_message(exc: BaseException, lang: str) -> str | None:
    """One line a person can act on for a database, disk or network fault (database locked, disk
    full, connection lost ...) in `lang`, or None when `exc` is not such a fault. The technical
    detail (SQL, data rows) never enters the message; surfaces log it instead."""
    fault = describe(exc)
    return fault.message(lang) if fault else None
