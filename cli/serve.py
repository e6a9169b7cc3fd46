"""Command-line commands of the `ui` package (registered on the main `kuntamittari` app).

- `kuntamittari serve [--public] [--port N]` starts the dashboard (`app.py`) or the public-only
  app (`public_app.py`, municipal summary as start page) with `streamlit run served_app.py`:
  Streamlit's server with a middleware that sends each page with `<html lang>` in its
  language (`ui.served_page`) and, for the dashboard, one that sets the sign-in cookie as
  HttpOnly (`ui.session_cookie`). The public app is started with `KUNTAMITTARI_PUBLIC_ONLY=1`
  (which also makes `served_app.py` choose `public_app.py`), so even a deep link to an
  internal page file (which Streamlit may run without the entrypoint) is refused. The command replaces itself with
  the Streamlit server (exec): a waiting launcher process held ~170 MB of imports per replica,
  and systemd's signals now reach the server itself. Memory bounds go with it
  (`memory_limits`, docs/operations.md "Memory").
- `kuntamittari add-user EMAIL --role author` writes a user with an scrypt-hashed password
  (read from a hidden prompt, or from stdin with `--password-stdin`) to the users file.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import typer

from kuntamittari.i18n import t
from kuntamittari.settings import PROJECT_ROOT, Settings, get_settings
from accounts.users import ROLES, AuthError, add_user, users_path

logger = logging.getLogger(__name__)

APP_FILE = PROJECT_ROOT / "app.py"
PUBLIC_APP_FILE = PROJECT_ROOT / "public_app.py"
SERVED_APP_FILE = PROJECT_ROOT / "served_app.py"  # serves one of the two (see the module docstring)
MIN_PASSWORD_LENGTH = 8


def memory_limits(settings: Settings) -> tuple[list[str], dict[str, str]]:
    """Streamlit options and environment that bound a replica's memory.

    Why: measured, a replica's RSS stayed where the busiest moment left it. glibc gives every
    thread that allocates its own malloc arena (Streamlit runs each session's script in a thread),
    and freed memory in many arenas is rarely returned to the system: `MALLOC_ARENA_MAX` caps
    the arenas. `server.maxCacheDataSize` caps the bytes of all `st.cache_data` entries together
    (the per-function `max_entries` alone let a few large readouts add up). A value already in
    the environment wins, so an operator can still tune glibc directly.
    """
    options = ["--server.maxCacheDataSize", f"{settings.cache_max_mb}mb"] if settings.cache_max_mb else []
    env = {"MALLOC_ARENA_MAX": str(settings.malloc_arena_max)} if settings.malloc_arena_max else {}
    return options, env


def streamlit_command(port: int, address: str, headless: bool) -> list[str]:
    """The `streamlit run` command line for the dashboard or the public app (`served_app.py`
    chooses the script by `KUNTAMITTARI_PUBLIC_ONLY`, which `serve --public` sets)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(SERVED_APP_FILE),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true" if headless else "false",
        "--browser.gatherUsageStats",
        "false",
        *memory_limits(get_settings())[0],
    ]


def serve(
    public: bool = typer.Option(False, "--public", help="Serve only the public pages (no sign-in, no internal pages)."),
    port: int = typer.Option(8501, "--port", min=1, max=65535, help="TCP port."),
    address: str = typer.Option("127.0.0.1", "--address", help="Address to listen on (0.0.0.0 for all)."),
    headless: bool = typer.Option(True, "--headless/--open-browser", help="Do not open a browser."),
) -> None:
    """Start the dashboard, or with --public the public-only app (start page: municipal summary)."""
    script = PUBLIC_APP_FILE if public else APP_FILE
    missing = [path for path in (script, SERVED_APP_FILE) if not path.is_file()]
    if missing:
        typer.echo(f"error: {missing[0]} not found; run from a Kuntamittari checkout", err=True)
        raise typer.Exit(2)
    env = {**memory_limits(get_settings())[1], **os.environ}
    if public:
        env["KUNTAMITTARI_PUBLIC_ONLY"] = "1"
    command = streamlit_command(port, address, headless)
    logger.info("starting %s", " ".join(command))
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(PROJECT_ROOT)
    os.execve(sys.executable, command, env)


def add_user_command(
    email: str = typer.Argument(..., help="The user's email address (also the sign-in name)."),
    role: list[str] = typer.Option(
        ..., "--role", "-r", help=f"Role, repeatable: {', '.join(ROLES)}."
    ),
    users_file: Path | None = typer.Option(None, "--users-file", help="Users file (default: settings.users_file or var/users.toml)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from the first line of stdin."),
) -> None:
    """Add or update a local user; the password is asked for and stored only as an scrypt hash."""
    settings = get_settings()
    lang = settings.default_language
    path = users_file or users_path(settings)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(t("auth.cli.password_prompt", lang), hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        typer.echo(f"error: {t('auth.cli.password_short', lang, n=MIN_PASSWORD_LENGTH)}", err=True)
        raise typer.Exit(2)
    try:
        record = add_user(path, email, role, password)
    except AuthError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"error: cannot write {path}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(t("auth.cli.added", lang, email=record.email, path=path, roles=", ".join(record.roles)))


def register(app: typer.Typer) -> None:
    """Add this package's commands to `app`."""
    app.command("serve")(serve)
    app.command("add-user")(add_user_command)
