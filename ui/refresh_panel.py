"""The data-status page's refresh section: when data was last refreshed and when the next refresh
is due (everyone), and for the admin role a button that runs the same refresh as
`kuntamittari refresh` with a progress bar, then its per-source lines and per-series table.

The refresh itself is `refresh.run_refresh` (one batch per source, nothing half-written, digest
and alerts); its words are the readout's (`readout.refresh_report`, also used by the CLI).
After a run the cached results are dropped and the page is drawn again, so every section shows
the new data; the run's report and its progress steps stay in the session to be shown.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import streamlit as st

from kuntamittari.i18n import t
from readout.refresh_report import outcome_text, progress_text, run_lines, series_rows, source_line
from readout.vintage import refresh_details
from ui import data
from ui.vintage import is_admin, refresh_state

logger = logging.getLogger(__name__)

REPORT_KEY = "refresh_report"
#: The progress steps of the last run, as (stage, done, total): what the bar went through.
PROGRESS_KEY = "refresh_progress"
#: The share of the bar each stage fills (fetching dominates a refresh).
STAGE_SPAN = {"sotkanet": (0.0, 0.45), "statfin": (0.45, 0.8), "load": (0.8, 0.9), "digest": (0.9, 0.95),
              "alerts": (0.95, 1.0)}


def overall_fraction(progress: Any) -> float:
    """The whole run's progress (0-1) from one stage's `Progress`."""
    low, high = STAGE_SPAN.get(progress.stage, (0.0, 1.0))
    return low + (high - low) * float(progress.fraction)


def draw_refresh_panel(ctx: Any) -> None:
    """The refresh section of the data-status page."""
    lang = ctx.lang
    st.header(t("vintage.refresh.heading", lang), anchor="refresh")
    status = refresh_state(ctx.engine)
    if status is not None:
        st.markdown("\n".join(f"- **{label}:** {value}" for label, value in refresh_details(status, lang).items()))
    if not is_admin(ctx.user):
        return
    st.caption(t("vintage.refresh.intro", lang))
    # Never disabled: a second administrator's click while a refresh runs gets the clear "busy"
    # message from `run_refresh` itself (the list above already says one is running).
    if st.button(t("vintage.refresh.button", lang), key="refresh_run", type="primary", icon=":material/sync:"):
        _run(ctx)
    report = st.session_state.get(REPORT_KEY)
    if report is not None:
        st.progress(1.0, text=t("vintage.refresh.progress.done", lang))
        _draw_report(report, lang)


def _run(ctx: Any) -> None:
    """Run the refresh with a live progress bar; keep the report and draw the page again."""
    from refresh import RefreshBusy, run_refresh

    lang = ctx.lang
    bar = st.progress(0.0, text=t("vintage.refresh.progress.start", lang))
    steps: list[tuple[str, int, int]] = []

    def on_progress(progress: Any) -> None:
        steps.append((progress.stage, progress.done, progress.total))
        bar.progress(overall_fraction(progress), text=progress_text(progress, lang))

    try:
        # No catalogue passed: `run_refresh` reads the metric files as `kuntamittari refresh` does. The
        # page's catalogue leaves out metrics whose series are not in the database yet, and a refresh
        # is exactly what loads them.
        report = run_refresh(ctx.engine, trigger="page", on_progress=on_progress)
    except RefreshBusy:
        bar.empty()
        st.warning(t("vintage.refresh.busy", lang), icon=":material/hourglass_top:")
        return
    except Exception:  # noqa: BLE001 - the run is rolled back; the user gets one sentence
        logger.exception("refresh from the data-status page failed")
        bar.empty()
        st.error(t("vintage.refresh.failed", lang), icon=":material/error:")
        return
    st.session_state[REPORT_KEY] = report
    st.session_state[PROGRESS_KEY] = steps
    data.clear_after_load()
    st.rerun()


def _draw_report(report: Any, lang: str) -> None:
    """The outcome, one line per source, the digest/alert lines and the per-series table."""
    box = {"ok": st.success, "partial": st.warning}.get(report.status, st.error)
    box(outcome_text(report, lang))
    for src in report.sources:
        line = source_line(src, lang)
        if src.status == "failed":
            st.error(line, icon=":material/cloud_off:")
        else:
            st.markdown(f"- {line}")
    for line in run_lines(report, lang):
        st.markdown(f"- {line}")
    rows = series_rows(report.sources, lang)
    if rows:
        with st.expander(t("vintage.refresh.series_heading", lang), expanded=report.status != "ok"):
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
