"""Command-line commands of the `forecasting` package (registered on the main `kuntamittari` app)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this package's commands to `app`."""
