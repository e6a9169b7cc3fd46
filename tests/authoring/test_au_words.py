"""The authoring page's words around dates and failures: the reader's date format in the version
history, and a preview that fails says what to do in the page's language, never the exception."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from metrics.authoring_store import HistoryEntry
from metrics.catalog import load_catalog
from ui import authoring_support as support
from ui.authoring_review import history_label

SAVED = datetime(2026, 12, 1, 9, 5)


@pytest.mark.parametrize(("lang", "when"), [("fi", "1.12.2026 klo 9.05"), ("sv", "1.12.2026 kl. 9.05"),
                                            ("en", "1 Dec 2026, 09:05")])
def test_history_label_writes_the_time_as_the_reader_does(lang: str, when: str) -> None:
    entry = HistoryEntry("kpi_x", "3", None, "save", SAVED, author="alice@kunta.fi")
    assert history_label(entry, lang) == f"3 · {when} · alice@kunta.fi"
    assert "2026-12-01" not in history_label(entry, lang)


def test_history_label_of_a_conflict_copy_is_translated() -> None:
    entry = HistoryEntry("kpi_x", "4", None, "conflict", SAVED, author="bob@kunta.fi")
    assert history_label(entry, "sv").startswith(t("authoring.history_conflict", "sv", version="4"))
    assert history_label(HistoryEntry("kpi_x", "4", None, "save", SAVED), "sv") == "4"  # files store: no author


def test_a_failed_preview_gives_the_fault_in_the_page_language_not_the_exception(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"this is not a database file at all " * 200)
    monkeypatch.setenv("KUNTAMITTARI_DATABASE_URL", f"sqlite:///{broken}")
    get_settings.cache_clear()
    try:
        catalog = load_catalog()
        metric = next(iter(catalog.metrics.values()))
        result = support.preview(metric, catalog, "sv")
    finally:
        get_settings.cache_clear()
    assert result.rows.empty
    assert result.error == t("faults.corrupt", "sv")
    for raw in ("sqlite3", "not a database", "[SQL", "Error"):
        assert raw not in (result.error or "")
