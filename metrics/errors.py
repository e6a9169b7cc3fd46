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
