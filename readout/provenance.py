"""What every download says about itself: source, licence, attribution, data vintage, load batches.

One builder for every file Kuntamittari hands out (the pages' CSV and Excel, the public
summary's CSV, the API's CSV, Excel, Parquet, JSON-stat and data package), so a table saved on
a desktop or loaded into a city's own system still says where its numbers come from, under
which licence they may be reused, how old they are, which load batches they were read from,
and whether disclosure control ran on them. The sources come from the load batches behind the
values actually in the file (`readout.sources`), never from a default.

`Provenance.lines(lang)` is the human header block (label, text) in fi/sv/en; `as_dict()` is
the same as language-independent data for JSON, Parquet key-value metadata and
`datapackage.json`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from readout.formatting import format_date, format_period
from readout.localise import source_text
from readout.model import AreaReadout, Audience, Source
from readout.sources import sources_of_batches

SERVICE = "Kuntamittari"


@dataclass(frozen=True)
class Provenance:
    """Where a download's figures come from and what was done to them."""

    sources: tuple[Source, ...]
    batch_ids: tuple[int, ...]
    first_period: str | None
    last_period: str | None
    audience: Audience = "public"
    min_counts: tuple[int, ...] = ()  # the disclosure thresholds of the metrics in the file
    title: str = ""
    generated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc).replace(microsecond=0))

    @property
    def licences(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.licence for s in self.sources if s.licence))

    @property
    def retrieved(self) -> datetime | None:
        """The newest retrieval (or upload) date of the sources."""
        dates = [s.retrieved for s in self.sources if s.retrieved is not None]
        return max(dates) if dates else None

    def vintage(self, lang: str) -> str:
        """'2000–2011' (the periods the figures cover) or '–'."""
        if not self.last_period:
            return "–"
        first = format_period(self.first_period, lang) if self.first_period else ""
        last = format_period(self.last_period, lang)
        return last if not first or first == last else f"{first}–{last}"

    def attribution(self, lang: str) -> str:
        """The line a re-user copies: every source by name, and that Kuntamittari processed it."""
        names = "; ".join(dict.fromkeys(s.name for s in self.sources)) or t("readout.source.none", lang)
        return t("downloads.attribution_text", lang, sources=names, service=SERVICE)

    def disclosure(self, lang: str) -> str:
        if self.audience != "public":
            return t("downloads.internal", lang)
        smallest = min((c for c in self.min_counts if c > 0), default=None)
        if smallest is None:
            return t("downloads.public_plain", lang)
        return t("downloads.public_suppressed", lang, n=smallest)

    def lines(self, lang: str) -> list[tuple[str, str]]:
        """The human header block: (label, text) pairs in `lang`."""
        sources = "; ".join(source_text(s, lang) for s in self.sources) or t("readout.source.none", lang)
        rows = [
            (t("downloads.label.title", lang), self.title or SERVICE),
            (t("downloads.label.sources", lang), sources),
            (t("downloads.label.licence", lang), ", ".join(self.licences) or "–"),
            (t("downloads.label.attribution", lang), self.attribution(lang)),
            (t("downloads.label.vintage", lang), self.vintage(lang)),
            (t("downloads.label.retrieved", lang), format_date(self.retrieved, lang) if self.retrieved else "–"),
            (t("downloads.label.batches", lang), ", ".join(str(b) for b in self.batch_ids) or "–"),
            (t("downloads.label.disclosure", lang), self.disclosure(lang)),
            (t("downloads.label.generated", lang), format_date(self.generated_at, lang)),
        ]
        url = get_settings().public_base_url
        if url:
            rows.append((t("downloads.label.service", lang), url))
        return rows

    def as_dict(self) -> dict[str, Any]:
        """The same, language-independent (dates ISO 8601), for JSON and file metadata."""
        return {
            "title": self.title or SERVICE,
            "sources": [
                {"name": s.name, "licence": s.licence, "kind": s.kind,
                 "retrieved": s.retrieved.isoformat() if s.retrieved else None, "uploaded_by": s.uploaded_by}
                for s in self.sources
            ],
            "licences": list(self.licences),
            "attribution": self.attribution("en"),
            "data_vintage": {"first_period": self.first_period, "last_period": self.last_period},
            "retrieved": self.retrieved.isoformat() if self.retrieved else None,
            "batch_ids": list(self.batch_ids),
            "audience": self.audience,
            "disclosure_min_count": min((c for c in self.min_counts if c > 0), default=None),
            "generated_at": self.generated_at.isoformat(),
            "service": SERVICE,
        }


def _periods(values: Iterable[Any]) -> tuple[str | None, str | None]:
    periods = sorted({str(p) for p in values if isinstance(p, str) and p})
    return (periods[0], periods[-1]) if periods else (None, None)


def frame_provenance(frame: pd.DataFrame, batches: pd.DataFrame, *, audience: Audience, title: str = "",
                     min_counts: Sequence[int] = ()) -> Provenance:
    """The provenance of a tidy metric frame (`period`, `value`, `batch_id` columns) given the
    load batches (`metrics.service.load_batches`): only batches behind values in the frame count."""
    ids: list[int] = []
    first = last = None
    if not frame.empty:
        valued = frame[pd.to_numeric(frame["value"], errors="coerce").notna()] if "value" in frame else frame
        if "batch_id" in valued:
            ids = sorted({int(b) for b in valued["batch_id"].dropna()})
        if "period" in valued:
            first, last = _periods(valued["period"].astype(str))
    return Provenance(sources_of_batches(batches, ids), tuple(ids), first, last, audience,
                      tuple(sorted(set(int(c) for c in min_counts))), title)


def readout_provenance(readout: AreaReadout, title: str = "") -> Provenance:
    """The provenance of a municipality's readout (the public summary's downloads)."""
    periods = [p.period for m in readout.metrics for s in m.series for p in s.points if p.value is not None]
    first, last = _periods(periods)
    return Provenance(readout.sources, readout.batch_ids, first, last, readout.audience,
                      tuple(sorted({m.info.min_count for m in readout.metrics})), title)


def sources_provenance(sources: Sequence[Source], frame: pd.DataFrame | None = None, *, audience: Audience = "internal",
                       title: str = "", min_counts: Sequence[int] = ()) -> Provenance:
    """For a page that already has its sources (metric page, compare page): the periods and
    batches from the shown frame when it has them."""
    ids: tuple[int, ...] = ()
    first = last = None
    if frame is not None and not frame.empty:
        if "batch_id" in frame:
            ids = tuple(sorted({int(b) for b in frame["batch_id"].dropna()}))
        if "period" in frame:
            first, last = _periods(frame["period"].astype(str))
    return Provenance(tuple(sources), ids, first, last, audience, tuple(sorted(set(min_counts))), title)
