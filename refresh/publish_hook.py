"""After a refresh, the static public site is published again when `KUNTAMITTARI_PUBLISH_DIR` is set.

The site is a surface above this package (`publish/`, run as `kuntamittari publish`), so the
refresh starts it as its own process instead of importing it: a refresh from the command line or
the schedule waits for it (the cron job ends when the new site is in place, and its output is the
job's), a refresh from the data-status page starts it in the background (output to
`<data_dir>/publish.log`) so the page does not wait. The publish swaps the new site in only when
every page was written, so a failed one leaves the previous site online.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from sqlalchemy import Engine

from kuntamittari.settings import get_settings
from refresh.report import RefreshReport

logger = logging.getLogger(__name__)


def publish_command() -> list[str] | None:
    """`kuntamittari publish --out <publish_dir>` with this interpreter; None when no directory is set."""
    directory = get_settings().publish_dir
    if directory is None:
        return None
    return [sys.executable, "-m", "cli.main", "publish", "--out", str(directory)]


def publish_after_refresh(engine: Engine, report: RefreshReport, *, wait: bool) -> int | subprocess.Popen[bytes] | None:
    """Publish the site for the refreshed data: the exit code when `wait`, else the started
    process; None when no publish directory is set or the refresh failed (nothing new to show)."""
    command = publish_command()
    if command is None or report.status == "failed":
        return None
    env = {**os.environ, "KUNTAMITTARI_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    if wait:
        code = subprocess.run(command, env=env, check=False).returncode
        if code != 0:
            logger.warning("publishing the static site after the refresh failed (exit %s)", code)
        return code
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.data_dir / "publish.log", "ab") as log:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
