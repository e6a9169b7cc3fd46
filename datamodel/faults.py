"""Faults of the machinery (database, disk, network) as one line a person can act on.

A database driver's exception text carries the SQL statement and its parameters, i.e. data rows
(`[SQL: INSERT ...] [parameters: ...]`); printed to a user it is unreadable and leaks values.
`describe(exc)` maps an exception (SQLAlchemy's wrappers, the sqlite3 and psycopg driver errors
themselves, `OSError`, httpx errors, and any of these as the cause of another exception) to a
`Fault`: a kind (database locked, disk full, connection lost, permission denied, not migrated
...) whose message in fi/sv/en (`locales/*/faults.yaml`) says what happened and what to do.
`one_line(exc, lang)` is what the CLI error guards and the page frame show; the technical detail
goes to the log only (`logger.debug` here, the page frame logs the traceback itself).

Streamlit-free: the CLI, the pages and the public server all use it.
"""

from __future__ import annotations

import errno
import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kuntamittari.i18n import t

logger = logging.getLogger(__name__)


class FaultKind(StrEnum):
    """What went wrong, as a person acts on it (the message key in `faults.yaml`)."""

    LOCKED = "locked"
    DISK_FULL = "disk_full"
    CONNECTION_LOST = "connection_lost"
    UNREACHABLE = "unreachable"
    PERMISSION_DENIED = "permission_denied"
    READ_ONLY = "read_only"
    NOT_MIGRATED = "not_migrated"
    CORRUPT = "corrupt"
    CONFLICT = "conflict"
    BUSY = "busy"
    LOGIN_FAILED = "login_failed"
    SOURCE_UNREACHABLE = "source_unreachable"
    SOURCE_TIMEOUT = "source_timeout"
    FILE_NOT_FOUND = "file_not_found"
    IO_ERROR = "io_error"
    UNEXPECTED = "unexpected"


@dataclass(frozen=True)
class Fault:
    """A classified fault: its kind and the few safe parameters of its message (a path, a URL)."""

    kind: FaultKind
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "fi") -> str:
        """The one-line message in `lang` (a file's variant when the fault names a path)."""
        suffix = "_file" if "path" in self.params and self.kind in _FILE_VARIANTS else ""
        return t(f"faults.{self.kind.value}{suffix}", lang, **self.params)


_FILE_VARIANTS = frozenset({FaultKind.PERMISSION_DENIED, FaultKind.READ_ONLY})

# PostgreSQL SQLSTATE codes (appendix A of the manual), by class prefix or in full.
_PG_STATES: tuple[tuple[str, FaultKind], ...] = (
    ("53100", FaultKind.DISK_FULL), ("53", FaultKind.BUSY),
    ("57P01", FaultKind.CONNECTION_LOST), ("57P02", FaultKind.CONNECTION_LOST), ("57P03", FaultKind.UNREACHABLE),
    ("08", FaultKind.CONNECTION_LOST),
    ("55P03", FaultKind.LOCKED), ("40P01", FaultKind.LOCKED), ("40001", FaultKind.LOCKED), ("57014", FaultKind.LOCKED),
    ("42501", FaultKind.PERMISSION_DENIED), ("25006", FaultKind.READ_ONLY),
    ("42P01", FaultKind.NOT_MIGRATED), ("42703", FaultKind.NOT_MIGRATED),
    ("28", FaultKind.LOGIN_FAILED), ("3D000", FaultKind.UNREACHABLE),
    ("23", FaultKind.CONFLICT),
)
# SQLite result codes (sqlite.org/rescode.html) as Python 3.11 names them.
_SQLITE_NAMES: tuple[tuple[str, FaultKind], ...] = (
    ("SQLITE_BUSY", FaultKind.LOCKED), ("SQLITE_LOCKED", FaultKind.LOCKED), ("SQLITE_FULL", FaultKind.DISK_FULL),
    ("SQLITE_READONLY", FaultKind.READ_ONLY), ("SQLITE_PERM", FaultKind.PERMISSION_DENIED),
    ("SQLITE_AUTH", FaultKind.PERMISSION_DENIED), ("SQLITE_CANTOPEN", FaultKind.UNREACHABLE),
    ("SQLITE_CORRUPT", FaultKind.CORRUPT), ("SQLITE_NOTADB", FaultKind.CORRUPT),
    ("SQLITE_CONSTRAINT", FaultKind.CONFLICT), ("SQLITE_IOERR", FaultKind.IO_ERROR),
)
# The same, by message, for errors that carry no code (older Pythons, wrapped re-raises).
_TEXTS: tuple[tuple[str, FaultKind], ...] = (
    ("database is locked", FaultKind.LOCKED), ("database table is locked", FaultKind.LOCKED),
    ("database or disk is full", FaultKind.DISK_FULL), ("no space left on device", FaultKind.DISK_FULL),
    ("attempt to write a readonly database", FaultKind.READ_ONLY), ("read-only", FaultKind.READ_ONLY),
    ("unable to open database file", FaultKind.UNREACHABLE), ("no such table", FaultKind.NOT_MIGRATED),
    ("no such column", FaultKind.NOT_MIGRATED), ("file is not a database", FaultKind.CORRUPT),
    ("malformed", FaultKind.CORRUPT), ("permission denied", FaultKind.PERMISSION_DENIED),
    ("connection refused", FaultKind.UNREACHABLE), ("could not connect", FaultKind.UNREACHABLE),
    ("server closed the connection", FaultKind.CONNECTION_LOST), ("connection is closed", FaultKind.CONNECTION_LOST),
    ("connection is lost", FaultKind.CONNECTION_LOST), ("consuming input failed", FaultKind.CONNECTION_LOST),
    ("terminating connection", FaultKind.CONNECTION_LOST), ("connection already closed", FaultKind.CONNECTION_LOST),
    ("password authentication failed", FaultKind.LOGIN_FAILED),
)
_ERRNOS: dict[int, FaultKind] = {
    errno.ENOSPC: FaultKind.DISK_FULL, errno.EDQUOT: FaultKind.DISK_FULL,
    errno.EACCES: FaultKind.PERMISSION_DENIED, errno.EPERM: FaultKind.PERMISSION_DENIED,
    errno.EROFS: FaultKind.READ_ONLY, errno.ENOENT: FaultKind.FILE_NOT_FOUND,
    errno.ECONNREFUSED: FaultKind.UNREACHABLE, errno.ECONNRESET: FaultKind.CONNECTION_LOST,
    errno.EPIPE: FaultKind.CONNECTION_LOST, errno.ETIMEDOUT: FaultKind.CONNECTION_LOST,
}


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, the driver error it wraps (`.orig`), and its causes, outermost first."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 12:
        item = todo.pop(0)
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [getattr(item, "orig", None), item.__cause__, item.__context__]
    return seen


def _is_database_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith(("sqlalchemy", "sqlite3", "psycopg", "_sqlite3"))


def _database_kind(exc: BaseException) -> FaultKind | None:
    state = str(getattr(exc, "sqlstate", "") or "")
    if state:
        for prefix, kind in _PG_STATES:
            if state.startswith(prefix):
                return kind
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    if name:
        for prefix, kind in _SQLITE_NAMES:
            if name.startswith(prefix):
                return kind
    text = str(getattr(exc, "orig", None) or exc).split("\n")[0].lower()
    for needle, kind in _TEXTS:
        if needle in text:
            return kind
    if getattr(exc, "connection_invalidated", False) or type(exc).__name__ == "DisconnectionError":
        return FaultKind.CONNECTION_LOST
    if type(exc).__name__ == "IntegrityError":
        return FaultKind.CONFLICT
    if type(exc).__name__ == "TimeoutError" and type(exc).__module__.startswith("sqlalchemy"):
        return FaultKind.BUSY
    return None


def _http_fault(exc: BaseException) -> Fault | None:
    import httpx

    if not isinstance(exc, httpx.HTTPError):
        return None
    url = ""
    try:
        url = str(exc.request.url.copy_with(query=None))
    except RuntimeError:  # an error raised without a request
        pass
    if isinstance(exc, httpx.TimeoutException):
        return Fault(FaultKind.SOURCE_TIMEOUT, {"url": url})
    return Fault(FaultKind.SOURCE_UNREACHABLE, {"url": url})


def _os_fault(exc: OSError) -> Fault | None:
    kind = _ERRNOS.get(exc.errno or -1)
    if kind is None:
        return Fault(FaultKind.IO_ERROR, {"reason": exc.strerror or type(exc).__name__})
    if exc.filename and kind in (*_FILE_VARIANTS, FaultKind.FILE_NOT_FOUND):
        return Fault(kind, {"path": str(exc.filename)})
    if kind is FaultKind.FILE_NOT_FOUND:
        return Fault(FaultKind.IO_ERROR, {"reason": exc.strerror or "ENOENT"})
    return Fault(kind)


def describe(exc: BaseException) -> Fault | None:
    """The fault behind `exc`, or None when it is not one of the machinery (e.g. a data error,
    which carries its own message). Looks through wrappers and causes."""
    from datamodel.errors import DatabaseNotReady, SourceUnavailable

    chain = _chain(exc)
    for item in chain:
        if isinstance(item, SourceUnavailable):
            return Fault(FaultKind.SOURCE_UNREACHABLE, {"url": item.url})
        if _is_database_error(item):
            kind = _database_kind(item)
            if kind is not None:
                return Fault(kind)
        fault = _http_fault(item)
        if fault is not None:
            return fault
        if isinstance(item, OSError):
            return _os_fault(item)
    if any(isinstance(item, DatabaseNotReady) for item in chain):  # no more telling cause found
        return Fault(FaultKind.NOT_MIGRATED)
    return None


def one_line(exc: BaseException, lang: str = "fi") -> str:
    """The message for any exception a guard catches: the fault's, or "unexpected error (Type)".

    Never the exception's own text (it may hold SQL and data rows): that goes to the log."""
    fault = describe(exc) or Fault(FaultKind.UNEXPECTED, {"name": type(exc).__name__})
    logger.debug("%s: %s", fault.kind.value, exc, exc_info=exc)
    return fault.message(lang)
