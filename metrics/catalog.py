"""The catalogue: every metric file of a directory (or every metric text of the warehouse's
catalogue), validated, indexed, with its issues.

One bad file never takes the app down: files with errors are left out of `metrics` and their
problems listed in `issues`, so pages show the rest and the data-quality page shows the list
(`broken_files`). A file is size-checked before it is read, and a file whose parsing fails in
an unforeseen way (a bug, a pathological input) becomes an issue naming it, not an exception.
Phase 2 rules (unique ids, references, cycles, series in the database, disclosure links) run
over the whole set.

Where the texts come from is one setting (`catalogue_source`): the YAML files of a directory, or
the current versions in the warehouse (`metrics.catalogue_store`, shared by every app replica).
Both go through the same phase 1 (`yaml_io.parse_metric_text`) and phase 2 (`rules`,
disclosure links); a text from the database is named `catalogue:<theme>/<id>.yaml` in issues.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from kuntamittari.settings import PROJECT_ROOT, get_settings
from metrics.catalogue_store import DISPLAY_ROOT, catalogue_version, current_rows
from metrics.disclosure_links import rule_disclosure_links
from metrics.errors import MetricNotFound
from metrics.issues import Issue, Report, hint
from metrics.issues import issue as make_issue
from metrics.model import AnyMetric, MetricStatus, Theme
from metrics.rules import run_rules
from metrics.yaml_io import MAX_FILE_CHARS, ParsedFile, parse_metric_text

logger = logging.getLogger(__name__)


@dataclass
class Catalog:
    """Valid metrics by id, the issues found, and the file each metric came from."""

    metrics: dict[str, AnyMetric] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    directory: Path | None = None
    source: str = "directory"  # or "database"
    version: str = ""  # the database catalogue's version key when it was read

    def get(self, metric_id: str) -> AnyMetric:
        """The metric `metric_id`, or MetricNotFound with a did-you-mean."""
        try:
            return self.metrics[metric_id]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(metric_id, list(self.metrics), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise MetricNotFound(f"no valid metric '{metric_id}' in the catalogue{hint}") from None

    def approved(self) -> list[AnyMetric]:
        """Approved metrics in a stable order (theme order, then id)."""
        themes = list(Theme)
        return sorted(
            (m for m in self.metrics.values() if m.status is MetricStatus.APPROVED),
            key=lambda m: (themes.index(m.theme), m.id),
        )

    def by_theme(self, include_drafts: bool = False) -> dict[Theme, list[AnyMetric]]:
        """Metrics grouped by theme (every theme present, possibly empty); retired never."""
        out: dict[Theme, list[AnyMetric]] = {theme: [] for theme in Theme}
        for metric in sorted(self.metrics.values(), key=lambda m: m.id):
            if metric.status is MetricStatus.APPROVED or (include_drafts and metric.status is MetricStatus.DRAFT):
                out[metric.theme].append(metric)
        return out

    def report(self) -> Report:
        return Report(tuple(self.issues), len(self.metrics))

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    def broken_files(self) -> list[BrokenFile]:
        """Files left out of the catalogue because of errors, each with its first error (for data status)."""
        loaded = {_display_path(p) for p in self.files.values()}
        by_file: dict[str, list[Issue]] = {}
        for issue in self.errors:
            if issue.file not in loaded:
                by_file.setdefault(issue.file, []).append(issue)
        return [
            BrokenFile(file, tuple(dict.fromkeys(i.code for i in found)), found[0].render())
            for file, found in sorted(by_file.items())
        ]


@dataclass(frozen=True)
class BrokenFile:
    """A metric file the catalogue could not accept: its codes ('formula-too-long', ...) and first message."""

    file: str
    codes: tuple[str, ...]
    message: str


def _display_path(path: Path) -> str:
    if str(path).startswith(DISPLAY_ROOT):  # a text of the warehouse's catalogue
        return path.as_posix()
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _parse_file(path: Path) -> ParsedFile:
    """Phase 1 for one file, whatever it holds: every failure becomes an issue naming the file."""
    shown = _display_path(path)
    try:
        size = path.stat().st_size
        if size > 4 * MAX_FILE_CHARS:  # up to 4 bytes a character: refused before it is read
            return ParsedFile(None, [make_issue("error", "yaml-too-large", shown, None, None, "too_large",
                                                {"max": MAX_FILE_CHARS}, hint("split_formula"))])
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return ParsedFile(None, [make_issue("error", "unreadable", shown, None, None, "unreadable", {"detail": str(exc)}, hint("save_utf8"))])
    return _parse_text(text, shown)


def _parse_text(text: str, shown: str) -> ParsedFile:
    """Phase 1 for one text (a file's or a catalogue row's): a crash costs this text, not the catalogue."""
    try:
        return parse_metric_text(text, shown)
    except Exception as exc:  # noqa: BLE001 - a bug or a pathological input must cost one file, not the catalogue
        logger.exception("metric file %s could not be parsed", shown)
        return ParsedFile(None, [make_issue("error", "unparseable", shown, None, None, "unparseable",
                                            {"detail": type(exc).__name__}, hint("simplify"))])


def _disclosure_rule(accepted: dict[Path, ParsedFile], rejected: set[Path], directory: Path) -> tuple[list[Issue], set[Path]]:
    """The disclosure-link rule, with the same crash guard as the other catalogue rules."""
    try:
        return rule_disclosure_links(accepted, _display_path, rejected)
    except Exception as exc:  # noqa: BLE001 - a crashing rule must become an issue, not a traceback
        logger.exception("rule disclosure links crashed")
        return [make_issue("error", "rule-crashed", str(directory), None, None, "rule_crashed",
                           {"name": "disclosure links", "detail": str(exc)})], set()


def load_catalog(directory: Path | None = None, engine: Engine | None = None) -> Catalog:
    """Load and validate every `*.yaml` under `directory`; without one, the configured catalogue:
    settings.metrics_dir, or with `catalogue_source = "database"` the warehouse's catalogue
    (`load_database_catalog`, read through `engine` or the configured database).

    With an `engine`, referenced series are checked against `dim_series` too.
    """
    settings = get_settings()
    if directory is None and settings.catalogue_source == "database":
        return load_database_catalog(engine)
    directory = Path(directory) if directory is not None else settings.metrics_dir
    catalog = Catalog(directory=directory)
    if not directory.is_dir():
        catalog.issues.append(make_issue("error", "no-directory", str(directory), None, None, "no_directory"))
        return catalog
    parsed: dict[Path, ParsedFile] = {}
    for path in sorted(directory.rglob("*.yaml")):
        result = _parse_file(path)
        catalog.issues.extend(result.issues)
        parsed[path] = result
    return _validate_catalogue(catalog, parsed, directory, engine)


def load_database_catalog(engine: Engine | None = None, *, check_series: bool = True, seed: bool = True) -> Catalog:
    """The warehouse's catalogue: every metric's current text, validated exactly like the files.

    On a process's first read the shipped files are seeded (`metrics.catalogue_sync.ensure_seeded`:
    an empty catalogue gets them all; a changed shipped file replaces only a metric nobody edited).
    Series are checked against `dim_series` when `engine` is given and `check_series` is true;
    `seed=False` only reads (the readiness check).
    """
    from metrics.catalogue_sync import configured_engine, ensure_seeded

    source = engine if engine is not None else configured_engine()
    if seed:
        ensure_seeded(source)
    catalog = Catalog(directory=None, source="database", version=catalogue_version(source))
    parsed: dict[Path, ParsedFile] = {}
    for row in current_rows(source):
        path = row.display_path
        result = _parse_text(row.text, _display_path(path))
        catalog.issues.extend(result.issues)
        parsed[path] = result
    return _validate_catalogue(catalog, parsed, Path(DISPLAY_ROOT), engine if check_series else None)


def _validate_catalogue(catalog: Catalog, parsed: dict[Path, ParsedFile], directory: Path,
                        engine: Engine | None) -> Catalog:
    """Phase 2 over the parsed texts, the same for files and for the warehouse's catalogue."""
    accepted = {
        path: result for path, result in parsed.items()
        if result.metric is not None and not any(i.level == "error" for i in result.issues)
    }
    rule_issues, rejected = run_rules(accepted, directory, engine, _display_path)
    catalog.issues.extend(rule_issues)
    link_issues, link_rejected = _disclosure_rule(accepted, rejected, directory)
    catalog.issues.extend(link_issues)
    rejected |= link_rejected
    for path, result in accepted.items():
        metric = result.metric
        assert metric is not None
        if path in rejected:
            continue
        catalog.metrics[metric.id] = metric
        catalog.files[metric.id] = path
    logger.info("catalogue %s: %d metrics, %d issues", catalog.directory or catalog.source, len(catalog.metrics),
                len(catalog.issues))
    return catalog


_keys: dict[tuple[int, bool], tuple[Catalog, str]] = {}


def catalogue_key(catalog: Catalog, *, drafts: bool = True) -> str:
    """SHA-256 over the metric definitions (only the approved ones with `drafts=False`): the same
    in every process and replica, so what a cache or an ETag is keyed by changes exactly when a
    definition does. Kept for the catalogue object at hand (a loaded catalogue is not changed)."""
    hit = _keys.get((id(catalog), drafts))
    if hit is not None and hit[0] is catalog:
        return hit[1]
    digest = hashlib.sha256()
    for metric in sorted(catalog.metrics.values() if drafts else catalog.approved(), key=lambda m: m.id):
        digest.update(metric.model_dump_json().encode("utf-8"))
    key = digest.hexdigest()
    if len(_keys) >= 8:
        _keys.clear()
    _keys[(id(catalog), drafts)] = (catalog, key)
    return key
