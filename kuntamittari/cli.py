"""The `kuntamittari` command: one Typer app composed of each layer's own commands.

Each package registers its commands (`datamodel.cli`, `metrics.cli`, `forecasting.cli`,
`ui.cli`), so the library works from the command line before any page uses it.
Exit codes: 0 ok, 1 validation/data errors found, 2 usage or configuration error.
"""

from __future__ import annotations

import logging

import typer

from datamodel import cli as datamodel_cli
from forecasting import cli as forecasting_cli
from metrics import cli as metrics_cli
from refresh import cli as refresh_cli
from ui import cli as ui_cli

app = typer.Typer(
    name="kuntamittari",
    help="Kuntamittari: welfare indicators for Finnish municipalities.",
    no_args_is_help=True,
    add_completion=False,
)

datamodel_cli.register(app)
metrics_cli.register(app)
forecasting_cli.register(app)
ui_cli.register(app)
refresh_cli.register(app)


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
