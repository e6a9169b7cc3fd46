"""The authoring page under Streamlit's AppTest, opened in a language (shared by the page tests)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "authoring.py")


def open_page(lang: str) -> AppTest:
    """The page after its first run in `lang`, which must not have raised."""
    at = AppTest.from_file(PAGE, default_timeout=90)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
