"""Commands for the metric catalogue in the warehouse, and the readiness check of a replica.

- `kuntamittari catalogue export --out DIR`: every current definition as `<theme>/<id>.yaml`
  (plus `.catalogue-versions.json`), for review in git or a backup.
- `kuntamittari catalogue import DIR`: the directory's changed files as new versions, after the
  same validation as the app; refused (nothing written) when a metric was edited in the app
  since the export, unless `--force`.
- `kuntamittari catalogue seed [--dir DIR]`: bring the shipped definitions in (the rule in
  `metrics.catalogue_sync`: never over a local edit); `init` and every app start do it too.
- `kuntamittari catalogue status` / `catalogue history ID`: where the catalogue is, its counts,
  shipped updates held back, and one metric's versions with author and time.
- `kuntamittari health [--url http://127.0.0.1:8501] [--wait 60]`: readiness (database,
  migrations, catalogue, optionally the Streamlit server); exit 0 ready, 1 not ready.

Exit codes: 0 ok, 1 refused / not ready / data error, 2 usage or configuration error.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from cli.options import DbOpt, say

from cli.catalogue_words import counts_line, exported_line, imported_line, seeded_line
from cli.datamodel import DATA_SPECIAL, err, out
from cli.database import open_engine
from cli.guard import guarded
from datamodel.errors import ConfigError, DataModelError
from kuntamittari.i18n import configured_language, t
from kuntamittari.settings import get_settings
from metrics.authoring_store import StoreError
from metrics.catalogue_sync import CatalogueSyncError, SyncReport

catalogue_app = typer.Typer(help="The metric catalogue in the database: export, import, seed, status, history.",
                            no_args_is_help=True)


#: a refused import or store operation is one line and exit 1, like any data error
_refusals = guarded(usage=(ConfigError,), failure=(CatalogueSyncError, StoreError, DataModelError), special=DATA_SPECIAL)


def _require_database() -> None:
    settings = get_settings()
    if settings.catalogue_source != "database":
        say(err, "error: " + t("catalogue.directory_mode", configured_language(), directory=settings.metrics_dir))
        raise typer.Exit(2)


def _skipped(report: SyncReport) -> None:
    for line in report.skipped:
        say(err, t("catalogue.skipped", configured_language(), detail=line))


@catalogue_app.command("export")
@_refusals
def export(out_dir: Annotated[Path, typer.Option("--out", help="Directory to write <theme>/<id>.yaml into.")],
           db: DbOpt = None) -> None:
    """Write every current metric definition of the database catalogue as YAML files."""
    from metrics.catalogue_store import current_rows
    from metrics.catalogue_sync import ensure_seeded, export_catalogue

    _require_database()
    engine = open_engine(db)
    ensure_seeded(engine)
    report = export_catalogue(engine, out_dir)
    say(out, exported_line(report, len(current_rows(engine)), out_dir, configured_language()))


@catalogue_app.command("import")
@_refusals
def import_(directory: Annotated[Path, typer.Argument(help="A directory of metric files (e.g. an edited export).")],
            author: Annotated[str, typer.Option("--author", help="Recorded as the author of the new versions.")] = "",
            force: Annotated[bool, typer.Option("--force", help="Import even metrics edited in the app since the export.")] = False,
            db: DbOpt = None) -> None:
    """Validate a directory of metric files and add its changed files as new versions (all or nothing)."""
    from metrics.catalogue_sync import ensure_seeded, import_catalogue

    _require_database()
    if not directory.is_dir():
        say(err, "error: " + t("cli.not_a_directory", configured_language(), path=directory))
        raise typer.Exit(2)
    engine = open_engine(db)
    ensure_seeded(engine)
    report = import_catalogue(engine, directory, author=author or "cli import", force=force)
    _skipped(report)
    say(out, imported_line(report, directory, configured_language()))


@catalogue_app.command("seed")
@_refusals
def seed(directory: Annotated[Path | None, typer.Option("--dir", help="Shipped definitions (default: settings.metrics_dir).")] = None,
         db: DbOpt = None) -> None:
    """Bring the shipped definitions into the database catalogue (never over a local edit)."""
    from metrics.catalogue_sync import seed_catalogue

    _require_database()
    root = directory or get_settings().metrics_dir
    report = seed_catalogue(open_engine(db), root)
    _skipped(report)
    say(out, seeded_line(report, root, configured_language()))


@catalogue_app.command("status")
@_refusals
def status(db: DbOpt = None) -> None:
    """Where the catalogue is, how many metrics by status, and shipped updates held back."""
    from metrics.catalogue_store import catalogue_version, current_rows
    from metrics.catalogue_sync import ensure_seeded, pending_shipped

    settings = get_settings()
    lang = configured_language()
    if settings.catalogue_source != "database":
        say(out, t("catalogue.source_directory", lang, directory=settings.metrics_dir))
        return
    engine = open_engine(db)
    ensure_seeded(engine)
    rows = current_rows(engine)
    counts = Counter(row.status for row in rows)
    say(out, t("catalogue.source_database", lang, url=engine.url.render_as_string(hide_password=True),
                version=catalogue_version(engine)))
    say(out, counts_line(counts, len(rows), lang))
    pending = pending_shipped(engine)
    for current, shipped in pending:
        say(out, t("catalogue.pending", lang, metric_id=current.metric_id, version=current.version,
                    author=current.author or "-", label=shipped.label))
    if not pending:
        say(out, t("catalogue.no_pending", lang))


@catalogue_app.command("history")
@_refusals
def history(metric_id: Annotated[str, typer.Argument(help="Metric id, e.g. population.")], db: DbOpt = None) -> None:
    """Every version of one metric, newest first: label, kind, time, author, status."""
    from metrics.catalogue_store import DatabaseMetricStore

    _require_database()
    rows = DatabaseMetricStore(open_engine(db)).rows(metric_id)
    if not rows:
        say(err, t("catalogue.history_none", configured_language(), metric_id=metric_id))
        raise typer.Exit(1)
    for row in rows:
        say(out, t("catalogue.history_line", configured_language(), label=row.label, kind=row.kind, author=row.author or "-",
                    when=row.created_at.strftime("%Y-%m-%d %H:%M:%S"), status=row.status or "-"))


def health(
    db: DbOpt = None,
    url: Annotated[str | None, typer.Option("--url", help="Also check this Streamlit server's /_stcore/health.")] = None,
    wait: Annotated[float, typer.Option("--wait", min=0, help="Keep checking up to this many seconds until ready.")] = 0,
    timeout: Annotated[float, typer.Option("--timeout", min=0.5, help="Seconds per connection attempt.")] = 5.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
) -> None:
    """Readiness of this installation: database reachable, migrations at head, catalogue loads."""
    from metrics.readiness import check_readiness, wait_until

    lang = configured_language()
    checks = wait_until(lambda: check_readiness(db, url, timeout), wait)
    ready = all(c.ok for c in checks)
    if as_json:
        payload = {"ready": ready, "checks": [{"name": c.name, "ok": c.ok, "code": c.key, **c.params} for c in checks]}
        say(out, json.dumps(payload, ensure_ascii=False, default=str))
    else:
        for c in checks:
            state = t("catalogue.health.ok" if c.ok else "catalogue.health.fail", lang)
            say(out if c.ok else err, t("catalogue.health.line", lang, name=t(f"catalogue.health.name.{c.name}", lang),
                                         state=state, detail=t(f"catalogue.health.{c.key}", lang, **c.params)))
        names = ", ".join(t(f"catalogue.health.name.{c.name}", lang) for c in checks if not c.ok)
        say(out if ready else err, t("catalogue.health.ready", lang) if ready else
             t("catalogue.health.not_ready", lang, names=names))
    if not ready:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the `catalogue` command group and `health` to `app`."""
    app.add_typer(catalogue_app, name="catalogue")
    app.command("health")(health)
