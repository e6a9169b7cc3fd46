"""Typed exceptions of the metric layer; the CLI maps each to one line and an exit code."""

from __future__ import annotations


class MetricsError(Exception):
    """Base class: something the user can fix (a name, a code, a file)."""


class MetricNotFound(MetricsError, KeyError):
    """No valid metric with that id in the catalogue (it may exist but have errors)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "metric not found"


class AreaNotFound(MetricsError, KeyError):
    """An area code that is neither in dim_area nor a known aggregate or group."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "area not found"


class RuleViolation(ValueError):
    """A metric-file rule broken inside the model (raised by a validator or the formula parser).

    It carries what the validator needs to word it in the reader's language instead of an English
    sentence: a stable `code` (tests and docs refer to it), the message `key` in
    `locales/<lang>/validation.yaml`, its `params`, and optionally a `hint` key. A ValueError, so
    pydantic reports it as a field's error; `str()` is the English message for logs.
    """

    def __init__(self, code: str, key: str, *, hint: str | None = None, **params: object) -> None:
        self.code, self.key, self.hint, self.params = code, key, hint, params
        super().__init__(code, key)

    def __str__(self) -> str:
        from kuntamittari.i18n import t

        return f"{self.code}: {t(f'validation.{self.key}', 'en', **self.params)}"
