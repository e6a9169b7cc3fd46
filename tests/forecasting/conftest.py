"""Fixtures for the forecasting tests: real series from the bundled data (see fc_data.py); the
service, CLI and page tests also use the shared `bundled_engine`."""

from __future__ import annotations

import pandas as pd
import pytest
from fc_data import sotkanet_series


@pytest.fixture(scope="session")
def kalajoki_unemployment() -> pd.DataFrame:
    """Unemployment rate (%), Kalajoki (208), 1991-2011: 21 real yearly points."""
    return sotkanet_series(181, "208")
