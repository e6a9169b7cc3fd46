"""AppTest set-up for the dashboard pages: the app reads the session's bundled Sotkanet database
(read-only) with sign-in switched off (auth mode `none`), as on a developer's machine."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kuntamittari.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app_env(bundled_engine: Engine) -> Iterator[dict[str, str]]:
    """Environment for running app.py and the pages against the bundled database (restored after
    the module, so other packages' tests see the environment they expect)."""
    env = {
        "KUNTAMITTARI_DATABASE_URL": bundled_engine.url.render_as_string(hide_password=False),
        "KUNTAMITTARI_AUTH_MODE": "none",
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    get_settings.cache_clear()
    yield env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()
