"""The starter catalogue on the bundled real Sotkanet data: values identical to the raw files."""

from __future__ import annotations

import csv
import gzip
import json
import math
from functools import lru_cache
from pathlib import Path

import pytest

from kuntamittari.settings import PILOT_MUNICIPALITIES
from metrics.expr import parse_expression
from metrics.model import DerivedMetric, RatioMetric, Selection, SimpleMetric, SumMetric
from readout.build import build_area_readout
from metrics.service import (
    data_status,
    list_areas,
    list_series,
    load_batches,
    metric_provenance,
    metric_values_all_municipalities,
    query_metric,
)

RAW = Path(__file__).resolve().parents[2] / "datamodel" / "data" / "sotkanet-2013"


@lru_cache(maxsize=1)
def _areas() -> list[dict[str, str]]:
    with (RAW / "areas.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=1)
def _region_codes() -> dict[int, str]:
    """Sotkanet region id -> our area code (municipalities and regions)."""
    out: dict[int, str] = {}
    for row in _areas():
        out[int(row["sotkanet_region_id"])] = row["municipality_code"]
        out[int(row["maakunta_sotkanet_region_id"])] = "MK" + row["maakunta_code"]
    return out


@lru_cache(maxsize=None)
def raw(indicator: int) -> dict[tuple[str, str], float]:
    """(area code, year) -> value straight from the bundled JSON."""
    path = RAW / "data" / f"indicator_{indicator}.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = json.load(handle)
    codes = _region_codes()
    return {(codes[r["region"]], str(r["year"])): r["value"] for r in rows if r["value"] is not None and r["region"] in codes}


def _sid(code: str) -> int:
    return int(code.split(":")[1])


def expected(catalog, metric_id: str, area: str, year: str) -> float | None:
    """The value computed by hand from the raw files (municipality or region with own rows)."""
    metric = catalog.get(metric_id)
    if isinstance(metric, SimpleMetric):
        return raw(_sid(metric.series)).get((area, year))
    if isinstance(metric, RatioMetric):
        n, d = raw(_sid(metric.numerator)).get((area, year)), raw(_sid(metric.denominator)).get((area, year))
        return None if n is None or not d else n / d * metric.scale
    if isinstance(metric, SumMetric):
        parts = [raw(_sid(code)).get((area, year)) for code in metric.series]
        return None if any(p is None for p in parts) else sum(parts)  # type: ignore[arg-type]
    assert isinstance(metric, DerivedMetric)
    expr = parse_expression(metric.expression)
    parts = {name: expected(catalog, name, area, year) for name in expr.names()}
    return None if any(v is None for v in parts.values()) else expr.evaluate(parts)


def test_every_metric_matches_the_source_for_the_pilot_municipalities(bundled_engine, starter_catalog) -> None:
    checked = 0
    for metric in starter_catalog.approved():
        df = query_metric(bundled_engine, starter_catalog, metric.id, Selection(areas=PILOT_MUNICIPALITIES))
        got = {(r.area_code, r.period): r.value for r in df.itertuples() if not math.isnan(r.value)}
        years = {str(y) for y in range(1990, 2012)}
        want = {(a, y): expected(starter_catalog, metric.id, a, y) for a in PILOT_MUNICIPALITIES for y in years}
        want = {k: v for k, v in want.items() if v is not None}
        assert set(got) == set(want), metric.id
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-9), (metric.id, key)
        assert (df["basis"] == "source").all()
        checked += len(want)
        if metric.theme.value != "living_environment_safety":
            assert want, f"{metric.id}: no pilot data"
    assert checked > 5000


def test_region_only_survey_metrics_come_from_region_rows(bundled_engine, starter_catalog) -> None:
    for metric_id, indicator in (("good_quality_of_life", 3127), ("neighbourhood_safety", 3128), ("trust_in_institutions", 3129)):
        rows = raw(indicator)
        regions = sorted({a for a, _y in rows})
        df = query_metric(bundled_engine, starter_catalog, metric_id, Selection(areas=tuple(regions) + ("208",)))
        assert {(r.area_code, r.period): r.value for r in df.itertuples()} == rows
        assert "region" in starter_catalog.get(metric_id).caveats.en


def test_aggregates_match_hand_computed_sums(bundled_engine, starter_catalog) -> None:
    pilot = PILOT_MUNICIPALITIES
    df = query_metric(bundled_engine, starter_catalog, "in_migration_rate", Selection(areas=("pilot", "SSS"), periods=("2011", "2000")))
    got = {(r.area_code, r.period): (r.value, r.numerator, r.denominator, r.basis, r.area_type) for r in df.itertuples()}
    for year in ("2011", "2000"):
        num = sum(raw(3196)[(a, year)] for a in pilot)
        den = sum(raw(127)[(a, year)] for a in pilot)
        value, n, d, basis, kind = got[("pilot", year)]
        assert (n, d, basis) == (num, den, "computed") and value == pytest.approx(num / den * 1000)
        munis = [row["municipality_code"] for row in _areas()]
        assert got[("SSS", year)][1] == sum(raw(3196)[(a, year)] for a in munis)
        assert got[("SSS", year)][4] == "maa"
    pop = query_metric(bundled_engine, starter_catalog, "population", Selection(areas=("MK17", "HVA19"), periods=("2011",)))
    by_area = {r.area_code: (r.value, r.basis) for r in pop.itertuples()}
    assert by_area["MK17"] == (raw(127)[("MK17", "2011")], "source")
    county = [row["municipality_code"] for row in _areas() if row["hyvinvointialue_code"] == "19"]
    assert by_area["HVA19"] == (sum(raw(127)[(a, "2011")] for a in county), "computed")


def test_rate_aggregates_are_source_or_population_weighted(bundled_engine, starter_catalog) -> None:
    df = query_metric(bundled_engine, starter_catalog, "unemployment_rate", Selection(areas=("MK17", "HVA19", "SSS"), periods=("2011",)))
    got = {r.area_code: (r.value, r.basis) for r in df.itertuples()}
    assert got["MK17"] == (raw(181)[("MK17", "2011")], "source")
    county = [row["municipality_code"] for row in _areas() if row["hyvinvointialue_code"] == "19"]
    weighted = sum(raw(181)[(a, "2011")] * raw(127)[(a, "2011")] for a in county) / sum(raw(127)[(a, "2011")] for a in county)
    # Population is an approximation of the labour force, and the metric says so.
    assert got["HVA19"][1] == "approximation" and got["HVA19"][0] == pytest.approx(weighted)
    assert got["SSS"][1] == "approximation"


def test_all_municipalities_for_rankings(bundled_engine, starter_catalog) -> None:
    df = metric_values_all_municipalities(bundled_engine, starter_catalog, "unemployment_rate", None)
    assert set(df["period"]) == {"2011"}
    want = {a: v for (a, y), v in raw(181).items() if y == "2011" and not a.startswith("MK")}
    assert dict(zip(df["area_code"], df["value"])) == want
    old = metric_values_all_municipalities(bundled_engine, starter_catalog, "in_migration_rate", "2005")
    assert len(old) == 320 and set(old["period"]) == {"2005"}


def test_overview_cards_for_kalajoki(bundled_engine, starter_catalog) -> None:
    cards = build_area_readout(bundled_engine, starter_catalog, "208").metrics
    assert len(cards) == len(starter_catalog.approved())
    by_id = {c.metric_id: c for c in cards}
    unemployment = by_id["unemployment_rate"]
    assert unemployment.latest.period == "2011" and unemployment.latest.value == raw(181)[("208", "2011")]
    comparison = unemployment.comparisons[0]
    assert comparison.area.code == "MK17" and comparison.point.value == raw(181)[("MK17", "2011")]
    assert comparison.verdict == "better"  # 8.0 < 11.0, lower is better
    assert unemployment.target.verdict in ("on_target", "off_target")
    assert by_id["good_quality_of_life"].latest is None and by_id["good_quality_of_life"].status == "missing"
    with_values = [c for c in cards if c.latest is not None and c.latest.value is not None]
    assert len(with_values) >= 30
    assert all(c.own.points and c.own.points[-1].period >= c.latest.period for c in with_values)


def test_metadata_functions(bundled_engine, starter_catalog) -> None:
    prov = metric_provenance(bundled_engine, starter_catalog, "migration_balance_rate")
    assert set(prov["series_code"]) == {"sotkanet:3196", "sotkanet:3197", "sotkanet:127"}
    assert set(prov["attribution"]) == {"Lähde: THL, Sotkanet"} and prov["batch_id"].notna().all()
    status = data_status(bundled_engine, starter_catalog)
    assert set(status["metric_id"]) == set(starter_catalog.metrics)
    row = status.set_index("metric_id").loc["unemployment_rate"]
    assert row["latest_period"] == "2011" and row["stale"] and row["missing_series"] == ()
    areas = list_areas(bundled_engine)
    assert {"kunta", "maakunta", "hyvinvointialue", "maa"} <= set(areas["area_type"])
    assert len(list_areas(bundled_engine, "kunta")) == 320
    found = list_series(bundled_engine, "työttö")
    assert "sotkanet:181" in set(found["code"]) and len(found) < 10
    assert len(load_batches(bundled_engine)) >= 1


def test_result_columns_have_the_dtypes_pandas_infers(bundled_engine, starter_catalog) -> None:
    """The tidy frame builds its text columns through pyarrow (fast path); a frame re-inferred from
    plain Python lists must be identical, empty results and missing values included."""
    import pandas as pd

    from metrics.service import RESULT_COLUMNS

    frames = [
        query_metric(bundled_engine, starter_catalog, "unemployment_rate", Selection(areas=("pilot", "208", "SSS"))),
        metric_values_all_municipalities(bundled_engine, starter_catalog, "unemployment_rate", "2011"),
        query_metric(bundled_engine, starter_catalog, "unemployment_rate", Selection(areas=("208",), periods=("1800",))),
    ]
    assert [len(f) > 0 for f in frames] == [True, True, False]
    for frame in frames:
        assert list(frame.columns) == RESULT_COLUMNS
        text = [c for c in RESULT_COLUMNS if c not in ("year", "value", "numerator", "denominator", "batch_id",
                                                        "coverage", "members_present", "members_expected")]
        lists = {c: [None if pd.isna(v) else v for v in frame[c]] for c in text}
        inferred = pd.DataFrame(lists, columns=text)
        pd.testing.assert_frame_equal(frame[text], inferred)
