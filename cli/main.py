"""The `kuntamittari` command: one Typer app composed of each layer's own commands.

Each part registers its commands (`cli.datamodel`, `cli.metrics`, `cli.readout`, `cli.refresh`,
`cli.serve`, `cli.catalogue`, `cli.report`, `cli.api`, `cli.forecast` and `cli.publish`), so the library works
from the command line before any page uses it.
Exit codes: 0 ok, 1 validation/data errors found, 2 usage or configuration error.
"""

from __future__ import annotations

import logging

import typer

from cli import api as api_cli
from cli import catalogue as catalogue_cli
from cli import datamodel as datamodel_cli
from cli import forecast as forecast_cli
from cli import metrics as metrics_cli
from cli import publish as publish_cli
from cli import readout as readout_cli
from cli import refresh as refresh_cli
from cli import report as report_cli
from cli import serve as serve_cli

app = typer.Typer(
    name="kuntamittari",
    help="Kuntamittari: welfare indicators for Finnish municipalities.",
    no_args_is_help=True,
    add_completion=False,
)

datamodel_cli.register(app)
metrics_cli.register(app)
forecast_cli.register(app)
readout_cli.register(app)
serve_cli.register(app)
refresh_cli.register(app)
catalogue_cli.register(app)
report_cli.register(app)
api_cli.register(app)
publish_cli.register(app)


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
