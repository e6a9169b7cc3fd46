"""Is this installation ready to serve? Database reachable, migrations at head, catalogue loads.

Streamlit's `/_stcore/health` only says that a server process answers; a replica that answers
but cannot reach PostgreSQL, runs code newer than the database's schema, or has no catalogue
would serve error pages. `check_readiness` looks at exactly those, read-only (it never migrates
or seeds), so it is safe to run from systemd, a container health check or a monitor:
`kuntamittari health` exits 0 when every check passes and 1 otherwise.

Each check is a code with parameters; the words come from the translation layer when shown.
"""

from __future__ import annotations

import logging
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from datamodel.bootstrap import current_revision, head_revision
from datamodel.engine import make_engine
from kuntamittari.settings import get_settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    """One readiness check: `name` (database, migrations, catalogue, server), passed or not, and
    the message key and parameters that say why."""

    name: str
    ok: bool
    key: str
    params: dict[str, Any] = field(default_factory=dict)


def _short(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"[:200]


def _engine(url: str, timeout: float) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        parsed = parsed.update_query_dict({"connect_timeout": str(max(1, int(timeout)))})
    return make_engine(parsed.render_as_string(hide_password=False))


def _database(engine: Engine) -> Check:
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"; the reason is shown
        return Check("database", False, "database_fail", {"error": _short(exc)})
    ms = round((time.perf_counter() - started) * 1000, 1)
    return Check("database", True, "database_ok", {"backend": engine.dialect.name, "ms": ms})


def _migrations(engine: Engine) -> Check:
    try:
        current, head = current_revision(engine), head_revision()
    except Exception as exc:  # noqa: BLE001
        return Check("migrations", False, "migrations_fail", {"current": _short(exc), "head": head_revision()})
    if current != head:
        return Check("migrations", False, "migrations_fail", {"current": current or "-", "head": head})
    return Check("migrations", True, "migrations_ok", {"revision": current})


def _catalogue(engine: Engine) -> Check:
    from metrics.catalog import load_catalog, load_database_catalog
    from metrics.catalogue_store import is_empty

    settings = get_settings()
    try:
        if settings.catalogue_source == "database":
            if is_empty(engine):
                return Check("catalogue", False, "catalogue_empty", {})
            catalog = load_database_catalog(engine, check_series=False, seed=False)
        else:
            catalog = load_catalog(settings.metrics_dir)
    except Exception as exc:  # noqa: BLE001
        return Check("catalogue", False, "catalogue_fail", {"error": _short(exc)})
    params = {"metrics": len(catalog.metrics), "errors": len(catalog.broken_files()), "source": catalog.source}
    if not catalog.metrics:
        return Check("catalogue", False, "catalogue_empty", params)
    return Check("catalogue", True, "catalogue_ok", params)


def server_check(url: str, timeout: float) -> Check:
    """Does the Streamlit server at `url` answer `ok` on its health probe?"""
    probe = url.rstrip("/") + "/_stcore/health"
    try:
        with urllib.request.urlopen(probe, timeout=timeout) as response:  # noqa: S310 - the operator's own URL
            body = response.read(64).decode("utf-8", "replace").strip()
    except OSError as exc:
        return Check("server", False, "server_fail", {"url": probe, "error": _short(exc)})
    if body != "ok":
        return Check("server", False, "server_fail", {"url": probe, "error": body[:40]})
    return Check("server", True, "server_ok", {"url": probe})


def check_readiness(url: str | None = None, server_url: str | None = None, timeout: float = 5.0) -> list[Check]:
    """Every readiness check, in order; later database checks are skipped when it is unreachable."""
    url = url or get_settings().resolved_database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).is_file():
        missing = Check("database", False, "database_fail", {"error": f"no file {parsed.database}"})
        return [missing, *([server_check(server_url, timeout)] if server_url else [])]
    engine = _engine(url, timeout)
    try:
        checks = [_database(engine)]
        if checks[0].ok:
            checks.append(_migrations(engine))
            if checks[-1].ok:
                checks.append(_catalogue(engine))
    finally:
        engine.dispose()
    if server_url:
        checks.append(server_check(server_url, timeout))
    return checks


def wait_until(checks: Callable[[], list[Check]], seconds: float, *, interval: float = 1.0,
               gave_up: Callable[[], bool] | None = None) -> list[Check]:
    """Run `checks` until every one passes, `seconds` have gone or `gave_up()` says stop (e.g.
    the server's process has exited); the last checks either way.

    One waiting rule for `kuntamittari health --wait`, deployment scripts, benchmarks and the
    tests that start servers: a replica counts as started when its checks pass, not after a fixed
    sleep."""
    deadline = time.monotonic() + seconds
    while True:
        result = checks()
        if all(c.ok for c in result) or time.monotonic() >= deadline or (gave_up is not None and gave_up()):
            return result
        time.sleep(interval)
