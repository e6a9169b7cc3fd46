"""What changed this month: the change digest of one municipality, in the digest's own words.

The one place in `reports` that reads the digest (`digest.digest_for_area`) and its sentences
(`readout.digest`), so that the digest's words come from one place. Items are the digest's
facts, newest load first; a month without loads for the municipality says so and lists the latest changes instead, with their load dates.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from digest import digest_for_area
from readout.digest import item_sentence, kind_label
from kuntamittari.i18n import t
from metrics.catalog import Catalog
from readout.formatting import format_date, format_period

LATEST = 10  # items listed when nothing was loaded in the month


def month_code(year: int, month: int) -> str:
    """The period code of a month ('2026M11'), formatted by the readout's period formatter."""
    return f"{year:04d}M{month:02d}"


def changes_section(engine: Engine, catalog: Catalog, area_code: str, year: int, month: int, lang: str) -> dict[str, Any]:
    """The digest items loaded in the month (or the latest ones, marked as such)."""
    records = digest_for_area(engine, area_code, limit=None)
    in_month = [r for r in records if r.loaded_at is not None and (r.loaded_at.year, r.loaded_at.month) == (year, month)]
    label = format_period(month_code(year, month), lang)
    chosen, note = in_month, ""
    if not in_month:
        chosen, note = records[:LATEST], t("reports.monthly.no_changes", lang, month=label)
    heading = t("reports.monthly.changes_heading" if in_month or not records else "reports.monthly.latest_heading", lang)
    return {
        "heading": heading, "note": note, "count": len(in_month),
        "items": [{"kind": kind_label(r.kind, lang), "text": item_sentence(r, catalog, lang),
                   "loaded": t("reports.monthly.loaded", lang, date=format_date(r.loaded_at, lang)),
                   "batch": r.batch_id} for r in chosen],
    }
