"""Base years in formulas (`population[2010]`): parsing, and values against the bundled data.

The expected values are computed here by hand from the bundled Sotkanet files themselves
(`datamodel/data/sotkanet-2013`: one JSON list per indicator, Sotkanet region ids mapped to
municipality codes by `areas.csv`), not through the metric layer: a municipality's value is its
row, the pilot group's is the sum of its members' rows (counts) or the ratio of the sums (rates).
"""

from __future__ import annotations

import csv
import gzip
import json
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from metrics.catalog import Catalog, load_catalog
from metrics.expr import At, ExpressionError, base_period, parse_expression
from metrics.model import DerivedMetric, Selection
from metrics.service import metric_years, query_metric
from readout.formula import describe_formula

BUNDLED = Path(__file__).resolve().parents[2] / "datamodel" / "data" / "sotkanet-2013"


@cache
def _raw(indicator: int) -> dict[tuple[str, int], float]:
    """(municipality code, year) -> value, read straight from the bundled Sotkanet file."""
    with (BUNDLED / "areas.csv").open(encoding="utf-8") as handle:
        codes = {int(row["sotkanet_region_id"]): row["municipality_code"] for row in csv.DictReader(handle)}
    with gzip.open(BUNDLED / "data" / f"indicator_{indicator}.json.gz", "rt", encoding="utf-8") as handle:
        rows = json.load(handle)
    return {(codes[r["region"]], int(r["year"])): float(r["value"]) for r in rows
            if r["region"] in codes and r["gender"] == "total" and r["value"] is not None}


def _pilot_sum(indicator: int, year: int) -> float:
    return sum(_raw(indicator)[(code, year)] for code in get_settings().pilot_group)


def _derived(metric_id: str, expression: str) -> DerivedMetric:
    return DerivedMetric(kind="derived", id=metric_id, expression=expression, theme="economy_services",
                         name={"fi": metric_id}, description={"fi": "testi"}, unit={"fi": "x"}, direction="neutral")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    real = load_catalog()
    extra = [
        _derived("pop_change", "population - population[2010]"),
        _derived("pop_change_pct", "(population - population[2010]) / population[2010] * 100"),
        _derived("in_rate_change_pct", "(in_migration_rate - in_migration_rate[2010]) / in_migration_rate[2010] * 100"),
        _derived("pop_change_in_2005", "pop_change[2005]"),  # a base year of a metric that has one
    ]
    return Catalog(metrics={**real.metrics, **{m.id: m for m in extra}}, issues=list(real.issues),
                   files=dict(real.files), directory=real.directory)


def _values(engine: Engine, catalog: Catalog, metric_id: str, areas: tuple[str, ...],
            periods: tuple[str, ...] | None) -> dict[tuple[str, str], float]:
    frame = query_metric(engine, catalog, metric_id, Selection(areas=areas, periods=periods))
    return {(r.area_code, r.period): r.value for r in frame.itertuples()}


# ---------------------------------------------------------------------------- the language


def test_a_base_year_operand_parses_renders_and_evaluates() -> None:
    expr = parse_expression("(population - population[2010]) / population[2010] * 100")
    assert expr.names() == ("population",) and expr.base_years() == (2010,)
    assert expr.operands() == (("population", None), ("population", 2010))
    assert expr.render() == "(population - population[2010]) / population[2010] * 100"
    assert expr.evaluate({"population": 110.0, ("population", 2010): 100.0}) == pytest.approx(10.0)
    assert parse_expression("x[2010] * 2").root.left == At("x", 2010)  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["x[1899]", "x[2101]", "x[2010.5]", "x[y]", "x[-2010]", "x[True]"])
def test_a_base_year_must_be_a_whole_year(text: str) -> None:
    with pytest.raises(ExpressionError) as refused:
        parse_expression(text)
    assert refused.value.code == "bad-expression" and refused.value.key == "bad_expression_year"


@pytest.mark.parametrize("text", ["x[2010][2011]", "x.y[2010]", "f(x)[2010]", "x[2010:2011]"])
def test_other_subscripts_stay_refused(text: str) -> None:
    with pytest.raises(ExpressionError) as refused:
        parse_expression(text)
    assert refused.value.code == "bad-expression"


def test_base_period_keeps_the_quarter_or_month() -> None:
    assert [base_period(p, 2010) for p in ("2011", "2013Q3", "2012M07")] == ["2010", "2010Q3", "2010M07"]


@pytest.mark.parametrize(("lang", "words"), [("fi", "Väkiluku - Väkiluku vuonna 2010"),
                                             ("sv", "Folkmängd - Folkmängd år 2010"),
                                             ("en", "Population - Population in 2010")])
def test_the_formula_in_words_names_the_base_year(catalog: Catalog, lang: str, words: str) -> None:
    names = {mid: m.name.as_dict().get(lang) or m.name.fi for mid, m in catalog.metrics.items()}
    assert describe_formula(catalog.get("pop_change"), lang, metric_names=names) == words
    assert t("change.formula_in_year", lang, name="Väkiluku", year=2010) in describe_formula(
        catalog.get("pop_change_pct"), lang, metric_names={"population": "Väkiluku"})


# ---------------------------------------------------------------------------- values


def test_change_since_a_year_matches_the_bundled_data(bundled_engine: Engine, catalog: Catalog) -> None:
    # Kalajoki (208) and the pilot group (a sum over its members), only 2011 selected: the base
    # year is read without being returned.
    got = _values(bundled_engine, catalog, "pop_change", ("208", "pilot"), ("2011",))
    assert set(got) == {("208", "2011"), ("pilot", "2011")}
    assert got[("208", "2011")] == _raw(127)[("208", 2011)] - _raw(127)[("208", 2010)] == 54.0
    assert got[("pilot", "2011")] == pytest.approx(_pilot_sum(127, 2011) - _pilot_sum(127, 2010))
    pct = _values(bundled_engine, catalog, "pop_change_pct", ("208",), None)
    by_hand = {y: (_raw(127)[("208", y)] / _raw(127)[("208", 2010)] - 1) * 100 for y in range(1990, 2012)}
    assert {p: v for (_a, p), v in pct.items()} == pytest.approx({str(y): v for y, v in by_hand.items()})
    assert pct[("208", "2010")] == 0.0 and pct[("208", "2011")] == pytest.approx(0.4299, abs=1e-4)


def test_change_of_a_rate_uses_the_rates_own_roll_up(bundled_engine: Engine, catalog: Catalog) -> None:
    """The pilot group's in-migration rate is Σ in-migrants / Σ population x 1000 in each year;
    its change in per cent compares those two group rates (never a mean of member changes)."""
    def rate(year: int) -> float:
        return _pilot_sum(3196, year) / _pilot_sum(127, year) * 1000

    got = _values(bundled_engine, catalog, "in_rate_change_pct", ("pilot",), ("2009", "2011"))
    assert got[("pilot", "2011")] == pytest.approx((rate(2011) / rate(2010) - 1) * 100)
    assert got[("pilot", "2009")] == pytest.approx((rate(2009) / rate(2010) - 1) * 100)


def test_a_base_year_of_a_metric_with_a_base_year(bundled_engine: Engine, catalog: Catalog) -> None:
    """`pop_change[2005]` is population(2005) - population(2010) in every year: both base years
    are read for a selection of 2011 only."""
    got = _values(bundled_engine, catalog, "pop_change_in_2005", ("208",), ("2011",))
    assert got == {("208", "2011"): _raw(127)[("208", 2005)] - _raw(127)[("208", 2010)]}


def test_years_offered_as_base_years(bundled_engine: Engine, catalog: Catalog) -> None:
    years = metric_years(bundled_engine, catalog, "in_migration_rate")
    data_years = sorted({y for _c, y in _raw(3196)} & {y for _c, y in _raw(127)}, reverse=True)
    assert list(years) == data_years and years[0] == 2011
    assert metric_years(bundled_engine, catalog, "pop_change") == metric_years(bundled_engine, catalog, "population")
