"""Browser tests: the server and Chromium fixtures live in tests/conftest.py (shared with the
authoring and public browser tests)."""

import pytest

pytestmark = pytest.mark.browser
