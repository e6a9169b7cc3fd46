"""The data vintage printed in every report: the newest period shown, each source with its licence
and retrieval date (the readout's words), and the load batches behind the figures.

Read from the load batches of the very rows the report shows (`Collected.batches`, the metric
layer's `batch_id` per row), so a report can be traced back to the loads that made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from kuntamittari.i18n import t
from readout.collect import Collected
from readout.formatting import format_date, format_period
from readout.localise import source_text
from readout.model import AreaReadout
from readout.sources import source_of_batch


def vintage(data: Collected, readout: AreaReadout, lang: str, generated: datetime) -> Mapping[str, object]:
    """JSON-ready lines: newest period, one line per source with its batch ids, the date made."""
    by_source: dict[str, list[int]] = {}
    if not data.batches.empty:
        for row in data.batches.sort_values("batch_id").to_dict("records"):
            by_source.setdefault(source_text(source_of_batch(row), lang), []).append(int(row["batch_id"]))
    sources = [t("reports.vintage.source", lang, source=text, batches=", ".join(str(b) for b in ids))
               for text, ids in by_source.items()]
    period = readout.data_period
    return {
        "newest": t("reports.vintage.newest", lang, period=format_period(period, lang)) if period
        else t("reports.vintage.no_data", lang),
        "sources": sources or [t("readout.source.none", lang)],
        "batch_ids": sorted({b for ids in by_source.values() for b in ids}),
        "generated": t("reports.vintage.generated", lang, date=format_date(generated, lang)),
        "label": t("reports.vintage.label", lang),
    }
