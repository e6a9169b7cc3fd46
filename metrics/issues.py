"""Validation findings: collected, located (file, line, field) and explained, never raised one by one.

A catalogue with one broken file must still load, so every problem becomes an `Issue` value that
the CLI prints, a test asserts on and a page lists; `Report` bundles them for `validate`.

An issue carries a stable `code` (tests and docs refer to it), a message `key` with its
parameters (`locales/<lang>/validation.yaml`), and the English text made from them (`message`,
`hint`: what JSON output and logs carry). `render(lang)` words it in the reader's language, so
the CLI, the data status page and the authoring form show the same message in fi, sv or en.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from kuntamittari.i18n import t

Level = Literal["error", "warning"]
Params = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Hint:
    """A hint's message key and parameters (e.g. `did_you_mean` with the suggestion)."""

    key: str
    params: Params = ()

    def text(self, lang: str) -> str:
        return t(f"validation.hint.{self.key}", lang, **dict(self.params))


@dataclass(frozen=True)
class Issue:
    """One finding. `code` is stable (tests and docs refer to it); `message` is plain English."""

    level: Level
    code: str
    file: str
    line: int | None
    field: str | None
    message: str
    hint: str | None = None
    key: str | None = None
    params: Params = ()
    hint_ref: Hint | None = None

    def text(self, lang: str | None = None) -> str:
        """The message in `lang` (English `message` without a language or a key)."""
        if lang is None or self.key is None:
            return self.message
        return t(f"validation.{self.key}", lang, **dict(self.params))

    def hint_text(self, lang: str | None = None) -> str | None:
        if lang is None or self.hint_ref is None:
            return self.hint
        return self.hint_ref.text(lang)

    def render(self, lang: str | None = None) -> str:
        """`file:line: field: message; hint` in one line (the format editors understand)."""
        where = self.file + (f":{self.line}" if self.line else "")
        text = f"{where}: "
        if self.field:
            text += f"{self.field}: "
        text += self.text(lang)
        hint = self.hint_text(lang)
        if hint:
            text += f"; {hint}"
        if self.level == "warning":
            text += f" ({t('validation.warning', lang) if lang else 'warning'})"
        return text

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["params"] = {k: v for k, v in self.params}
        data.pop("hint_ref", None)
        return data


def issue(level: Level, code: str, file: str, line: int | None, fld: str | None, key: str,
          params: Mapping[str, Any] | None = None, hint: Hint | None = None) -> Issue:
    """An issue whose English `message` and `hint` are made from its message key."""
    frozen: Params = tuple((k, v) for k, v in (params or {}).items())
    return Issue(level, code, file, line, fld, t(f"validation.{key}", "en", **dict(frozen)),
                 hint.text("en") if hint else None, key, frozen, hint)


def hint(key: str, **params: Any) -> Hint:
    return Hint(key, tuple(params.items()))


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
