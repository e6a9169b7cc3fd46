"""Typed exceptions of the data layer.

The library raises these and never prints or exits; the CLI maps each class to one line and an
exit code (`DataError` -> 1, `ConfigError` -> 2), a page maps them to a translated message.
"""

from __future__ import annotations


class DataModelError(Exception):
    """Base class of every error raised by `datamodel`."""


class ConfigError(DataModelError):
    """The configuration or the command line is wrong (bad URL, unknown option): exit code 2."""


class DataError(DataModelError):
    """The input data is wrong or does not fit the schema: exit code 1, database unchanged."""


class SourceFormatError(DataError):
    """A file or API response does not have the expected shape (names the file and the place)."""


class UnknownAreaError(DataError):
    """An area code or name matches no row of `dim_area`."""


class ValidationFailed(DataError):
    """Rows were rejected and the caller did not accept a partial load; carries the report."""

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class InputTooLarge(DataError):
    """An uploaded or imported file is over the configured size limit."""


class SourceUnavailable(DataModelError):
    """A remote API cannot be reached (offline, DNS, timeout, HTTP error): exit code 1."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class SourceRejected(SourceUnavailable):
    """The source answered but refused this request (HTTP 4xx other than 429): not worth a retry."""


class DatabaseNotReady(DataModelError):
    """The database has no schema or an old revision; run `kuntamittari init`."""


class ValuesRefused(DataError):
    """Values that cannot be real (non-finite, negative counts, implausible years, damaged text, a
    release missing throughout): nothing was written. `issues` name file, row and field."""

    def __init__(self, message: str, issues: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.issues = issues
