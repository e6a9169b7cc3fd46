"""What a request needs: the database engine, the catalogue, the caller's access and the data version.

The process holds only what any replica can rebuild from the database URL and the metric
files: an engine (a connection pool), the parsed catalogue (reloaded when a metric file
changes) and caches keyed by the data version. Tokens are checked against the settings' hashes
on every request; nothing about a caller is remembered between requests.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from fastapi import Request
from sqlalchemy import Engine

from accounts.tokens import role_for_token
from accounts.users import has_role
from api.problems import Problem
from kuntamittari.settings import Settings, get_settings
from metrics import service
from metrics.catalog import Catalog, load_catalog
from metrics.areas import official_names
from metrics.catalogue_sync import configured_catalogue_key
from metrics.warehouse import open_database
from readout.publication import data_version

logger = logging.getLogger(__name__)

CATALOGUE_CHECK_SECONDS = 10.0


@dataclass(frozen=True)
class Access:
    """Who is asking: `role` None for the public; `internal` when the answer is unsuppressed."""

    role: str | None
    internal: bool

    @property
    def drafts(self) -> bool:
        return self.internal and has_role([self.role or ""], "author")

    @property
    def level(self) -> str:
        """What the answer depends on besides the request (part of the ETag)."""
        return "public" if not self.internal else ("drafts" if self.drafts else "internal")


@dataclass(frozen=True)
class Snapshot:
    """What every answer of one data version shares: the area dimension with its names in each
    language, and the load batches (read once per data version, not per request)."""

    version: str
    areas: pd.DataFrame  # metrics.service.list_areas
    batches: pd.DataFrame  # metrics.service.load_batches
    names: dict[str, dict[str, str]]  # lang -> area code -> official name
    types: dict[str, str]  # area code -> area type


def _snapshot(engine: Engine, version: str) -> Snapshot:
    areas = service.list_areas(engine)
    latest = areas.drop_duplicates("code", keep="last")
    types = dict(zip(latest["code"].astype(str), latest["area_type"].astype(str), strict=True))
    return Snapshot(version, areas, service.load_batches(engine), official_names(areas), types)


class Warehouse:
    """The engine and the catalogue of this process (one per app)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine: Engine = open_database(settings.resolved_database_url)
        self._directory = Path(settings.metrics_dir)
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._stamp: str | None = None
        self._checked = 0.0
        self._snapshot: Snapshot | None = None

    @property
    def catalog(self) -> Catalog:
        """The pages' catalogue (the warehouse's, or the directory's when so configured), re-read
        when a metric is saved on any replica (checked every few seconds)."""
        with self._lock:
            now = time.monotonic()
            if self._catalog is None or now - self._checked > CATALOGUE_CHECK_SECONDS:
                self._checked = now
                stamp = configured_catalogue_key(self.engine, self._directory)
                if self._catalog is None or stamp != self._stamp:
                    logger.info("api: loading the catalogue (%s)", stamp)
                    from_files = get_settings().catalogue_source != "database"
                    self._catalog = load_catalog(self._directory if from_files else None, engine=self.engine)
                    self._stamp = stamp
            return self._catalog

    def version(self) -> str:
        return data_version(self.engine, self.catalog)

    def snapshot(self) -> Snapshot:
        """The current data version's shared data (rebuilt when a load or the catalogue changes it)."""
        version = self.version()
        current = self._snapshot
        if current is None or current.version != version:
            current = _snapshot(self.engine, version)
            self._snapshot = current
        return current


def warehouse(request: Request) -> Warehouse:
    return request.app.state.warehouse  # type: ignore[no-any-return]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "invalid-token", "authorization_malformed",
                      headers={"WWW-Authenticate": 'Bearer realm="kuntamittari", error="invalid_request"'})
    return token.strip()


def access(request: Request, audience: str | None) -> Access:
    """The caller's access for this request: a valid token gives internal answers unless
    `audience=public` is asked; `audience=internal` without a token is refused (401)."""
    settings: Settings = request.app.state.warehouse.settings
    token = _bearer(request)
    role = role_for_token(token, settings.api_tokens) if token else None
    if token and role is None:
        raise Problem(401, "invalid-token", "token_invalid",
                      headers={"WWW-Authenticate": 'Bearer realm="kuntamittari", error="invalid_token"'})
    if audience not in (None, "", "public", "internal"):
        raise Problem(400, "invalid-parameter", "unknown_audience", words={"audience": audience},
                      parameter="audience", value=audience, allowed=["public", "internal"])
    if audience == "internal" and role is None:
        raise Problem(401, "token-required", "internal_needs_token",
                      parameter="audience", value=audience, headers={"WWW-Authenticate": 'Bearer realm="kuntamittari"'})
    internal = role is not None and audience != "public" and has_role([role], "viewer")
    return Access(role, internal)
