"""The options every command shares, declared once: the database, the metric directory and the
language (`kuntamittari.i18n.configured_language` turns a `--lang` value, or none, into the
language of the output).

A command that names `--db` or `--lang` uses these aliases, so the flags read and behave the same
in every command (`--help` included), and a change to the default shows everywhere at once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (default: KUNTAMITTARI_DATABASE_URL or var/ SQLite).")]
DirOpt = Annotated[Path | None, typer.Option("--dir", help="Metric directory (default: settings.metrics_dir).")]
LangOpt = Annotated[str | None, typer.Option("--lang", help="fi, sv or en (default: settings).")]


def say(console: Any, text: str) -> None:
    """Print text as it is: no Rich markup or highlighting (names may contain brackets)."""
    console.print(text, highlight=False, markup=False)
