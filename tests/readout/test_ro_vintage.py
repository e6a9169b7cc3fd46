"""The data vintage: the one freshness rule on known dates, the vintage of the bundled data (THL
Sotkanet retrieved 2013-09-08, up to 2011: datamodel/data/sotkanet-2013/README.md), its words
in fi/sv/en, an own upload's date, and the words of a refresh report shared with the CLI."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kuntamittari.i18n import t
from metrics.catalog import load_catalog
from metrics.service import data_status, load_batches
from readout.build import build_area_readout
from readout.localise import localise
from readout.model import Source
from readout.refresh_report import series_line, series_rows, source_line
from readout.rules import expected_period, judge_freshness, publication_lag
from readout.sources import sources_of_batches
from readout.vintage import freshness_label, make_vintage, metric_vintage, readout_vintage, status_vintage, vintage_text
from refresh.report import SeriesOutcome, SourceOutcome

NOV_2026 = date(2026, 11, 30)


@pytest.mark.parametrize(("period", "frequency", "lag", "today", "verdict", "expected"), [
    # yearly Sotkanet data for Y is published during Y + 1: in November 2026 the newest due is 2024
    ("2024", "yearly", 12, NOV_2026, "current", "2024"),
    ("2023", "yearly", 12, NOV_2026, "stale", "2024"),
    ("2011", "yearly", 12, NOV_2026, "stale", "2024"),
    ("2024", "yearly", 12, date(2026, 12, 31), "current", "2024"),
    ("2024", "yearly", 12, date(2027, 1, 1), "stale", "2025"),  # 2025 became due with the new year
    # own data has no lag: the year just ended is due
    ("2024", "yearly", 0, date(2026, 1, 1), "stale", "2025"),
    # StatFin monthly, three months' lag: July 2026 ends, + 3 months = October, before November
    ("2026M07", "monthly", 3, NOV_2026, "current", "2026M07"),
    ("2026M06", "monthly", 3, NOV_2026, "stale", "2026M07"),
    ("2026Q2", "quarterly", 3, NOV_2026, "current", "2026Q2"),
    ("2026Q1", "quarterly", 3, NOV_2026, "stale", "2026Q2"),
    ("2011", "irregular", 12, NOV_2026, "not_judged", None),
])
def test_freshness_rule_on_known_dates(period: str, frequency: str, lag: int, today: date, verdict: str,
                                       expected: str | None) -> None:
    found = judge_freshness(period, frequency, lag, today)
    assert (found.verdict, found.expected) == (verdict, expected)


def test_no_data_and_the_slowest_source_decide() -> None:
    assert judge_freshness(None, "yearly", 12, NOV_2026).verdict == "no_data"
    assert publication_lag(["own", "sotkanet"]) == 12 and publication_lag(["statfin"]) == 3
    assert publication_lag(["own"]) == 0 and publication_lag(["unknown_source"]) == 12
    assert expected_period("monthly", 0, NOV_2026) == "2026M10"


def test_bundled_readout_vintage_in_three_languages(bundled_engine) -> None:  # type: ignore[no-untyped-def]
    catalog = load_catalog()
    readout = build_area_readout(bundled_engine, catalog, "208", compare_with=("region",))
    vintage = readout_vintage(readout, today=NOV_2026)
    assert vintage.newest == "2011"
    assert [(s.name, s.retrieved.date(), s.origin) for s in vintage.sources] == [("THL, Sotkanet", date(2013, 9, 8), "sotkanet")]
    with_data = {m.metric_id for m in readout.metrics if any(p.value is not None for p in m.own.points)}
    irregular = {m.id for m in catalog.metrics.values() if m.update_frequency.value == "irregular"}
    assert {m.metric_id for m in vintage.stale} == with_data - irregular
    assert vintage.metric("voter_turnout").freshness.verdict == "not_judged"
    words = {lang: vintage_text(vintage, lang) for lang in ("fi", "sv", "en")}
    assert "2011" in words["fi"].line and "8.9.2013" in words["fi"].line and "8.9.2013" in words["sv"].line
    assert "8 Sept 2013" in words["en"].line
    for lang, text in words.items():
        assert "2011" in text.notice and "2024" in text.notice, lang
        assert text.admin_hint == t("vintage.admin_hint", lang)
    assert freshness_label(vintage.metric("unemployment_rate"), "en") == "stale (2024 expected)"


def test_public_sentences_carry_their_year(bundled_engine) -> None:  # type: ignore[no-untyped-def]
    readout = build_area_readout(bundled_engine, load_catalog(), "208", compare_with=("region", "finland"),
                                 audience="public")
    words = localise(readout, "en")
    assert words.headline[0].startswith("Kalajoki: in 2006–2011 ")
    item = words.metric("unemployment_rate")
    assert "2011" in item.latest_sentence and "(2011: " in item.comparisons[0].sentence


def test_status_vintage_matches_the_readout_rule(bundled_engine) -> None:  # type: ignore[no-untyped-def]
    catalog = load_catalog()
    status = data_status(bundled_engine, catalog)
    vintage = status_vintage(status, catalog, sources_of_batches(load_batches(bundled_engine)),
                             metric_ids=["unemployment_rate", "voter_turnout"], today=NOV_2026)
    assert [m.metric_id for m in vintage.metrics] == ["unemployment_rate", "voter_turnout"]
    assert vintage.metric("unemployment_rate").origins == ("sotkanet",) and vintage.newest == "2011"
    assert [m.freshness.verdict for m in vintage.metrics] == ["stale", "not_judged"]
    assert vintage_text(vintage, "en").notice.startswith("The data is not up to date: the newest figures are for 2011")


def test_an_own_upload_is_dated_by_its_upload_and_due_at_once() -> None:
    upload = Source("Kalajoen kaupunki", "own", datetime(2026, 11, 3, tzinfo=UTC), "uploaded", "anna@kalajoki.fi", "own")
    current = make_vintage([metric_vintage("home_care", "2026M10", "monthly", ["own"], NOV_2026)], [upload], NOV_2026)
    late = make_vintage([metric_vintage("home_care", "2026M09", "monthly", ["own"], NOV_2026)], [upload], NOV_2026)
    assert "uploaded 3 Nov 2026 by anna@kalajoki.fi" in vintage_text(current, "en").line
    assert vintage_text(current, "en").notice == ""
    assert "9/2026" in vintage_text(late, "fi").notice and "10/2026" in vintage_text(late, "fi").notice


def test_refresh_report_words_are_shared_with_the_cli() -> None:
    src = SourceOutcome("sotkanet", "ok", batch_id=7, requests=5, series=[
        SeriesOutcome("sotkanet:181", "revised", ["2012"], new_values=310, revised_values=1, unchanged_values=9),
        SeriesOutcome("sotkanet:127", "failed", reason="HTTP 404")])
    assert source_line(src, "en") == "THL Sotkanet: batch 7 loaded (2 series, new values 310, revised 1, 5 requests)."
    single = SourceOutcome("sotkanet", "nothing_new", requests=1, series=[SeriesOutcome("sotkanet:181", "unchanged")])
    assert source_line(single, "sv") == "THL Sotkanet: inget nytt (1 serie kontrollerad, 1 förfrågan)."
    assert source_line(single, "fi") == "THL Sotkanet: ei uutta (1 sarja tarkistettu, 1 pyyntö)."
    assert series_line(src.series[0], "en") == "  sotkanet:181: revised new periods 2012 (310 new, 1 revised, 9 unchanged)"
    assert series_line(src.series[1], "en") == "  sotkanet:127: failed – HTTP 404"
    rows = series_rows([src], "sv")
    assert rows[0][t("vintage.refresh.col.revised", "sv")] == 1 and rows[1][t("vintage.refresh.col.reason", "sv")] == "HTTP 404"
