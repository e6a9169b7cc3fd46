"""The internal monthly report: "internal" on every page, this month's changes in the digest's
own words, unsuppressed figures of the internal readout, forecasts with their intervals; one
PDF per municipality of a group from the command line."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import flat, pdf_pages
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from cli.main import app
from datamodel.engine import make_engine
from datamodel.schema import load_batch
from digest.compute import DigestEntry
from digest.store import digest_for_area, save_items
from readout.digest import item_sentence
from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from readout.build import build_area_readout
from readout.localise import localise
from reports.monthly import group_members, monthly_pdf


@pytest.fixture
def warehouse(bundled_engine: Engine, tmp_path: Path) -> Engine:
    """A copy of the bundled database whose first load happened in November 2026, with two
    digest items of that load for Kalajoki."""
    path = tmp_path / "monthly.sqlite"
    shutil.copyfile(bundled_engine.url.database, path)
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        batch = conn.execute(select(load_batch.c.batch_id).order_by(load_batch.c.batch_id)).scalars().first()
        conn.execute(update(load_batch).where(load_batch.c.batch_id == batch)
                     .values(loaded_at=datetime(2026, 11, 3, 4, 15, tzinfo=UTC)))
    save_items(engine, [
        DigestEntry(batch, "208", "unemployment_rate", "working_age", "revised", "2010", {"old": 9.4, "new": 9.0}),
        DigestEntry(batch, "208", "unemployment_rate", "working_age", "new_period", "2011",
                    {"periods": ["2011"], "value": 8.0, "previous_value": 9.0, "previous_period": "2010"}),
    ])
    yield engine
    engine.dispose()


@pytest.mark.slow
def test_monthly_report_is_internal_on_every_page_with_changes_and_forecasts(warehouse, shipped_catalog):
    pdf = monthly_pdf(warehouse, shipped_catalog, "208", 2026, 11, "fi")
    pages = pdf_pages(pdf)
    assert len(pages) >= 2
    for page in pages:
        assert t("reports.monthly.mark", "fi") in page
    text = flat(" ".join(pages))
    for record in digest_for_area(warehouse, "208"):
        assert flat(item_sentence(record, shipped_catalog, "fi")) in text
    words = localise(build_area_readout(warehouse, shipped_catalog, "208", compare_with=("region", "county", "finland")), "fi")
    unemployment = words.metric("unemployment_rate")
    assert flat(f"{unemployment.value} ({unemployment.period})") in text
    assert t("reports.monthly.forecast_heading", "fi") in text and "2012" in text and "2014" in text
    assert t("reports.monthly.forecast_col_interval", "fi") in text
    # another month had no loads: it says so and lists the latest changes with their load date
    other = flat(" ".join(pdf_pages(monthly_pdf(warehouse, shipped_catalog, "208", 2026, 12, "en"))))
    assert flat(t("reports.monthly.no_changes", "en", month="Dec 2026")) in other
    assert "3 Nov 2026" in other and t("reports.monthly.mark", "en") in other


def test_groups_resolve_to_municipalities(bundled_engine):
    assert group_members(bundled_engine, "pilot") == list(get_settings().pilot_group)
    assert group_members(bundled_engine, "208,244") == ["208", "244"]
    assert "208" in group_members(bundled_engine, "MK17")


@pytest.mark.slow
def test_cli_writes_one_pdf_per_municipality_and_refuses_a_bad_month(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("KUNTAMITTARI_DATABASE_URL", warehouse.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        bad = runner.invoke(app, ["report", "monthly", "--group", "pilot", "--month", "2026-13", "--out-dir", str(tmp_path)])
        assert bad.exit_code == 2 and "2026-13" in bad.output
        done = runner.invoke(app, ["report", "monthly", "--group", "208,244", "--month", "2026-11",
                                   "--out-dir", str(tmp_path / "out"), "--lang", "sv"])
        assert done.exit_code == 0, done.output
        files = sorted(p.name for p in (tmp_path / "out").iterdir())
        assert files == ["manadsrapport_208_2026-11_sv.pdf", "manadsrapport_244_2026-11_sv.pdf"]
        assert "Kempele" in flat(" ".join(pdf_pages((tmp_path / "out" / files[1]).read_bytes())))
    finally:
        get_settings.cache_clear()
