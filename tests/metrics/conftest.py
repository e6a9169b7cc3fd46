"""Fixtures of the metric-layer tests: a tiny, hand-checkable star schema and a small catalogue.

The tiny schema is built with `Base.metadata.create_all` on SQLite and on a real PostgreSQL
(same tests, parametrised), so every aggregation rule can be checked against sums done by hand:

    area   region county size     pop 2009/2010/2011   in-migrants 2010/2011   rate 2009/2010/2011
    001    MK01   HVA01  small    1000/1000/1100       50/44                   11/10/12
    002    MK01   HVA01  small    3000/3000/2900       90/116                  7/6/5
    003    MK02   HVA01  medium   -   /6000/6000       300/-                   9/8/9
    MK01 has its own rate row in 2010 (7.1) and Gini rows; MK02, HVA01 and SSS have no facts.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from datamodel.engine import make_engine
from datamodel.coverage import refresh_series_coverage
from datamodel.schema import Base, area, fact, group, load_batch, period, series
from metrics.catalog import Catalog, load_catalog
from metrics.model import METRIC_CLASSES
from metrics.yaml_io import dump_metric

AREAS = [
    # id, type, code, name, region, county, size
    (1, "kunta", "001", "Aakkola", "MK01", "HVA01", "alle_2000"),
    (2, "kunta", "002", "Beekoo", "MK01", "HVA01", "alle_2000"),
    (3, "kunta", "003", "Ceeoo", "MK02", "HVA01", "2000_5999"),
    (10, "maakunta", "MK01", "Ykkösmaakunta", None, None, None),
    (11, "maakunta", "MK02", "Kakkosmaakunta", None, None, None),
    (20, "hyvinvointialue", "HVA01", "Ykkösalue", None, None, None),
    (30, "maa", "SSS", "Koko maa", None, None, None),
]
SERIES = {1: "sotkanet:127", 2: "sotkanet:3196", 3: "sotkanet:181", 4: "sotkanet:3126", 5: "sotkanet:3197"}
PERIODS = {2009: 1, 2010: 2, 2011: 3}
GROUPS = [(1, "total", "total", "all"), (2, "female", "female", "all")]

# (area_id, series_id, year, value, group_id, status)
FACTS = [
    # population (count)
    (1, 1, 2009, 1000), (2, 1, 2009, 3000),
    (1, 1, 2010, 1000), (2, 1, 2010, 3000), (3, 1, 2010, 6000),
    (1, 1, 2011, 1100), (2, 1, 2011, 2900), (3, 1, 2011, 6000),
    # in-migrants (count); 003 has no 2011 value
    (1, 2, 2010, 50), (2, 2, 2010, 90), (3, 2, 2010, 300),
    (1, 2, 2011, 44), (2, 2, 2011, 116),
    # out-migrants (count)
    (1, 5, 2010, 30), (2, 5, 2010, 60), (3, 5, 2010, 100),
    (1, 5, 2011, 40), (2, 5, 2011, 80), (3, 5, 2011, 120),
    # unemployment rate (%); MK01 has its own row in 2010 only
    (1, 3, 2009, 11.0), (2, 3, 2009, 7.0), (3, 3, 2009, 9.0),
    (1, 3, 2010, 10.0), (2, 3, 2010, 6.0), (3, 3, 2010, 8.0), (10, 3, 2010, 7.1),
    (1, 3, 2011, 12.0), (2, 3, 2011, 5.0), (3, 3, 2011, 9.0),
    # Gini (source only)
    (1, 4, 2010, 25.0), (2, 4, 2010, 27.0), (10, 4, 2010, 26.5),
]
EXTRA_FACTS = [
    (1, 3, 2010, 9.5, 2, "ok"),  # female unemployment in 001
    (2, 4, 2011, None, 1, "suppressed"),  # Gini of 002 suppressed at source
]


def _build(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(load_batch), [{
            "batch_id": 1, "source": "test", "loader": "tiny", "location": "tests/metrics/conftest.py",
            "loaded_at": now, "licence": "CC BY 4.0", "attribution": "Lähde: testi", "checksum": "0" * 64,
        }])
        conn.execute(insert(area), [
            {"area_id": i, "area_type": kind, "code": code, "name_fi": name, "name_sv": name + " sv", "name_en": name,
             "region_code": region, "county_code": county, "size_class": size, "valid_from": 1900}
            for i, kind, code, name, region, county, size in AREAS
        ])
        conn.execute(insert(series), [
            {"series_id": sid, "code": code, "source": "sotkanet", "source_id": code.split(":")[1],
             "title_fi": f"Sarja {code}", "licence": "CC BY 4.0", "attribution": "Lähde: THL, Sotkanet",
             "is_count": sid in (1, 2, 5)}
            for sid, code in SERIES.items()
        ])
        conn.execute(insert(period), [{"period_id": pid, "code": str(y), "grain": "year", "year": y} for y, pid in PERIODS.items()])
        conn.execute(insert(group), [{"group_id": g, "code": c, "gender": gd, "age_band": ab} for g, c, gd, ab in GROUPS])
        rows = [(a, s, y, v, 1, "ok") for a, s, y, v in FACTS] + EXTRA_FACTS
        conn.execute(insert(fact), [
            {"area_id": a, "series_id": s, "period_id": PERIODS[y], "group_id": g, "value": v, "status": st, "batch_id": 1}
            for a, s, y, v, g, st in rows
        ])
        refresh_series_coverage(conn, SERIES)  # as the loaders do


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def tiny_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The tiny star schema on SQLite (create_all) and on PostgreSQL. Read-only for tests."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('tiny') / 'tiny.sqlite'}")
    else:
        engine = make_engine(request.getfixturevalue("new_pg_database")())
    _build(engine)
    yield engine
    engine.dispose()


def _texts(fi: str) -> dict[str, str]:
    return {"fi": fi, "sv": fi + " (sv)", "en": fi + " (en)"}


def tiny_metric(mid: str, kind: str, **inputs: object) -> dict:
    """A complete approved metric definition for the tiny schema."""
    base = {
        "schema_version": 1, "id": mid, "status": "approved", "theme": "economy_services",
        "name": _texts(mid), "description": _texts(mid + " kuvaus"), "unit": _texts("%"),
        "decimals": 1, "direction": "lower_is_better", "kind": kind,
    }
    base.update(inputs)
    return base


TINY_METRICS = [
    tiny_metric("in_rate", "ratio", numerator="sotkanet:3196", denominator="sotkanet:127", scale=1000,
                unit=_texts("/ 1 000 asukasta"), direction="higher_is_better"),
    tiny_metric("out_rate", "ratio", numerator="sotkanet:3197", denominator="sotkanet:127", scale=1000,
                unit=_texts("/ 1 000 asukasta")),
    tiny_metric("unemployment", "simple", series="sotkanet:181", aggregation="weighted_mean", weight="sotkanet:127",
                weight_basis="denominator", targets=[{"year": 2012, "value": 11.0}], thresholds={"good": 8.0, "poor": 12.0}),
    tiny_metric("unemployment_female", "simple", series="sotkanet:181", aggregation="weighted_mean",
                weight="sotkanet:127", weight_basis="approximation", approximation_note=_texts("väestöllä painotettu"),
                filters={"gender": "female"}),
    tiny_metric("gini", "simple", series="sotkanet:3126", aggregation="source_only", unit=_texts("indeksi")),
    tiny_metric("in_migrants", "simple", series="sotkanet:3196", aggregation="sum", unit=_texts("henkilöä"), decimals=0),
    tiny_metric("gross_migration", "sum", series=["sotkanet:3196", "sotkanet:3197"], aggregation="sum", unit=_texts("henkilöä")),
    tiny_metric("net_rate", "derived", expression="in_rate - out_rate", unit=_texts("/ 1 000 asukasta")),
    tiny_metric("net_rate_x2", "derived", expression="2 * net_rate", unit=_texts("/ 1 000 asukasta")),
]


def write_metrics(directory: Path, metrics: list[dict]) -> None:
    for data in metrics:
        metric = METRIC_CLASSES[data["kind"]].model_validate(data)
        path = directory / metric.theme.value / f"{metric.id}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_metric(metric), encoding="utf-8")


@pytest.fixture(scope="session")
def tiny_catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    directory = tmp_path_factory.mktemp("tiny-metrics")
    write_metrics(directory, TINY_METRICS)
    catalog = load_catalog(directory)
    assert not catalog.issues, [i.render() for i in catalog.issues]
    return catalog


@pytest.fixture(scope="session")
def starter_catalog(bundled_engine: Engine) -> Catalog:
    """The shipped catalogue, validated against the bundled database."""
    return load_catalog(None, bundled_engine)
