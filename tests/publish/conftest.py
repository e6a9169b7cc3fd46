"""The static site of two municipalities of the bundled data (fi/sv/en, with PDFs), published once
per test session by two worker processes, as `kuntamittari publish` does for every municipality."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from metrics.catalog import Catalog, load_catalog
from publish.site import Options, SiteResult, publish_site
from site_html import AREAS


@pytest.fixture(scope="session")
def shipped_catalog(bundled_engine: Engine) -> Catalog:
    return load_catalog(None, bundled_engine)


@pytest.fixture(scope="session")
def site(bundled_engine: Engine, shipped_catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> SiteResult:
    out = tmp_path_factory.mktemp("static") / "site"
    result = publish_site(bundled_engine, shipped_catalog, out, Options(areas=AREAS, pdf=True, jobs=2))
    assert result.path is not None, [a.error for a in result.failed]
    return result


@pytest.fixture(scope="session")
def root(site: SiteResult) -> Path:
    assert site.path is not None
    return site.path
