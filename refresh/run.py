"""One refresh of the whole catalogue: fetch, load one batch per source, digest, alerts.

`run_refresh` is the library entry point the CLI, the schedule and the data-status page share:

1. every series of approved and draft metrics is fetched from Sotkanet and StatFin PxWeb
   (`refresh.fetch`): only what is due (new years, the last `refresh_revision_years` years again
   for revisions; a Sotkanet indicator whose `data-updated` has not moved is not downloaded);
2. the published values of the affected metrics are read (the digest's "before");
3. each source that answered is loaded as one batch in one transaction (provenance: source,
   URL, fetched at, checksum, licence in `load_batch`); a source that failed writes nothing;
4. per series the report says new periods, revised and unchanged values, or why it failed;
5. the digest of the new batches is computed and stored, and the alerts go out;
6. with `KUNTAMITTARI_PUBLISH_DIR` set, the static public site is published again (`refresh.publish_hook`).

Progress is reported through `on_progress(Progress)` so a page can draw a bar.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import Engine, select, update

from datamodel.errors import DataError, DataModelError, SourceUnavailable
from datamodel.schema import refresh_run, refresh_series_state
from datamodel.sources.http import CallPolicy
from datamodel.sources.sotkanet import SotkanetClient
from datamodel.sources.statfin import StatFinClient
from digest.compute import compute_digest, metric_series
from digest.evidence import batch_changes, revised_values
from digest.snapshot import take_snapshot
from digest.store import save_items
from kuntamittari.settings import get_settings
from metrics.catalog import Catalog, load_catalog
from refresh.fetch import Fetched, fetch_sotkanet, fetch_statfin
from refresh.plan import catalogue_series, known_series
from refresh.publish_hook import publish_after_refresh
from refresh.report import Progress, ProgressCallback, RefreshReport, SourceOutcome
from refresh.schedule import refresh_status

logger = logging.getLogger(__name__)


class RefreshBusy(DataModelError):
    """Another refresh is running on this database."""


def _noop(_: Progress) -> None:
    return None


def _start(engine: Engine, trigger: str) -> tuple[int, datetime]:
    started = datetime.now(UTC)
    with engine.begin() as conn:
        run_id = conn.execute(refresh_run.insert().returning(refresh_run.c.run_id),
                              {"started_at": started, "trigger": trigger, "status": "running"}).scalar_one()
    return int(run_id), started


def _finish(engine: Engine, report: RefreshReport) -> None:
    report.finished_at = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(update(refresh_run).where(refresh_run.c.run_id == report.run_id).values(
            finished_at=report.finished_at, status=report.status, batch_ids=report.batch_ids, report=report.as_dict()))


def _clients(sotkanet: SotkanetClient | None, statfin: StatFinClient | None) -> tuple[SotkanetClient, StatFinClient]:
    s = get_settings()
    sot = sotkanet or SotkanetClient(timeout=s.refresh_timeout_seconds,
                                     policy=CallPolicy.from_settings(s.sotkanet_max_calls, s.sotkanet_time_window_seconds))
    stf = statfin or StatFinClient(timeout=s.refresh_timeout_seconds,
                                   policy=CallPolicy.from_settings(s.statfin_max_calls, s.statfin_time_window_seconds))
    return sot, stf


def _fetch_all(engine: Engine, catalog: Catalog, sot: SotkanetClient, stf: StatFinClient,
               progress: ProgressCallback) -> list[Fetched]:
    s = get_settings()
    plan = catalogue_series(catalog)
    known = known_series(engine, plan["sotkanet"] + plan["statfin"])

    def ticker(stage: str):  # type: ignore[no-untyped-def]
        return lambda done, total, detail: progress(Progress(stage, done, total, detail))

    fetched = []
    if plan["sotkanet"]:
        fetched.append(fetch_sotkanet(engine, sot, plan["sotkanet"], known, revision_years=s.refresh_revision_years,
                                      tick=ticker("sotkanet")))
    if plan["statfin"]:
        fetched.append(fetch_statfin(engine, stf, plan["statfin"], known, revision_years=s.refresh_revision_years,
                                     max_cells=s.statfin_max_cells, tick=ticker("statfin")))
    return fetched


def _outcome(f: Fetched, policy: CallPolicy | None) -> SourceOutcome:
    out = SourceOutcome(f.source, series=list(f.outcomes.values()), requests=policy.calls if policy else 0)
    if f.failure is not None:
        out.status, out.message = "failed", f"{f.failure.url}: {f.failure.reason}"
    return out


def _load(engine: Engine, f: Fetched, out: SourceOutcome) -> None:
    """Load one source's answers as one batch and fill in the per-series figures."""
    if out.status == "failed":
        return
    try:
        result = f.load(engine)
    except DataError as exc:  # rolled back: nothing of this source was written
        out.status, out.message = "failed", str(exc)
        for s in out.series:
            if s.status not in ("failed", "skipped"):
                s.status, s.reason = "not_loaded", str(exc)
        return
    fetched_rows = f.observations().groupby("series_code").size().to_dict() if f.frames else {}
    changes = batch_changes(engine, [result.batch_id]) if result is not None and not result.skipped else {}
    if result is not None and not result.skipped:
        out.status, out.batch_id = "ok", result.batch_id
    for s in out.series:
        if s.status in ("failed", "skipped", "not_loaded"):
            continue
        change = changes.get(s.code)
        s.new_values = change.new_values if change else 0
        s.revised_values = change.revised_values if change else 0
        s.new_periods = change.new_periods if change else []
        s.unchanged_values = max(0, int(fetched_rows.get(s.code, 0)) - s.new_values - s.revised_values)
        s.status = "revised" if s.revised_values else "new" if s.new_values else "unchanged"


def _remember(engine: Engine, run_id: int, outcomes: list[SourceOutcome]) -> None:
    """Store each successfully fetched series' source stamp (next time: skip if unchanged)."""
    now = datetime.now(UTC)
    rows = [(o.source, s) for o in outcomes if o.status != "failed" for s in o.series
            if s.status in ("new", "revised", "unchanged", "skipped")]
    if not rows:
        return
    with engine.begin() as conn:
        known = set(conn.execute(select(refresh_series_state.c.series_code)).scalars())
        for source, s in rows:
            values = {"source": source, "source_updated": s.source_updated, "checked_at": now, "run_id": run_id}
            if s.code in known:
                conn.execute(update(refresh_series_state).where(refresh_series_state.c.series_code == s.code).values(**values))
            else:
                conn.execute(refresh_series_state.insert().values(series_code=s.code, **values))


def _status(outcomes: list[SourceOutcome]) -> str:
    active = [o for o in outcomes if o.series]
    failed = [o for o in active if o.status == "failed"]
    if active and len(failed) == len(active):
        return "failed"
    return "partial" if failed else "ok"


def run_refresh(engine: Engine, catalog: Catalog | None = None, *, trigger: str = "cli",
                on_progress: ProgressCallback | None = None, sotkanet: SotkanetClient | None = None,
                statfin: StatFinClient | None = None, send: bool = True, mailer: object | None = None,
                attachments: object | None = None) -> RefreshReport:
    """Refresh every series the catalogue uses; see the module docstring. Raises `RefreshBusy`.
    `attachments` (an `alerts.send.AttachmentProvider`) adds files to the alert e-mails."""
    progress = on_progress or _noop
    catalog = catalog or load_catalog()
    if refresh_status(engine).running:
        raise RefreshBusy("another refresh is running on this database")
    run_id, started = _start(engine, trigger)
    report = RefreshReport(run_id=run_id, started_at=started)
    sot, stf = _clients(sotkanet, statfin)
    try:
        fetched = _fetch_all(engine, catalog, sot, stf, progress)
        outcomes = [_outcome(f, (sot if f.source == "sotkanet" else stf).policy) for f in fetched]
        report.sources = outcomes
        loading = {f.source: f for f, o in zip(fetched, outcomes, strict=True) if o.status != "failed"}
        touched = set().union(*(f.series_with_data() for f in loading.values())) if loading else set()
        metrics = [m.id for m in catalog.metrics.values() if metric_series(m, catalog) & touched]
        progress(Progress("load", 0, 3, "snapshot"))
        before = take_snapshot(engine, catalog, metrics) if metrics else None
        for f, out in zip(fetched, outcomes, strict=True):
            progress(Progress("load", 1, 3, f.source))
            _load(engine, f, out)
        _remember(engine, run_id, outcomes)
        report.status = _status(outcomes)
        if report.batch_ids and before is not None:
            progress(Progress("digest", 0, 1, ""))
            report.digest_items = _digest(engine, catalog, run_id, before, metrics, outcomes, fetched)
            progress(Progress("digest", 1, 1, ""))
        if send:
            progress(Progress("alerts", 0, 1, ""))
            from alerts.send import send_alerts

            alerts = send_alerts(engine, catalog, mailer=mailer, attachments=attachments)  # type: ignore[arg-type]
            report.alerts = alerts.as_dict()
            progress(Progress("alerts", 1, 1, ""))
    except BaseException:
        report.status = "failed"
        _finish(engine, report)
        raise
    finally:
        if sotkanet is None:
            sot.close()
        if statfin is None:
            stf.close()
    _finish(engine, report)
    publish_after_refresh(engine, report, wait=trigger != "page")
    return report


def _digest(engine: Engine, catalog: Catalog, run_id: int, before, metrics: list[str],  # type: ignore[no-untyped-def]
            outcomes: list[SourceOutcome], fetched: list[Fetched]) -> int:
    batch_of_series = {code: o.batch_id for f, o in zip(fetched, outcomes, strict=True) if o.batch_id is not None
                       for code in f.series_with_data()}
    after = take_snapshot(engine, catalog, metrics)
    entries = compute_digest(engine, catalog, before, after, batch_of_series=batch_of_series,
                             revised=revised_values(engine, sorted(set(batch_of_series.values()))))
    return save_items(engine, entries, run_id)


__all__ = ["RefreshBusy", "SourceUnavailable", "run_refresh"]
