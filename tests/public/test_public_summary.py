"""Plain-language summary: trend/comparison rules, texts in three languages, disclosure."""

from __future__ import annotations

import pandas as pd
import pytest

from metrics.summary import (
    MetricFacts,
    build_summary,
    classify_comparison,
    classify_trend,
    facts_from_frames,
    format_number,
)

NAME = {"fi": "Työttömät", "sv": "Arbetslösa", "en": "Unemployed"}


def _facts(values: list[float | None], direction: str = "lower_is_better", **comparisons: float | None) -> MetricFacts:
    periods = [str(2011 - len(values) + 1 + i) for i in range(len(values))]
    return MetricFacts(
        metric_id="tyottomat",
        name=NAME,
        unit={"fi": "%", "sv": "%", "en": "%"},
        decimals=1,
        direction=direction,  # type: ignore[arg-type]
        series=tuple(zip(periods, values)),
        comparisons=comparisons,
    )


def test_trend_uses_direction() -> None:
    assert classify_trend(_facts([12.0, 11.0, 10.0, 9.0, 8.0, 7.0]))[0] == "improving"
    assert classify_trend(_facts([7.0, 8.0, 9.0, 10.0, 11.0, 12.0]))[0] == "worsening"
    assert classify_trend(_facts([7.0, 8.0, 9.0, 10.0, 11.0, 12.0], "higher_is_better"))[0] == "improving"
    assert classify_trend(_facts([10.0, 10.1]))[0] == "stable"
    assert classify_trend(_facts([10.0, 12.0], "neutral"))[0] == "rising"
    assert classify_trend(_facts([10.0]))[0] == "unknown"


def test_trend_never_uses_a_suppressed_value() -> None:
    # latest suppressed: no trend at all
    assert classify_trend(_facts([10.0, 12.0, None]))[0] == "unknown"
    # start suppressed: the earliest publishable value in the window is used instead
    trend, start, value = classify_trend(_facts([None, 12.0, 11.0, 10.0]))
    assert (trend, start, value) == ("improving", "2009", 12.0)


def test_comparison_verdicts() -> None:
    facts = _facts([9.0, 8.0])
    assert classify_comparison(facts, 10.0) == "better"
    assert classify_comparison(facts, 6.0) == "worse"
    assert classify_comparison(facts, 8.2) == "same"
    assert classify_comparison(facts, None) == "unknown"
    assert classify_comparison(_facts([9.0, 8.0], "neutral"), 6.0) == "higher"


@pytest.mark.parametrize(
    ("lang", "number"),
    [("fi", "12\xa0345,7"), ("sv", "12\xa0345,7"), ("en", "12,345.7")],
)
def test_number_format_per_language(lang: str, number: str) -> None:
    assert format_number(12345.67, lang, 1) == number


def test_summary_texts_in_three_languages() -> None:
    facts = [_facts([12.0, 11.0, 10.0, 9.0, 8.0, 7.5], region=9.0, county=9.1, country=7.0)]
    fi = build_summary(facts, "208", "Kalajoki", "fi")
    sv = build_summary(facts, "208", "Kalajoki", "sv")
    en = build_summary(facts, "208", "Kalajoki", "en")
    assert fi.improving == ("Työttömät",) and sv.improving == ("Arbetslösa",) and en.improving == ("Unemployed",)
    assert fi.worsening == ()
    assert "7,5 %" in fi.metrics[0].latest_text and "7,5 %" in sv.metrics[0].latest_text
    assert "7.5%" in en.metrics[0].latest_text
    assert "12,0 %" in fi.metrics[0].trend_text and "2006" in fi.metrics[0].trend_text
    # better than region (9.0), same level as county? no: 7.5 vs 9.1 is better; worse than Finland 7.0
    assert len(en.metrics[0].comparison_texts) == 3
    assert "better" in en.metrics[0].comparison_texts[0] and "worse" in en.metrics[0].comparison_texts[2]
    assert "bättre" in sv.metrics[0].comparison_texts[0]
    assert fi.data_period == "2011"
    assert any("Kalajoki" in line for line in fi.headline)


def test_suppressed_latest_value_never_in_text() -> None:
    facts = [_facts([12.0, 11.0, None], region=9.0)]
    summary = build_summary(facts, "208", "Kalajoki", "en")
    item = summary.metrics[0]
    assert "too few" in item.latest_text
    assert item.trend == "unknown" and item.trend_text == "" and item.comparison_texts == ()


def _frames(area_rows: list[tuple[str, str, float, float]]) -> dict[str, pd.DataFrame]:
    area = pd.DataFrame(area_rows, columns=["period", "group_code", "value", "numerator"])
    area.insert(0, "area_code", "208")
    region = pd.DataFrame({"area_code": "MK17", "period": ["2010", "2011"], "group_code": "total", "value": [5.0, 5.5], "numerator": [500.0, 550.0]})
    return {"area": area, "region": region}


def test_facts_from_frames_applies_disclosure() -> None:
    frames = _frames([
        ("2010", "total", 6.0, 60.0),
        ("2011", "total", 0.3, 3.0),  # too few: must not come out anywhere
        ("2011", "male", 0.1, 1.0),
        ("2011", "female", 0.2, 2.0),
    ])
    facts = facts_from_frames(metric_id="x", texts={"name": NAME, "direction": "lower_is_better"}, frames=frames)
    assert facts.series == (("2010", 6.0), ("2011", None))
    assert facts.suppressed
    assert facts.comparisons == {"region": 5.5}
    for lang in ("fi", "sv", "en"):
        summary = build_summary([facts], "208", "Kalajoki", lang)
        text = " ".join([*summary.headline, *summary.comparisons, summary.metrics[0].latest_text, summary.metrics[0].trend_text])
        assert "0,3" not in text and "0.3" not in text
