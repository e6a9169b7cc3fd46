"""Sign-in test set-up (helpers in `auth_site.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_site import AuthSite, make_site
from sqlalchemy import Engine

from kuntamittari.settings import get_settings


@pytest.fixture
def auth_site(tmp_path: Path, bundled_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[AuthSite]:
    """A private database copy, a users file with one author, settings pointing at them."""
    site = make_site(tmp_path, bundled_engine)
    for key, value in site.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("KUNTAMITTARI_PUBLIC_ONLY", raising=False)
    get_settings.cache_clear()
    yield site
    get_settings.cache_clear()
