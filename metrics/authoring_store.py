"""Metric files on disk for the authoring page: atomic save, conflict refusal, history, restore.

Workshop participants edit metric files through a form, often several at once on one server.
Two rules make that safe:

- **Nothing half-written.** A save writes a temporary file in the same directory, flushes and
  fsyncs it and moves it over the target with `os.replace` (atomic on POSIX), then fsyncs the
  directory. A crash leaves either the old or the new file, never a torn one.
- **Nothing silently overwritten.** Opening a file records a fingerprint (SHA-256 of its bytes).
  A save names the fingerprint it started from; if the file has changed since (another participant
  saved), the save is refused with `ConflictError` and the refused text is kept as a conflict copy
  in the history, so both versions survive. Creating a metric whose id already exists is refused
  the same way.

Every saved version is also copied to `metrics/.history/<id>/<timestamp>.yaml` (the `.history`
directory beside the definitions directory in use, so a test's temporary copy carries its own and
the catalogue, which reads every `*.yaml` below the definitions, never sees old versions), and any
version there can be restored (a restore is itself a save, so it is recorded and conflict-checked).

This module only moves text; building and validating metrics lives in `metrics.authoring`.
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import hashlib
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

logger = logging.getLogger(__name__)

HISTORY_DIR_NAME = ".history"
LOCK_FILE_NAME = ".authoring.lock"
METRIC_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
THEME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CONFLICT_SUFFIX = ".conflict"

HistoryKind = Literal["saved", "conflict", "shipped"]

# One process-wide lock per metrics directory plus an flock on a lock file: Streamlit sessions
# are threads of one process, and the CLI or a second server may be another process.
_THREAD_LOCKS: dict[Path, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


class StoreError(Exception):
    """A metric file operation that cannot be done. `key`/`params` name a plain-language message."""

    key = "authoring.error.store"

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.params = params


class InvalidIdError(StoreError):
    """The metric id or theme is not usable as a file name."""

    key = "authoring.error.bad_id"


class MetricNotFoundError(StoreError):
    """No metric file with this id exists in the metrics directory."""

    key = "authoring.error.not_found"


class HistoryNotFoundError(StoreError):
    """The requested history version does not exist."""

    key = "authoring.error.history_not_found"


class ConflictError(StoreError):
    """The file changed on disk after it was opened; the refused text was kept as a conflict copy."""

    key = "authoring.error.conflict"

    def __init__(self, message: str, *, metric_id: str, conflict_copy: Path | str, current_fingerprint: str) -> None:
        # A file copy is shown by its last three parts; the database store names its history row.
        shown = Path(*conflict_copy.parts[-3:]) if isinstance(conflict_copy, Path) and len(conflict_copy.parts) >= 3 \
            else conflict_copy
        super().__init__(message, metric_id=metric_id, conflict_copy=str(shown))
        self.metric_id = metric_id
        self.conflict_copy = conflict_copy
        self.current_fingerprint = current_fingerprint


class AlreadyExistsError(ConflictError):
    """A new metric was saved under an id that another file already uses."""

    key = "authoring.error.exists"


@dataclass(frozen=True)
class OpenedMetric:
    """A metric as read when editing began; `fingerprint` is the token its save must match ('' for
    a metric not yet saved): the file's SHA-256 here, the version number in the database store."""

    metric_id: str
    path: Path | None
    text: str
    fingerprint: str


@dataclass(frozen=True)
class SaveResult:
    """Where a save went: the live file and its history copy (None in the database), the new
    fingerprint, and the version number in the database store."""

    metric_id: str
    path: Path | None
    history_path: Path | None
    fingerprint: str
    version: int | None = None

    @property
    def label(self) -> str:
        """What the page names as saved: the file name, or the id and version in the database."""
        return self.path.name if self.path is not None else f"{self.metric_id} v{self.version}"


@dataclass(frozen=True)
class HistoryEntry:
    """One kept version of a metric (a normal save, or a refused conflicting save)."""

    metric_id: str
    version: str
    path: Path | None
    kind: HistoryKind
    saved_at: datetime
    author: str = ""


class CatalogueStore(Protocol):
    """What the authoring page needs of a store: the files here (`MetricStore`), or the
    warehouse's catalogue (`metrics.catalogue_store.DatabaseMetricStore`)."""

    def open(self, metric_id: str) -> OpenedMetric: ...

    def new(self, metric_id: str) -> OpenedMetric: ...

    def current_fingerprint(self, metric_id: str) -> str: ...

    def save(self, metric_id: str, theme: str, text: str, expected_fingerprint: str, *, author: str = "") -> SaveResult: ...

    def history(self, metric_id: str) -> list[HistoryEntry]: ...

    def read_version(self, metric_id: str, version: str) -> str: ...


def fingerprint(data: bytes | str) -> str:
    """SHA-256 hex digest of the file content; the token that detects concurrent edits."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def unified_diff(old: str, new: str, *, old_label: str = "tallennettu", new_label: str = "uusi") -> str:
    """A unified diff of two YAML texts ('' when equal), shown before an edit is saved."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=old_label,
        tofile=new_label,
    )
    out = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    return out


def check_metric_id(metric_id: str) -> None:
    """Refuse ids that are not safe file stems (path separators, dots, capitals, spaces)."""
    if not METRIC_ID_PATTERN.match(metric_id or ""):
        raise InvalidIdError(f"invalid metric id {metric_id!r}", metric_id=metric_id)


def check_theme(theme: str) -> None:
    """Refuse theme names that are not safe directory names."""
    if not THEME_PATTERN.match(theme or ""):
        raise InvalidIdError(f"invalid theme {theme!r}", metric_id=theme)


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` via a same-directory temp file, fsync and `os.replace`.

    Readers see the old file or the new one, never a partial one; on any error the temp file is
    removed and the target is untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable (a directory fsync; not supported everywhere, so best effort)."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        logger.debug("directory fsync not supported for %s", directory)
    finally:
        os.close(dir_fd)


def _timestamp(now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y%m%dT%H%M%S%fZ")


def _parse_version(version: str) -> datetime:
    stamp = version.split(".", 1)[0].split("-", 1)[0]
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    except ValueError:
        return datetime.fromtimestamp(0, UTC)


class MetricStore:
    """The metric files of one metrics directory (`settings.metrics_dir` or a test's copy)."""

    def __init__(self, root: Path, history_root: Path | None = None) -> None:
        self.root = Path(root)
        self.history_root = Path(history_root) if history_root is not None else self.root.parent / HISTORY_DIR_NAME

    # ---------------------------------------------------------------- reading
    def find(self, metric_id: str) -> Path | None:
        """The file of `metric_id` (`<theme>/<id>.yaml` or `<id>.yaml`), skipping dot-directories."""
        check_metric_id(metric_id)
        for suffix in (".yaml", ".yml"):
            for path in sorted(self.root.rglob(f"{metric_id}{suffix}")):
                rel = path.relative_to(self.root)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                return path
        return None

    def open(self, metric_id: str) -> OpenedMetric:
        """Read a metric for editing, remembering the fingerprint its save must match."""
        path = self.find(metric_id)
        if path is None:
            raise MetricNotFoundError(f"metric {metric_id!r} not found", metric_id=metric_id)
        data = path.read_bytes()
        return OpenedMetric(metric_id, path, data.decode("utf-8"), fingerprint(data))

    def new(self, metric_id: str) -> OpenedMetric:
        """A metric not yet on disk: its save is refused if the id turns out to be taken.

        The id is checked at save time, so a form with a bad id reports it with the other problems.
        """
        return OpenedMetric(metric_id, None, "", "")

    def current_fingerprint(self, metric_id: str) -> str:
        """The fingerprint of the file as it is now ('' when there is none)."""
        path = self.find(metric_id)
        return fingerprint(path.read_bytes()) if path is not None else ""

    # ---------------------------------------------------------------- writing
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.history_root.mkdir(parents=True, exist_ok=True)
        key = self.root.resolve()
        with _THREAD_LOCKS_GUARD:
            thread_lock = _THREAD_LOCKS.setdefault(key, threading.Lock())
        with thread_lock, open(self.history_root / LOCK_FILE_NAME, "a+b") as lock_handle:
            fcntl.flock(lock_handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_handle.fileno(), fcntl.LOCK_UN)

    def save(self, metric_id: str, theme: str, text: str, expected_fingerprint: str, *, author: str = "") -> SaveResult:
        """Save `text` as the metric `metric_id`, atomically, if nobody changed it meanwhile.

        `expected_fingerprint` is `OpenedMetric.fingerprint` ('' for a new metric). If the file on
        disk no longer matches, nothing is overwritten: the text goes to a conflict copy in the
        history and `ConflictError` (or `AlreadyExistsError` for a taken id) is raised.
        An existing metric keeps its file location; a new one goes to `<theme>/<id>.yaml`. Files
        have no author field (`author` is accepted for the database store's interface and logged).
        """
        check_metric_id(metric_id)
        check_theme(theme)
        with self._locked():
            existing = self.find(metric_id)
            current = fingerprint(existing.read_bytes()) if existing is not None else ""
            if current != expected_fingerprint:
                copy = self._write_history(metric_id, text, kind="conflict")
                logger.warning("save of %s refused: changed on disk; kept %s", metric_id, copy)
                error_cls = AlreadyExistsError if not expected_fingerprint else ConflictError
                raise error_cls(
                    f"metric {metric_id!r} changed on disk since it was opened",
                    metric_id=metric_id,
                    conflict_copy=copy,
                    current_fingerprint=current,
                )
            target = existing if existing is not None else self.root / theme / f"{metric_id}.yaml"
            atomic_write_text(target, text)
            history_path = self._write_history(metric_id, text, kind="saved")
            logger.info("saved metric %s to %s (%s)", metric_id, target, author or "-")
            return SaveResult(metric_id, target, history_path, fingerprint(text))

    def _write_history(self, metric_id: str, text: str, *, kind: HistoryKind) -> Path:
        directory = self.history_root / metric_id
        suffix = f"{CONFLICT_SUFFIX}.yaml" if kind == "conflict" else ".yaml"
        stamp = _timestamp()
        path = directory / f"{stamp}{suffix}"
        counter = 1
        while path.exists():
            path = directory / f"{stamp}-{counter}{suffix}"
            counter += 1
        atomic_write_text(path, text)
        return path

    # ---------------------------------------------------------------- history
    def history(self, metric_id: str) -> list[HistoryEntry]:
        """Every kept version of a metric, newest first (conflict copies included and marked)."""
        check_metric_id(metric_id)
        directory = self.history_root / metric_id
        if not directory.is_dir():
            return []
        entries = []
        for path in directory.glob("*.yaml"):
            version = path.name[: -len(".yaml")]
            kind: HistoryKind = "conflict" if version.endswith(CONFLICT_SUFFIX) else "saved"
            entries.append(HistoryEntry(metric_id, version, path, kind, _parse_version(version)))
        return sorted(entries, key=lambda entry: entry.version, reverse=True)

    def read_version(self, metric_id: str, version: str) -> str:
        """The text of one history version."""
        for entry in self.history(metric_id):
            if entry.version == version and entry.path is not None:
                return entry.path.read_text(encoding="utf-8")
        raise HistoryNotFoundError(f"no version {version!r} of {metric_id!r}", metric_id=metric_id, version=version)
