"""The warehouse as the surfaces see it: opening the database, dimension lists, own-data uploads.

Pages and `ui/` never import the data model; what they need of it besides metric values (the
engine, which years and population groups exist, area names, loading a municipality's own
figures) goes through these functions, so SQL stays below the metric layer's line.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, select

from datamodel.areas import AreaIndex
from datamodel.bootstrap import ensure_database
from datamodel.engine import make_engine
from datamodel.errors import DataModelError, InputTooLarge, ValidationFailed
from datamodel.faults import describe
from datamodel.loaders.own_data import import_own_data, parse_own_data
from datamodel.schema import area, group, period

logger = logging.getLogger(__name__)

__all__ = [
    "DataModelError", "InputTooLarge", "ValidationFailed", "age_bands", "area_names", "genders",
    "import_upload", "open_database", "parse_upload", "years",
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
    """Area code -> official name in `lang` (Finnish where there is none), newest version last."""
    column = {"sv": area.c.name_sv, "en": area.c.name_en}.get(lang, area.c.name_fi)
    with engine.connect() as conn:
        rows = conn.execute(select(area.c.code, area.c.name_fi, column).order_by(area.c.valid_from)).all()
    return {code: (local or fi) for code, fi, local in rows}


def parse_upload(engine: Engine, data: bytes, **options: Any) -> Any:
    """Parse and validate an own-data upload against the database's areas; nothing is written.
    Returns the loader's `ParseReport` (see `datamodel.loaders.own_data.parse_own_data`)."""
    with engine.connect() as conn:
        areas = AreaIndex.load(conn)
    return parse_own_data(data, areas=areas, **options)


def import_upload(engine: Engine, data: bytes, **options: Any) -> Any:
    """Load a validated upload as a series in one transaction (`import_own_data`)."""
    return import_own_data(engine, data, **options)


def fault_message(exc: BaseException, lang: str) -> str | None:
    """One line a person can act on for a database, disk or network fault (database locked, disk
    full, connection lost ...) in `lang`, or None when `exc` is not such a fault. The technical
    detail (SQL, data rows) never enters the message; surfaces log it instead."""
    fault = describe(exc)
    return fault.message(lang) if fault else None
