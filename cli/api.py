"""Command-line commands of the HTTP API (registered on the main `kuntamittari` app).

- `kuntamittari serve-api [--port 8503] [--address 127.0.0.1] [--workers N]` runs the read-only
  API (`api.app:create_app`) with uvicorn, as its own process against the configured database.
  The app is named by its import string, so the command does not import the API surface itself.
- `kuntamittari api-token --role viewer` makes a bearer token for a program: it prints the
  token once (hand it over) and the settings entry holding only its SHA-256 hash.
"""

from __future__ import annotations

import json
import logging

import typer

from accounts.tokens import new_token
from accounts.users import ROLES, AuthError
from kuntamittari.i18n import t
from kuntamittari.settings import get_settings

logger = logging.getLogger(__name__)

APP = "api.app:create_app"


def serve_api(
    port: int = typer.Option(8503, "--port", min=1, max=65535, help="TCP port."),
    address: str = typer.Option("127.0.0.1", "--address", help="Address to listen on (0.0.0.0 for all)."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes (each is stateless)."),
    log_level: str = typer.Option("warning", "--log-level", help="uvicorn log level."),
) -> None:
    """Start the read-only HTTP API (docs at /api/v1/docs, OpenAPI at /api/v1/openapi.json)."""
    import uvicorn

    lang = get_settings().default_language
    typer.echo(t("api.cli.starting", lang, url=f"http://{address}:{port}/api/v1/docs"), err=True)
    uvicorn.run(APP, factory=True, host=address, port=port, workers=workers, log_level=log_level,
                proxy_headers=True, server_header=False)


def api_token(role: str = typer.Option(..., "--role", "-r", help=f"Role: {', '.join(ROLES)}.")) -> None:
    """Make a bearer token for the API; only its hash goes into the settings."""
    lang = get_settings().default_language
    try:
        token, digest, checked = new_token(role)
    except AuthError:
        typer.echo("error: " + t("cli.unknown_role", lang, role=repr(role), roles=", ".join(ROLES)), err=True)
        raise typer.Exit(2) from None
    typer.echo(t("api.cli.token", lang, token=token))
    typer.echo(t("api.cli.token_settings", lang, entry=json.dumps({digest: checked})))


def register(app: typer.Typer) -> None:
    """Add this package's commands to `app`."""
    app.command("serve-api")(serve_api)
    app.command("api-token")(api_token)
