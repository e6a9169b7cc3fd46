"""The readout's rules on known numbers, and readouts of hand-built frames (coverage included)."""

from __future__ import annotations

import pandas as pd
import pytest

from kuntamittari.i18n import t
from readout import rules
from readout.export import csv_bytes, readout_dict, summary_rows
from readout.formatting import format_number
from readout.build import build_area_readout
from readout.localise import localise
from ro_data import count_metric, frame, rate_metric


def _trend(values: list[float], direction: str = "lower_is_better") -> str:
    points = [(2011 - len(values) + 1 + i, v) for i, v in enumerate(values)]
    return rules.judge_trend(points, direction, 1).verdict  # type: ignore[arg-type]


def test_trend_uses_direction() -> None:
    assert _trend([12.0, 11.0, 10.0, 9.0, 8.0, 7.0]) == "improving"
    assert _trend([7.0, 8.0, 9.0, 10.0, 11.0, 12.0]) == "worsening"
    assert _trend([7.0, 8.0, 9.0, 10.0, 11.0, 12.0], "higher_is_better") == "improving"
    assert _trend([10.0, 10.1, 10.05]) == "stable"
    assert _trend([10.0, 11.0, 12.0], "neutral") == "rising"
    assert _trend([10.0, 12.0]) == "unknown"  # fewer than three values


def test_trend_reads_the_line_not_the_two_ends() -> None:
    # Kalajoki's unemployment in the bundled Sotkanet data: 9.4 -> 8.0 at the ends, but 8.1 in 2008
    # and 11.2 in 2009; the line through all six years moves by -0.09 points: 'stable'.
    kalajoki = [(2006, 9.4), (2007, 8.2), (2008, 8.1), (2009, 11.2), (2010, 9.3), (2011, 8.0)]
    fit = rules.judge_trend(kalajoki, "lower_is_better", 1)
    assert fit.verdict == "stable" and fit.change == pytest.approx(-0.0857, abs=1e-3)
    assert (fit.first_year, fit.last_year, fit.points) == (2006, 2011, 6)
    # only the last six years count: an old spike outside the window changes nothing
    assert _trend([50.0, 12.0, 11.0, 10.0, 9.0, 8.0, 7.0]) == "improving"


def test_comparison_verdicts() -> None:
    assert rules.judge_difference(8.0, 10.0, "lower_is_better", 1) == "better"
    assert rules.judge_difference(8.0, 6.0, "lower_is_better", 1) == "worse"
    assert rules.judge_difference(8.0, 8.2, "lower_is_better", 1) == "same"  # within 5 %
    assert rules.judge_difference(8.0, 6.0, "neutral", 1) == "higher"
    assert rules.per_residents(524, 12_616) == pytest.approx(41.535, rel=1e-3)
    assert rules.per_residents(524, None) is None


def test_band_target_and_attention() -> None:
    assert rules.judge_band(12.0, good=8.0, poor=11.0, direction="lower_is_better") == "poor"
    assert rules.judge_band(9.0, good=8.0, poor=11.0, direction="lower_is_better") == "watch"
    assert rules.pick_target([(2010, 11.0, None), (2015, 9.0, None), (2012, 7.0, "208")], "208", 2011) == (2012, 7.0)
    assert rules.pick_target([(2005, 11.0, None)], "244", 2011) == (2005, 11.0)
    assert rules.judge_target(12.0, 11.0, None, "lower_is_better", 1) == "off_target"
    assert rules.judge_target(11.04, 11.0, None, "lower_is_better", 1) == "on_target"  # same as shown
    assert rules.attention("worsening", "off_target", "poor", "worse") == ("worsening", "off_target", "worse_than_comparison")
    assert rules.attention("improving", "on_target", "good", "better") == ()


@pytest.mark.parametrize(("lang", "number"), [("fi", "12\u202f345,7"), ("sv", "12\u202f345,7"), ("en", "12,345.7")])
def test_number_format_per_language(lang: str, number: str) -> None:
    assert format_number(12345.67, lang, 1) == number
    assert format_number(3.25, lang, 1) == ("3.3" if lang == "en" else "3,3")  # half up, everywhere


def test_readout_texts_in_three_languages(build) -> None:  # type: ignore[no-untyped-def]
    rows = [("208", 2006 + i, v, "ok", "source") for i, v in enumerate([12.0, 11.0, 10.0, 9.0, 8.0, 7.5])]
    rows += [("MK17", 2011, 9.0, "ok", "source")]
    readout = build(rate_metric(), rows)
    item = readout.metrics[0]
    assert item.trend.verdict == "improving" and item.comparisons[0].verdict == "better"
    fi, sv, en = (localise(readout, lang) for lang in ("fi", "sv", "en"))
    assert fi.improving == ("Työttömyysaste",) and sv.improving == ("Arbetslöshetsgrad",) and en.improving == ("Unemployment rate",)
    assert "7,5\u202f%" in fi.metrics[0].latest_sentence and "7.5%" in en.metrics[0].latest_sentence
    assert "12,0\u202f%" in fi.metrics[0].trend_sentence and "2006" in fi.metrics[0].trend_sentence
    assert en.metrics[0].comparisons[0].area == "North Ostrobothnia" and sv.metrics[0].comparisons[0].area == "Norra Österbotten"
    assert "better" in en.metrics[0].comparisons[0].sentence and "bättre" in sv.metrics[0].comparisons[0].sentence
    assert fi.data_period == "2011" and any("Kalajoki" in line for line in fi.headline)


def test_coverage_statuses_are_worded(build) -> None:  # type: ignore[no-untyped-def]
    extra = ("coverage", "members_present", "members_expected")
    rows = [("208", 2011, 8.0, "ok", "source", None, None, None),
            ("MK17", 2011, None, "insufficient", "computed", 0.71, 20, 30),
            ("MK17", 2010, 9.1, "partial", "weighted", 0.97, 29, 30)]
    readout = build(rate_metric(), rows, extra=extra)
    comparison = readout.metrics[0].comparisons[0]
    assert comparison.verdict == "unknown" and comparison.reason == "insufficient"
    assert comparison.point is not None and comparison.point.coverage == pytest.approx(0.71)
    texts = {lang: localise(readout, lang).metrics[0].comparisons[0] for lang in ("fi", "sv", "en")}
    assert texts["fi"].value == "ei riittävästi tietoa (kattavuus 71\u202f%)"
    assert texts["sv"].value == "inte tillräckligt med uppgifter (täckning 71\u202f%)"
    assert texts["en"].value == "not enough data (coverage 71%)"
    region = readout.metrics[0].series[1].points
    partial = next(p for p in region if p.period == "2010")
    assert partial.status == "partial" and partial.value == 9.1
    from readout.localise import status_text, value_text

    assert value_text(partial, 1, "en") == "9.1" and status_text(partial, "en") == "partial, coverage 97%"
    # without the coverage columns (another branch's metric layer): full coverage, no percentage
    plain = build(rate_metric(), [("208", 2011, 8.0, "ok", "source"), ("MK17", 2011, 9.0, "ok", "weighted")])
    assert plain.metrics[0].comparisons[0].point.coverage is None
    assert localise(plain, "en").metrics[0].comparisons[0].status == ""


def test_counts_are_compared_per_resident_or_not_at_all(build) -> None:  # type: ignore[no-untyped-def]
    rows = [("208", 2011, 524.0, "ok", "source"), ("MK17", 2011, 24_748.0, "ok", "source")]
    population = frame("population", [("208", 2011, 12_616.0, "ok", "source"), ("MK17", 2011, 397_887.0, "ok", "source")])
    readout = build(count_metric(), rows, population=population)
    comparison = readout.metrics[0].comparisons[0]
    # 524 / 12 616 = 41.5 per 1 000 against 24 748 / 397 887 = 62.2: worse (more in-migrants is better)
    assert comparison.basis == "per_1000_residents" and comparison.verdict == "worse"
    assert comparison.own_rate == pytest.approx(41.53, abs=0.01) and comparison.other_rate == pytest.approx(62.20, abs=0.01)
    line = localise(readout, "en").metrics[0].comparisons[0].line
    assert line == "North Ostrobothnia: 24,748 (▼ worse, per 1,000 residents 41.5 / 62.2)"
    # no population: the count is not judged against a bigger area at all
    alone = build(count_metric(), rows).metrics[0].comparisons[0]
    assert alone.verdict == "not_comparable" and alone.reason == "different_size" and alone.basis is None
    assert "better" not in localise(build(count_metric(), rows), "en").metrics[0].comparisons[0].line


def test_exports_carry_the_readout_words(build) -> None:  # type: ignore[no-untyped-def]
    rows = [("208", 2006 + i, v, "ok", "source") for i, v in enumerate([12.0, 11.0, 10.0, 9.0, 8.0, 7.5])]
    readout = build(rate_metric(), rows + [("MK17", 2011, 9.0, "ok", "source")])
    for lang in ("fi", "sv", "en"):
        row = summary_rows(readout, lang)[0]
        words = localise(readout, lang).metrics[0]
        assert row[t("public.col_value", lang)] == words.value and row[t("public.col_trend", lang)] == words.trend_label
        data = readout_dict(readout, lang)
        assert data["readout"]["metrics"][0]["trend"]["verdict"] == "improving"
        assert data["text"]["metrics"][0]["value"] == words.value
        assert data["sources"] == [t("readout.source.fetched", lang, name="THL, Sotkanet", licence="CC BY 4.0",
                                     date="8.9.2013" if lang != "en" else "8 Sept 2013")]
        assert csv_bytes([row], lang).decode("utf-8-sig").splitlines()[1].count(words.value) >= 1


def test_hidden_latest_value_never_in_text(build) -> None:  # type: ignore[no-untyped-def]
    rows = [("208", 2009, 12.0, "ok", "source"), ("208", 2010, 11.0, "ok", "source")]
    readout = build(rate_metric(), rows)
    data = frame("unemployment", rows + [("208", 2011, 0.3, "ok", "source")]).assign(suppressed=[False, False, True])
    from readout.build import readout_from_collected
    from ro_data import collected

    readout = readout_from_collected(collected({"unemployment": data}, audience="public"), [rate_metric()])
    item = readout.metrics[0]
    assert item.status == "too_few" and item.trend.verdict == "unknown"
    words = localise(readout, "en").metrics[0]
    assert "too few" in words.latest_sentence and "0.3" not in words.latest_sentence and words.trend_sentence == ""
    assert pd.isna(data["value"]).sum() == 0  # the input frame is left as it was


def test_formula_in_the_page_language_with_a_visible_fallback() -> None:
    from metrics.catalog import load_catalog
    from readout.formula import describe_formula

    metric = load_catalog().get("in_migration_rate")
    assert describe_formula(metric, "fi") == "Tulomuuttajat, lkm / Väestö 31.12. × 1\u202f000"
    # the bundled series have Finnish titles only: shown in Finnish, marked as such
    assert describe_formula(metric, "sv").startswith("Tulomuuttajat, lkm (på finska) / Väestö 31.12. (på finska) ×")
    titles = {"sotkanet:3196": {"fi": "Tulomuuttajat", "en": "In-migrants"}, "sotkanet:127": {"fi": "Väestö", "en": "Population"}}
    assert describe_formula(metric, "en", titles) == "In-migrants / Population × 1,000"


def test_area_names_are_official_in_every_language(bundled_engine) -> None:  # type: ignore[no-untyped-def]
    from metrics.catalog import load_catalog

    readout = build_area_readout(bundled_engine, load_catalog(), "208", compare_with=("region", "county", "finland"),
                                 metric_ids=["unemployment_rate"])
    names = {lang: dict(localise(readout, lang).level_names) for lang in ("fi", "sv", "en")}
    assert (names["fi"]["region"], names["sv"]["region"], names["en"]["region"]) == \
        ("Pohjois-Pohjanmaa", "Norra Österbotten", "North Ostrobothnia")
    assert (names["fi"]["finland"], names["sv"]["finland"], names["en"]["finland"]) == ("Koko maa", "Hela landet", "Finland")
    assert names["sv"]["county"] == "Norra Österbottens välfärdsområde"


def test_each_source_keeps_its_own_provenance_and_date() -> None:
    """Own data is footed with its own name, licence, upload date and uploader; uploading it does
    not move the retrieval date shown for Sotkanet."""
    from datetime import datetime, timezone

    from readout.localise import sources_line
    from readout.sources import sources_of_batches

    batches = pd.DataFrame([
        {"batch_id": 1, "source": "sotkanet", "attribution": "Lähde: THL, Sotkanet", "licence": "CC BY 4.0",
         "fetched_at": datetime(2013, 9, 8, tzinfo=timezone.utc), "loaded_at": datetime(2026, 1, 5, tzinfo=timezone.utc)},
        {"batch_id": 2, "source": "own", "attribution": "Lähde: kunta 208", "licence": "own",
         "fetched_at": datetime(2026, 11, 3, tzinfo=timezone.utc), "loaded_at": datetime(2026, 11, 3, tzinfo=timezone.utc),
         "uploaded_by": "kirsi@kalajoki.fi"},
    ])
    sotkanet_only = sources_of_batches(batches, [1])
    both = sources_of_batches(batches)
    assert [s.name for s in both] == ["THL, Sotkanet", "kunta 208"]
    assert both[0].retrieved == sotkanet_only[0].retrieved == datetime(2013, 9, 8, tzinfo=timezone.utc)
    own = both[1]
    assert own.kind == "uploaded" and own.uploaded_by == "kirsi@kalajoki.fi"
    line = sources_line(both, "en")
    assert line == ("Source: THL, Sotkanet (CC BY 4.0), retrieved 8 Sept 2013; kunta 208 (the municipality's own "
                    "data), uploaded 3 Nov 2026 by kirsi@kalajoki.fi")
    assert "THL" not in sources_line(sources_of_batches(batches, [2]), "fi")
