"""Validation findings: collected, located (file, line, field) and explained, never raised one by one.

A catalogue with one broken file must still load, so every problem becomes an `Issue` value that
the CLI prints, a test asserts on and a page lists; `Report` bundles them for `validate`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    """One finding. `code` is stable (tests and docs refer to it); `message` is plain language."""

    level: Level
    code: str
    file: str
    line: int | None
    field: str | None
    message: str
    hint: str | None = None

    def render(self) -> str:
        """`file:line: field: message; hint` in one line (the format editors understand)."""
        where = self.file + (f":{self.line}" if self.line else "")
        text = f"{where}: "
        if self.field:
            text += f"{self.field}: "
        text += self.message
        if self.hint:
            text += f"; {self.hint}"
        if self.level == "warning":
            text += " (warning)"
        return text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Report:
    """The outcome of validating a catalogue: valid when there is no error-level issue."""

    issues: tuple[Issue, ...] = field(default_factory=tuple)
    metric_count: int = 0

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.level == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.level == "warning")

    @property
    def valid(self) -> bool:
        return not self.errors
