"""Fixtures of the readout tests (helpers in ro_data.py)."""

from __future__ import annotations

import pytest
from ro_data import build as _build


@pytest.fixture
def build():  # type: ignore[no-untyped-def]
    return _build
