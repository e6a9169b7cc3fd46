"""Fresh data: one refresh of the whole catalogue from Sotkanet and StatFin, on a schedule.

Entry points for surfaces: `run_refresh(engine, catalog, on_progress=...)` (fetch, load one batch
per source, digest, alerts) and `refresh_status(engine)` (last refreshed, next due). The package
sits at the top of the library layers: refresh -> alerts -> digest -> forecasting -> metrics ->
datamodel.
"""

from refresh.report import Progress, RefreshReport, SeriesOutcome, SourceOutcome
from refresh.run import RefreshBusy, run_refresh
from refresh.schedule import RefreshStatus, refresh_status

__all__ = [
    "Progress", "RefreshBusy", "RefreshReport", "RefreshStatus", "SeriesOutcome", "SourceOutcome",
    "refresh_status", "run_refresh",
]
