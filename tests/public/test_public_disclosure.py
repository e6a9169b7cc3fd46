"""Disclosure control on hand-made frames: primary and complementary suppression."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from metrics.disclosure import DisclosureError, apply_disclosure, is_below, visible


def _frame(rows: list[tuple[str, str, str, float, float | None, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["area_code", "period", "group_code", "value", "numerator", "denominator"])


def _row(df: pd.DataFrame, **match: str) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for column, value in match.items():
        mask &= df[column] == value
    found = df[mask]
    assert len(found) == 1, match
    return found.iloc[0]


def test_primary_hides_small_numerator_and_keeps_large() -> None:
    df = _frame([("208", "2010", "total", 2.0, 2, 100), ("208", "2011", "total", 12.0, 12, 100)])
    out = apply_disclosure(df, 5)
    small = _row(out, period="2010")
    assert small["suppressed"] and small["suppression_reason"] == "primary"
    assert all(pd.isna(small[c]) for c in ("value", "numerator", "denominator"))
    large = _row(out, period="2011")
    assert not large["suppressed"] and large["suppression_reason"] is None
    assert large["value"] == 12.0 and large["numerator"] == 12
    # the input is not modified
    assert df.loc[0, "value"] == 2.0


def test_threshold_is_exclusive_and_metric_specific() -> None:
    df = _frame([("208", "2011", "total", 5.0, 5, 50), ("244", "2011", "total", 4.0, 4, 50)])
    out = apply_disclosure(df, 5)
    assert list(out["suppressed"]) == [False, True]
    assert list(apply_disclosure(df, 6)["suppressed"]) == [True, True]
    assert list(apply_disclosure(df, 0)["suppressed"]) == [False, False]


def test_zero_count_is_suppressed_and_missing_count_is_not() -> None:
    df = _frame([("208", "2011", "total", 0.0, 0, 80), ("244", "2011", "total", 7.5, None, None)])
    out = apply_disclosure(df, 5)
    assert list(out["suppressed"]) == [True, False]


def test_count_series_uses_value_as_count() -> None:
    df = pd.DataFrame({"area_code": ["208", "009"], "period": ["2011", "2011"], "group_code": ["total"] * 2, "value": [3.0, 2600.0]})
    assert list(apply_disclosure(df, 5)["suppressed"]) == [False, False]
    out = apply_disclosure(df, 5, value_is_count=True)
    assert list(out["suppressed"]) == [True, False]
    assert math.isnan(out.loc[0, "value"])


def test_complementary_hides_second_part_when_one_part_is_small() -> None:
    # total 40 = male 3 + female 37: publishing total and female would reveal male = 3.
    df = _frame([
        ("208", "2011", "total", 40.0, 40, 400),
        ("208", "2011", "male", 3.0, 3, 200),
        ("208", "2011", "female", 37.0, 37, 200),
        ("244", "2011", "total", 60.0, 60, 600),
        ("244", "2011", "male", 30.0, 30, 300),
        ("244", "2011", "female", 30.0, 30, 300),
    ])
    out = apply_disclosure(df, 5)
    assert _row(out, area_code="208", group_code="male")["suppression_reason"] == "primary"
    female = _row(out, area_code="208", group_code="female")
    assert female["suppressed"] and female["suppression_reason"] == "complementary"
    assert pd.isna(female["value"]) and pd.isna(female["numerator"])
    assert not _row(out, area_code="208", group_code="total")["suppressed"]
    # the other municipality is untouched
    assert not out[out["area_code"] == "244"]["suppressed"].any()
    # nothing published lets the hidden value be derived: total minus visible parts is unknown
    shown = out[(out["area_code"] == "208") & ~out["suppressed"]]
    assert set(shown["group_code"]) == {"total"}


def test_complementary_relations_are_per_age_band() -> None:
    df = _frame([
        ("208", "2011", "total", 30.0, 30, 300),
        ("208", "2011", "male", 2.0, 2, 150),
        ("208", "2011", "female", 28.0, 28, 150),
        ("208", "2011", "total:75-", 20.0, 20, 100),
        ("208", "2011", "male:75-", 12.0, 12, 50),
        ("208", "2011", "female:75-", 8.0, 8, 50),
    ])
    out = apply_disclosure(df, 5)
    assert _row(out, group_code="female")["suppression_reason"] == "complementary"
    # relations are per age band: the 75- band has nothing small, so stays fully visible
    assert not out[out["group_code"].str.endswith("75-")]["suppressed"].any()


def test_complementary_does_not_add_when_two_cells_already_hidden() -> None:
    df = _frame([
        ("208", "2011", "total", 6.0, 6, 300),
        ("208", "2011", "male", 2.0, 2, 150),
        ("208", "2011", "female", 4.0, 4, 150),
    ])
    out = apply_disclosure(df, 5)
    assert list(out["suppression_reason"]) == [None, "primary", "primary"]


def test_complementary_hides_total_when_no_part_is_left() -> None:
    # total 10 is small-safe, but only one part is shown and it is small: hide the total too
    df = _frame([("208", "2011", "total", 10.0, 10, 300), ("208", "2011", "male", 3.0, 3, 150)])
    out = apply_disclosure(df, 5)
    assert list(out["suppression_reason"]) == ["complementary", "primary"]


def test_complementary_per_period_and_area() -> None:
    df = _frame([
        ("208", "2010", "total", 40.0, 40, 400),
        ("208", "2010", "male", 20.0, 20, 200),
        ("208", "2010", "female", 20.0, 20, 200),
        ("208", "2011", "total", 40.0, 40, 400),
        ("208", "2011", "male", 4.0, 4, 200),
        ("208", "2011", "female", 36.0, 36, 200),
    ])
    out = apply_disclosure(df, 5)
    assert int(out["suppressed"].sum()) == 2
    assert set(out[out["suppressed"]]["period"]) == {"2011"}


def test_idempotent_and_visible() -> None:
    df = _frame([("208", "2011", "total", 40.0, 40, 400), ("208", "2011", "male", 3.0, 3, 200), ("208", "2011", "female", 37.0, 37, 200)])
    once = apply_disclosure(df, 5)
    twice = apply_disclosure(once, 5)
    assert list(twice["suppressed"]) == list(once["suppressed"])
    assert list(twice["suppression_reason"]) == list(once["suppression_reason"])
    assert list(visible(twice)["group_code"]) == ["total"]


def test_forecast_columns_are_hidden_too() -> None:
    df = pd.DataFrame({"period": ["2012", "2013"], "value": [None, None], "numerator": [3, 9], "yhat": [3.1, 9.0], "lo": [1.0, 7.0], "hi": [5.0, 11.0]})
    out = apply_disclosure(df, 5)
    assert pd.isna(out.loc[0, "yhat"]) and pd.isna(out.loc[0, "lo"]) and pd.isna(out.loc[0, "hi"])
    assert out.loc[1, "yhat"] == 9.0


def test_bad_input_raises_typed_error() -> None:
    with pytest.raises(DisclosureError):
        apply_disclosure(pd.DataFrame({"period": ["2011"]}), 5)
    with pytest.raises(DisclosureError):
        apply_disclosure(_frame([("208", "2011", "total", 1.0, 1, 1)]), -1)
    with pytest.raises(DisclosureError):
        visible(pd.DataFrame({"value": [1.0]}))


def test_scalar_helpers() -> None:
    assert is_below(4, 5) and not is_below(5, 5) and not is_below(None, 5) and not is_below(float("nan"), 5)


def test_metric_layer_shape_gender_and_age_band_columns() -> None:
    """The metric layer's frames name the group as gender + age_band, not group_code."""
    df = pd.DataFrame({
        "metric_id": ["m"] * 6,
        "area_code": ["208"] * 6,
        "period": ["2011"] * 6,
        "gender": ["total", "male", "female", "total", "male", "female"],
        "age_band": ["all", "all", "all", "75-", "75-", "75-"],
        "value": [40.0, 3.0, 37.0, 20.0, 10.0, 10.0],
        "numerator": [40.0, 3.0, 37.0, 20.0, 10.0, 10.0],
        "basis": ["source", "source", "computed", "source", "source", "source"],
        "batch_id": [1, 2, 3, 1, 1, 1],  # differing batches must not break the relation
    })
    out = apply_disclosure(df, 5)
    assert list(out["suppression_reason"]) == [None, "primary", "complementary", None, None, None]
