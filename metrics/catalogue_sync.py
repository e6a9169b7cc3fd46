"""Files <-> the warehouse's catalogue: the shipped seed, export and import.

**Seed.** The files of `settings.metrics_dir` (the shipped `metrics/definitions/`) seed the
catalogue on a process's first read (`ensure_seeded`) and on `kuntamittari init`. The rule for
a shipped file that changed since it was seeded (a new release):

- a metric not in the catalogue is added (kind `seed`);
- a metric whose current version is a seed (nobody edited it here) gets the new shipped text as
  its next version (kind `seed`): upgrades reach metrics nobody touched;
- a metric edited here (its current version was saved or imported) is **not** overwritten: the
  new shipped text is kept beside it as a `shipped` row (shown in the history, restorable as a
  draft on the authoring page) and `kuntamittari catalogue status` lists it. Nothing local is
  replaced silently, and the same shipped text is held back only once.

Seeding runs in one transaction; two replicas starting at once race on the unique key and the
loser simply reads what the winner wrote (PostgreSQL takes an advisory lock first).

**Export / import.** `export_catalogue` writes every current version as `<theme>/<id>.yaml` plus
`.catalogue-versions.json` (the version each file was exported at), so git can be the review
tool. `import_catalogue` validates the directory with the same validator first (nothing is
written when a file has an error), then appends a version (kind `import`) for each file whose
text differs; with the versions file, a metric edited in the app since the export is refused as
a conflict, exactly like a concurrent save, unless `force` (a successful import updates the file).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from datamodel.catalogue_schema import metric_version as mv
from kuntamittari.settings import get_settings
from metrics.authoring_store import METRIC_ID_PATTERN, THEME_PATTERN, atomic_write_text, fingerprint
from metrics.catalogue_store import (
    CatalogueRow,
    catalogue_version,
    current_row,
    current_rows,
    insert_version,
    keep_copy,
    row_from,
)

logger = logging.getLogger(__name__)

VERSIONS_FILE = ".catalogue-versions.json"
SEED_AUTHOR = "kuntamittari (shipped)"
_seeded: set[str] = set()
_seed_lock = threading.Lock()


class CatalogueSyncError(Exception):
    """An import or export that cannot be done; the message names the file or metric."""


@dataclass
class SyncReport:
    """What a seed, import or export did, metric ids per outcome."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    held_back: list[str] = field(default_factory=list)  # seed: edited here; import: conflict
    skipped: list[str] = field(default_factory=list)  # files that are not metric files (with the reason)
    written: list[Path] = field(default_factory=list)  # export


@lru_cache(maxsize=4)
def _engine_for(url: str) -> Engine:
    from metrics.warehouse import open_database

    return open_database(url)


def configured_engine() -> Engine:
    """The configured database (migrated), one engine per URL for the process."""
    return _engine_for(get_settings().resolved_database_url)


# ---------------------------------------------------------------------------- reading files


@dataclass(frozen=True)
class SourceFile:
    metric_id: str
    theme: str
    text: str
    path: Path


def _theme(path: Path, root: Path, text_: str) -> str:
    """A metric file's theme: its `theme` key when usable as a folder, else its folder."""
    try:
        data = yaml.safe_load(text_)
    except yaml.YAMLError:
        data = None
    declared = data.get("theme") if isinstance(data, dict) else None
    rel = path.relative_to(root)
    folder = rel.parts[0] if len(rel.parts) > 1 else ""
    if isinstance(declared, str) and THEME_PATTERN.match(declared):
        return declared
    return folder or "unsorted"  # a bad `theme` is the validator's to report, as for a file


def read_directory(root: Path) -> tuple[list[SourceFile], list[str]]:
    """Every `*.yaml` under `root` as (id = file stem, theme, text), as the file catalogue keys
    them. Files whose id or theme cannot be a catalogue key, and a second file of an id already
    read, are listed as skipped with the reason (the file catalogue reports them as errors)."""
    files: list[SourceFile] = []
    skipped: list[str] = []
    seen: dict[str, Path] = {}
    for path in sorted(root.rglob("*.yaml")):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        try:
            text_ = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            skipped.append(f"{path}: {exc}")
            continue
        metric_id, theme = path.stem, _theme(path, root, text_)
        if not METRIC_ID_PATTERN.match(metric_id) or not THEME_PATTERN.match(theme):
            skipped.append(f"{path}: id {metric_id!r} / theme {theme!r} is not usable")
        elif metric_id in seen:
            skipped.append(f"{path}: id {metric_id!r} is already {seen[metric_id]}")
        else:
            seen[metric_id] = path
            files.append(SourceFile(metric_id, theme, text_, path))
    return files, skipped


# ---------------------------------------------------------------------------- seed


def _last_shipped(conn: Connection, metric_id: str) -> CatalogueRow | None:
    stmt = (select(mv).where(mv.c.metric_id == metric_id, mv.c.kind.in_(("seed", "shipped")))
            .order_by(mv.c.version_id.desc()).limit(1))
    record = conn.execute(stmt).first()
    return row_from(record) if record is not None else None


def _seed_one(conn: Connection, source: SourceFile, report: SyncReport) -> None:
    current = current_row(conn, source.metric_id)
    sha = fingerprint(source.text)
    if current is None:
        insert_version(conn, source.metric_id, source.theme, source.text, expected=0, kind="seed", author=SEED_AUTHOR)
        report.added.append(source.metric_id)
        return
    shipped = _last_shipped(conn, source.metric_id)
    if current.sha256 == sha or (shipped is not None and shipped.sha256 == sha):
        report.unchanged.append(source.metric_id)
    elif current.kind == "seed":
        insert_version(conn, source.metric_id, source.theme, source.text, expected=current.version or 0,
                       kind="seed", author=SEED_AUTHOR)
        report.updated.append(source.metric_id)
    else:
        keep_copy(conn, source.metric_id, source.theme, source.text, kind="shipped", author=SEED_AUTHOR,
                  based_on=current.version)
        report.held_back.append(source.metric_id)
        logger.warning("shipped definition of %s changed but the metric was edited here (version %s by %s): "
                       "kept as a shipped copy in its history, not applied", source.metric_id, current.version,
                       current.author or "-")


def seed_catalogue(engine: Engine, directory: Path | None = None, attempts: int = 3) -> SyncReport:
    """Bring the shipped files of `directory` (default settings.metrics_dir) into the catalogue
    by the seed rule above; one transaction, retried when another replica seeds at the same time."""
    root = Path(directory) if directory is not None else Path(get_settings().metrics_dir)
    files, skipped = read_directory(root)
    for attempt in range(1, attempts + 1):
        report = SyncReport(skipped=list(skipped))
        try:
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('kuntamittari.catalogue_seed'))"))
                for source in files:
                    _seed_one(conn, source, report)
        except (IntegrityError, OperationalError) as exc:  # a replica seeding at the same moment
            if attempt == attempts:
                raise
            logger.info("catalogue seed raced another process (%s); reading again", type(exc).__name__)
            continue
        if report.added or report.updated or report.held_back:
            logger.info("catalogue seeded from %s: %d added, %d updated, %d held back", root, len(report.added),
                        len(report.updated), len(report.held_back))
        return report
    raise AssertionError("unreachable")  # pragma: no cover


def ensure_seeded(engine: Engine) -> None:
    """Seed once per process and database (the first catalogue read after a start)."""
    key = engine.url.render_as_string(hide_password=False)
    if key in _seeded:
        return
    with _seed_lock:
        if key in _seeded:
            return
        seed_catalogue(engine)
        _seeded.add(key)


def database_catalogue_key(engine: Engine) -> str:
    """The catalogue's version key after the first-start seed (what page caches are keyed by)."""
    ensure_seeded(engine)
    return catalogue_version(engine)


def directory_fingerprint(directory: Path) -> str:
    """Newest mtime and count of a catalogue directory's YAML files: changes whenever a file is saved."""
    if not directory.is_dir():
        return f"{directory}|missing"
    stamps = [p.stat().st_mtime_ns for p in directory.rglob("*.yaml")]
    return f"{directory}|{len(stamps)}|{max(stamps, default=0)}"


def configured_catalogue_key(engine: Engine, directory: Path) -> str:
    """The key of the catalogue every surface reads (pages, API): the warehouse catalogue's version,
    or with `catalogue_source = "directory"` the fingerprint of `directory`. One rule, so the API
    never serves another catalogue than the pages."""
    if get_settings().catalogue_source == "database":
        return database_catalogue_key(engine)
    return directory_fingerprint(directory)


def forget_seeded() -> None:
    """Drop the per-process memo (tests that recreate a database)."""
    with _seed_lock:
        _seeded.clear()


def pending_shipped(engine: Engine) -> list[tuple[CatalogueRow, CatalogueRow]]:
    """(current version, newer held-back shipped text) for metrics edited here whose shipped file changed."""
    pending = []
    with engine.begin() as conn:
        for current in current_rows(conn):
            shipped = _last_shipped(conn, current.metric_id)
            if shipped is not None and shipped.kind == "shipped" and shipped.version_id > current.version_id:
                pending.append((current, shipped))
    return pending


# ---------------------------------------------------------------------------- export / import


def export_catalogue(engine: Engine, out: Path) -> SyncReport:
    """Write every current version to `out/<theme>/<id>.yaml` (atomically) and the versions file.

    A file of the same metric elsewhere under `out` (its theme changed) is removed, so the
    directory validates as a catalogue.
    """
    report = SyncReport()
    rows = current_rows(engine)
    out.mkdir(parents=True, exist_ok=True)
    for row in rows:
        target = out / row.theme / f"{row.metric_id}.yaml"
        for stale in out.rglob(f"{row.metric_id}.yaml"):
            if stale != target:
                stale.unlink()
        if target.is_file() and target.read_text(encoding="utf-8") == row.text:
            report.unchanged.append(row.metric_id)
        else:
            atomic_write_text(target, row.text)
            report.written.append(target)
    versions = {row.metric_id: row.version for row in rows}
    atomic_write_text(out / VERSIONS_FILE, json.dumps(versions, indent=1, sort_keys=True) + "\n")
    return report


def _exported_versions(directory: Path) -> dict[str, int] | None:
    path = directory / VERSIONS_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): int(v) for k, v in data.items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise CatalogueSyncError(f"{path}: not a versions file ({exc})") from None


def import_catalogue(engine: Engine, directory: Path, *, author: str = "", force: bool = False) -> SyncReport:
    """Append the directory's changed files as new versions, all or nothing.

    The directory must validate (the same validator as the app); otherwise `CatalogueSyncError`
    names the first errors and nothing is written. Metrics in the catalogue but not in the
    directory are left as they are (retire a metric with `status: retired`).
    """
    from metrics.catalog import load_catalog

    checked = load_catalog(directory)
    if checked.errors:
        shown = "; ".join(issue.render() for issue in checked.errors[:5])
        raise CatalogueSyncError(f"{len(checked.errors)} error(s) in {directory}, nothing imported: {shown}")
    exported = None if force else _exported_versions(directory)
    files, skipped = read_directory(directory)
    report = SyncReport(skipped=skipped)
    try:
        with engine.begin() as conn:
            for source in files:
                _import_one(conn, source, exported, author, report)
            if report.held_back:
                raise _Refused()
    except _Refused:
        raise CatalogueSyncError(
            f"changed in the catalogue since the export, nothing imported: {', '.join(report.held_back)} "
            "(export again and merge, or import with --force)") from None
    except IntegrityError:
        raise CatalogueSyncError("the catalogue changed during the import; nothing imported, run it again") from None
    if exported is not None:  # the directory now matches these versions: the next import checks against them
        exported.update({row.metric_id: row.version or 0 for row in current_rows(engine)
                         if row.metric_id in set(report.added) | set(report.updated)})
        atomic_write_text(directory / VERSIONS_FILE, json.dumps(exported, indent=1, sort_keys=True) + "\n")
    return report


class _Refused(Exception):
    """Rolls the import's transaction back when a metric was edited since the export."""


def _import_one(conn: Connection, source: SourceFile, exported: dict[str, int] | None, author: str,
                report: SyncReport) -> None:
    current = current_row(conn, source.metric_id)
    version = current.version if current is not None and current.version is not None else 0
    if current is not None and current.text == source.text:
        report.unchanged.append(source.metric_id)
        return
    if exported is not None and exported.get(source.metric_id, 0) != version:
        report.held_back.append(source.metric_id)
        return
    if insert_version(conn, source.metric_id, source.theme, source.text, expected=version, kind="import",
                      author=author) is None:
        report.held_back.append(source.metric_id)
        return
    (report.updated if current is not None else report.added).append(source.metric_id)
