"""Aggregation rules on the tiny star schema, against sums done by hand (see conftest.py)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from kuntamittari.settings import get_settings
from metrics.errors import AreaNotFound, MetricNotFound
from metrics.model import Selection
from kuntamittari.i18n import t
from metrics.service import RESULT_COLUMNS, comparison_areas, query_metric
from readout.build import build_area_readout
from readout.localise import localise


def _values(df: pd.DataFrame) -> dict[tuple[str, str], tuple[float | None, str, str]]:
    return {
        (r.area_code, r.period): (None if pd.isna(r.value) else round(float(r.value), 6), r.basis, r.status)
        for r in df.itertuples()
    }


def test_ratio_aggregates_sum_of_numerators_over_sum_of_denominators(tiny_engine, tiny_catalog) -> None:
    df = query_metric(tiny_engine, tiny_catalog, "in_rate", Selection(areas=("001", "MK01", "MK02", "HVA01", "SSS")))
    assert list(df.columns) == RESULT_COLUMNS
    v = _values(df)
    assert v[("001", "2010")] == (50.0, "source", "ok")
    assert v[("001", "2011")] == (40.0, "source", "ok")
    assert v[("MK01", "2010")] == (35.0, "computed", "ok")  # (50+90)/(1000+3000)*1000
    assert v[("MK01", "2011")] == (40.0, "computed", "ok")  # (44+116)/(1100+2900)*1000
    assert v[("MK02", "2010")] == (50.0, "computed", "ok")
    assert v[("HVA01", "2010")] == (44.0, "computed", "ok")  # 440/10000*1000
    assert v[("SSS", "2010")] == (44.0, "computed", "ok")
    # 003 has no in-migrant figure in 2011: its members hold 4000 of the 10000 inhabitants, so
    # the county's value is withheld (coverage 40 % < 95 %).
    assert v[("HVA01", "2011")] == (None, "computed", "insufficient")
    cov = df.set_index(["area_code", "period"])
    assert cov.loc[("HVA01", "2011"), ["coverage", "members_present", "members_expected"]].tolist() == [0.4, 2, 3]
    assert cov.loc[("HVA01", "2010"), ["coverage", "members_present", "members_expected"]].tolist() == [1.0, 3, 3]
    assert pd.isna(cov.loc[("001", "2010"), "coverage"]) and pd.isna(cov.loc[("001", "2010"), "members_expected"])
    row = df[(df.area_code == "MK01") & (df.period == "2010")].iloc[0]
    assert (row.numerator, row.denominator) == (140.0, 4000.0)
    assert row.area_type == "maakunta" and row.area_name_fi == "Ykkösmaakunta"
    assert df[df.area_code == "SSS"].area_type.unique().tolist() == ["maa"]


def test_rate_uses_source_row_else_weighted_by_its_base(tiny_engine, tiny_catalog) -> None:
    v = _values(query_metric(tiny_engine, tiny_catalog, "unemployment", Selection(areas=("MK01", "HVA01"))))
    assert v[("MK01", "2010")] == (7.1, "source", "ok")
    assert v[("MK01", "2011")] == (6.925, "weighted", "ok")  # (12*1100 + 5*2900) / 4000
    assert v[("MK01", "2009")] == (8.0, "weighted", "ok")
    assert v[("HVA01", "2010")] == (7.6, "weighted", "ok")
    assert v[("HVA01", "2011")] == (8.17, "weighted", "ok")
    # 003 has no population in 2009: its weight is unknown, so coverage is counted in members
    # (2 of 3) and the county's value is withheld rather than guessed.
    assert v[("HVA01", "2009")] == (None, "weighted", "insufficient")


def test_counts_sum_and_sum_metric(tiny_engine, tiny_catalog) -> None:
    df = query_metric(tiny_engine, tiny_catalog, "in_migrants", Selection(areas=("MK01",), periods=("2010",)))
    assert df[["value", "numerator", "basis"]].iloc[0].tolist() == [140.0, 140.0, "computed"]
    v = _values(query_metric(tiny_engine, tiny_catalog, "gross_migration", Selection(areas=("002", "MK01"))))
    assert v[("002", "2010")] == (150.0, "source", "ok")
    assert v[("MK01", "2010")] == (230.0, "computed", "ok")
    assert v[("MK01", "2011")] == (280.0, "computed", "ok")


def test_derived_over_aggregates(tiny_engine, tiny_catalog) -> None:
    v = _values(query_metric(tiny_engine, tiny_catalog, "net_rate_x2", Selection(areas=("001", "MK01"))))
    assert v[("MK01", "2010")] == (25.0, "computed", "ok")  # 2 * (35 - 22.5)
    assert v[("MK01", "2011")] == (20.0, "computed", "ok")  # 2 * (40 - 30)
    assert v[("001", "2010")] == (40.0, "source", "ok")  # 2 * (50 - 30)


def test_source_only_and_suppressed(tiny_engine, tiny_catalog) -> None:
    v = _values(query_metric(tiny_engine, tiny_catalog, "gini", Selection(areas=("002", "MK01", "HVA01"))))
    assert v[("MK01", "2010")] == (26.5, "source", "ok")
    assert v[("002", "2011")] == (None, "source", "suppressed")
    assert not any(code == "HVA01" for code, _ in v)


def test_group_filter_and_selection_gender(tiny_engine, tiny_catalog) -> None:
    df = query_metric(tiny_engine, tiny_catalog, "unemployment_female", Selection(areas=("001",)))
    assert df[["period", "value", "gender"]].values.tolist() == [["2010", 9.5, "female"]]
    df = query_metric(tiny_engine, tiny_catalog, "unemployment", Selection(areas=("001",), gender="female"))
    assert df["value"].tolist() == [9.5]


def test_period_filter_and_order(tiny_engine, tiny_catalog) -> None:
    df = query_metric(tiny_engine, tiny_catalog, "unemployment", Selection(areas=("MK01", "001"), periods=("2011", "2009")))
    assert df[["area_code", "period"]].values.tolist() == [["MK01", "2009"], ["MK01", "2011"], ["001", "2009"], ["001", "2011"]]


def test_named_groups(tiny_engine, tiny_catalog, monkeypatch) -> None:
    monkeypatch.setenv("KUNTAMITTARI_PILOT_GROUP", '["001", "003"]')
    get_settings.cache_clear()
    try:
        v = _values(query_metric(tiny_engine, tiny_catalog, "in_rate", Selection(areas=("pilot", "similar:001"), periods=("2010",))))
        assert v[("pilot", "2010")] == (50.0, "computed", "ok")  # (50+300)/(1000+6000)*1000
        assert v[("similar:001", "2010")] == (35.0, "computed", "ok")  # 001 and 002 are both small
        assert comparison_areas(tiny_engine, "001", "pilot") == ["003"]
    finally:
        monkeypatch.delenv("KUNTAMITTARI_PILOT_GROUP")
        get_settings.cache_clear()
    assert comparison_areas(tiny_engine, "001", "region") == ["MK01"]
    assert comparison_areas(tiny_engine, "003", "county") == ["HVA01"]
    assert comparison_areas(tiny_engine, "001", "finland") == ["SSS"]
    assert comparison_areas(tiny_engine, "001", "similar") == ["002"]
    assert comparison_areas(tiny_engine, "001", "002, 003") == ["002", "003"]


def test_unknown_codes_raise_typed_errors(tiny_engine, tiny_catalog) -> None:
    with pytest.raises(AreaNotFound, match="999"):
        query_metric(tiny_engine, tiny_catalog, "in_rate", Selection(areas=("999",)))
    with pytest.raises(MetricNotFound, match="did you mean 'in_rate'"):
        query_metric(tiny_engine, tiny_catalog, "in_rte", Selection(areas=("001",)))


def _card(engine, catalog, metric_id: str, area: str, compare_with: str = "region"):  # type: ignore[no-untyped-def]
    """The overview card's readout of one metric (what `ui.cards` draws)."""
    return build_area_readout(engine, catalog, area, compare_with=(compare_with,), metric_ids=[metric_id]).metrics[0]


def test_metric_card(tiny_engine, tiny_catalog) -> None:
    card = _card(tiny_engine, tiny_catalog, "unemployment", "001", "region")
    assert card.latest.period == "2011" and card.latest.value == 12.0
    assert card.previous.value == 10.0 and card.change_1 == pytest.approx(2.0) and card.change_5 is None
    comparison = card.comparisons[0]
    assert comparison.area.code == "MK01" and comparison.point.value == pytest.approx(6.925)
    assert comparison.point.basis == "weighted"
    assert localise(build_area_readout(tiny_engine, tiny_catalog, "001", metric_ids=["unemployment"]), "en") \
        .metrics[0].comparisons[0].value_basis == t("readout.basis.weighted", "en")
    assert comparison.verdict == "worse"  # lower is better and 12 > 6.9
    assert card.target.value == 11.0 and card.target.verdict == "off_target"
    assert card.band == "poor"
    assert card.trend.verdict == "worsening" and card.trend.direction == "up"
    assert [(p.period, p.value) for p in card.own.points] == [("2009", 11.0), ("2010", 10.0), ("2011", 12.0)]
    county = _card(tiny_engine, tiny_catalog, "unemployment", "001", "county").comparisons[0]
    assert county.area.code == "HVA01" and county.point.value == pytest.approx(8.17)


def test_card_numerators_and_missing_data(tiny_engine, tiny_catalog) -> None:
    card = _card(tiny_engine, tiny_catalog, "in_rate", "001", "region")
    assert card.comparisons[0].verdict == "same"  # 001 and MK01 are both 40.0 in 2011
    gini = _card(tiny_engine, tiny_catalog, "gini", "003", "region")
    assert gini.latest is None and gini.status == "missing" and gini.trend.verdict == "unknown"


def test_overview_cards_cover_every_approved_metric(tiny_engine, tiny_catalog) -> None:
    readout = build_area_readout(tiny_engine, tiny_catalog, "002", compare_with=("region",))
    assert [c.metric_id for c in readout.metrics] == [m.id for ms in tiny_catalog.by_theme().values() for m in ms]
    single = {c.metric_id: c for c in readout.metrics}
    for metric_id in ("in_rate", "unemployment", "net_rate"):
        assert single[metric_id] == _card(tiny_engine, tiny_catalog, metric_id, "002", "region")
    assert math.isclose(single["in_rate"].latest.value, 116 / 2900 * 1000)
