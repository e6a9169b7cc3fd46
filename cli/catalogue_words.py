"""The catalogue commands' summary lines, each number with its own plural phrase.

`kuntamittari catalogue seed/import/export/status` and `kuntamittari init` print how many metric
definitions were added, changed, written...; every count is inserted as a counted phrase
(`catalogue.counted.*`, `counts.*`) so "1 ny" and "2 nya" both read right.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kuntamittari.i18n import t


SHARED = frozenset({"new", "updated", "unchanged"})  # phrases the counts domain holds for every command


def _counted(lang: str, **counts: int) -> dict[str, str]:
    """{kind: "1 new"} for each kind=number (kind names a `catalogue.counted` or shared `counts` phrase)."""
    return {name: t(f"{'counts' if name in SHARED else 'catalogue.counted'}.{name}", lang, count=n)
            for name, n in counts.items()}


def seeded_line(report: Any, directory: Path | str, lang: str) -> str:
    """'Shipped definitions (metrics): 2 added, 0 updated, 40 unchanged, 1 held back (edited here).'"""
    return t("catalogue.seeded", lang, directory=directory, **_counted(
        lang, added=len(report.added), updated=len(report.updated), unchanged=len(report.unchanged),
        held_back=len(report.held_back)))


def imported_line(report: Any, directory: Path | str, lang: str) -> str:
    """'Imported from export/: 1 new, 2 changed, 40 unchanged.'"""
    phrases = _counted(lang, new=len(report.added), changed=len(report.updated), unchanged=len(report.unchanged))
    return t("catalogue.imported", lang, directory=directory, added=phrases["new"], updated=phrases["changed"],
             unchanged=phrases["unchanged"])


def exported_line(report: Any, metrics: int, out: Path | str, lang: str) -> str:
    """'Exported 43 metrics to export/ (1 file written, 42 unchanged).'"""
    phrases = _counted(lang, files_written=len(report.written), unchanged=len(report.unchanged))
    return t("catalogue.exported", lang, metrics=t("counts.metrics", lang, count=metrics), out=out,
             written=phrases["files_written"], unchanged=phrases["unchanged"])


def counts_line(counts: Mapping[str, int], total: int, lang: str) -> str:
    """'43 metrics: 40 approved, 2 drafts, 1 retired' (counts by status)."""
    return t("catalogue.counts", lang, metrics=t("counts.metrics", lang, count=total), **_counted(
        lang, approved=counts.get("approved", 0), draft=counts.get("draft", 0), retired=counts.get("retired", 0)))
