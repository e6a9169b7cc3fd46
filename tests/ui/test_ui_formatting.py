"""Numbers, changes, periods and dates per language (readout.formatting)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from readout.formatting import (
    MINUS,
    NARROW_NBSP,
    format_change,
    format_date,
    format_datetime,
    format_integer,
    format_number,
    format_period,
    vega_number_format,
)


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_finnish_and_swedish_use_decimal_comma_and_narrow_space(lang: str) -> None:
    assert format_number(1234567.891, lang, 1) == f"1{NARROW_NBSP}234{NARROW_NBSP}567,9"
    assert format_number(-1234.5, lang, 2) == f"{MINUS}1{NARROW_NBSP}234,50"
    assert "\u00a0" not in format_number(98765.4, lang, 1)


def test_english_uses_comma_groups_and_point() -> None:
    assert format_number(1234567.891, "en", 1) == "1,234,567.9"
    assert format_number(-3.25, "en", 1) == "-3.3"


def test_rounding_is_half_up_not_bankers() -> None:
    assert format_number(2.25, "fi", 1) == "2,3"
    assert format_number(0.125, "en", 2) == "0.13"
    assert format_number(8.0, "fi", 1) == "8,0"
    assert format_integer(2.5, "fi") == "3"


def test_changes_are_signed_and_zero_has_no_sign() -> None:
    assert format_change(1.26, "fi", 1) == "+1,3"
    assert format_change(-1.3000000000000007, "fi", 1) == f"{MINUS}1,3"
    assert format_change(-0.04, "fi", 1) == "0,0"
    assert format_change(0.0, "en", 1) == "0.0"


@pytest.mark.parametrize("value", [None, float("nan"), "x"])
def test_missing_values_show_a_dash(value: object) -> None:
    assert format_number(value, "fi") == "–"


def test_periods() -> None:
    assert format_period("2011", "fi") == "2011"
    assert format_period("2011Q3", "fi") == "2011/3"
    assert format_period("2011Q3", "en") == "2011 Q3"
    assert format_period("2011M07", "sv") == "7/2011"
    assert format_period("2011M07", "en") == "Jul 2011"
    assert format_period(None, "fi") == "–"


def test_dates() -> None:
    assert format_date(date(2026, 11, 3), "fi") == "3.11.2026"
    assert format_date("2013-09-08", "sv") == "8.9.2013"
    assert format_date(date(2026, 11, 3), "en") == "3 Nov 2026"
    assert format_datetime(datetime(2026, 11, 3, 14, 5), "fi") == "3.11.2026 klo 14.05"
    assert format_datetime(datetime(2026, 11, 3, 14, 5), "sv") == "3.11.2026 kl. 14.05"
    assert format_datetime(datetime(2026, 11, 3, 14, 5), "en") == "3 Nov 2026, 14:05"
    assert format_date("not a date", "fi") == "–"


def test_chart_locale_matches_text_format() -> None:
    fi = vega_number_format("fi")
    assert (fi["decimal"], fi["thousands"]) == (",", NARROW_NBSP)
    assert vega_number_format("en")["decimal"] == "."
