"""Coverage, status and municipal divisions on a hand-built star, loaded through the real loaders.

    code name region  merged         pop 2014/2015/2020   in-migrants 2014/2015   unemployment % / labour force 2014
    101  Aa   MK01                   1000/1000/1000       10/10                   10 / 600
    102  Bb   MK01                   2000/2000/2000       20/-                     5 / 800
    103  Cc   MK01                    500/ 500/ 500        -/-                     - / 250
    104  Dd   MK01                   4000/4000/6500       40/40                    8 / 2000
    105  Ee   MK01   into 104 (2017) 2500/2500/  -        25/25                   12 / 1350
    106  Ff   MK02                   3000/3000/3000       30/30                    6 / 1500
    MK02 has a population row of its own (3000); MK01, HVA01 (all six) and SSS have none.

Every expected figure below is worked out by hand from this table.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import Engine, insert, select

from datamodel.loaders.core import BatchInfo, SeriesMeta, load_observations
from datamodel.loaders.own_data import import_own_data
from datamodel.schema import area, fact, fact_revision, period, series
from metrics.catalog import Catalog, load_catalog
from metrics.model import METRIC_CLASSES, Selection
from metrics.service import data_quality, metric_provenance, query_metric
from metrics.yaml_io import dump_metric

AREAS = [
    (1, "kunta", "101", "Aa", "MK01", None, None), (2, "kunta", "102", "Bb", "MK01", None, None),
    (3, "kunta", "103", "Cc", "MK01", None, None), (4, "kunta", "104", "Dd", "MK01", None, None),
    (5, "kunta", "105", "Ee", "MK01", 2016, "104"), (6, "kunta", "106", "Ff", "MK02", None, None),
    (10, "maakunta", "MK01", "Ykkönen", None, None, None), (11, "maakunta", "MK02", "Kakkonen", None, None, None),
    (20, "hyvinvointialue", "HVA01", "Alue", None, None, None), (30, "maa", "SSS", "Koko maa", None, None, None),
]
POP = {"101": 1000, "102": 2000, "103": 500, "104": 4000, "105": 2500, "106": 3000, "MK02": 3000}
OBS = (
    [("sotkanet:127", a, y, v) for y in ("2014", "2015") for a, v in POP.items()]
    + [("sotkanet:127", a, "2020", v) for a, v in {**POP, "104": 6500}.items() if a != "105"]
    + [("sotkanet:3196", a, "2014", v) for a, v in {"101": 10, "102": 20, "104": 40, "105": 25, "106": 30}.items()]
    + [("sotkanet:3196", a, "2015", v) for a, v in {"101": 10, "104": 40, "105": 25, "106": 30}.items()]
    + [("sotkanet:181", a, "2014", v) for a, v in {"101": 10, "102": 5, "104": 8, "105": 12, "106": 6}.items()]
    + [("sotkanet:3000", a, "2014", v) for a, v in {"101": 600, "102": 800, "103": 250, "104": 2000, "105": 1350, "106": 1500}.items()]
)
METAS = [SeriesMeta(code, "sotkanet", code.split(":")[1], f"Sarja {code}", "CC BY 4.0", "Lähde: THL, Sotkanet",
                    is_count=code in ("sotkanet:127", "sotkanet:3196", "sotkanet:3000"))
         for code in ("sotkanet:127", "sotkanet:3196", "sotkanet:181", "sotkanet:3000")]
BATCH = BatchInfo("sotkanet", "sotkanet-files", "tests/metrics/test_me_coverage.py", "CC BY 4.0", "Lähde: THL, Sotkanet")


def _texts(fi: str) -> dict[str, str]:
    return {"fi": fi, "sv": fi + " (sv)", "en": fi + " (en)"}


def _metric(mid: str, kind: str, **inputs: object) -> dict:
    return {"schema_version": 1, "id": mid, "status": "approved", "theme": "economy_services", "name": _texts(mid),
            "description": _texts(mid), "unit": _texts("%"), "decimals": 1, "direction": "neutral", "kind": kind,
            **inputs}


def _obs(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"series_code": s, "area_code": a, "period_code": p, "group_code": "total", "value": float(v)}
                         for s, a, p, v in rows])


@pytest.fixture
def star(db_engine: Engine) -> Iterator[Engine]:
    """The star above on a fresh migrated SQLite or PostgreSQL database (a test may load more)."""
    engine = db_engine
    with engine.begin() as conn:
        conn.execute(insert(area), [
            {"area_id": i, "area_type": kind, "code": code, "name_fi": name, "name_sv": name, "name_en": name,
             "region_code": region, "county_code": "HVA01" if kind == "kunta" else None, "valid_from": 1900,
             "valid_to": valid_to, "successor_code": successor}
            for i, kind, code, name, region, valid_to, successor in AREAS
        ])
    result = load_observations(engine, _obs(OBS), METAS, BATCH, checksum="star-1")
    assert result.rows_inserted == len(OBS)
    yield engine


@pytest.fixture(scope="module")
def star_catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    directory = tmp_path_factory.mktemp("star-metrics")
    count = {"unit": _texts("henkilöä"), "decimals": 0}
    for data in [
        _metric("population", "simple", series="sotkanet:127", aggregation="sum", **count),
        _metric("in_migrants", "simple", series="sotkanet:3196", aggregation="sum", **count),
        _metric("in_rate", "ratio", numerator="sotkanet:3196", denominator="sotkanet:127", scale=1000,
                unit=_texts("/ 1 000 asukasta")),
        _metric("in_rate_x2", "derived", expression="2 * in_rate", unit=_texts("/ 1 000 asukasta")),
        _metric("unemployment", "simple", series="sotkanet:181", aggregation="weighted_mean",
                weight="sotkanet:3000", weight_basis="denominator"),
        _metric("unemployment_pop", "simple", series="sotkanet:181", aggregation="weighted_mean",
                weight="sotkanet:127", weight_basis="approximation",
                approximation_note=_texts("painotettu väestöllä, ei työvoimalla")),
        _metric("home_care", "simple", series="own:101:kotihoito", aggregation="sum", **count),
    ]:
        metric = METRIC_CLASSES[data["kind"]].model_validate(data)
        (directory / f"{metric.id}.yaml").write_text(dump_metric(metric), encoding="utf-8")
    catalog = load_catalog(directory)
    assert not catalog.issues, [i.render() for i in catalog.issues]
    return catalog


def _row(df: pd.DataFrame, code: str, period_code: str) -> dict:
    rows = df[(df["area_code"] == code) & (df["period"] == period_code)]
    assert len(rows) == 1, (code, period_code, df[["area_code", "period"]].values.tolist())
    return rows.iloc[0].to_dict()


def _shown(row: dict) -> tuple:
    value = None if pd.isna(row["value"]) else round(float(row["value"]), 9)
    coverage = None if pd.isna(row["coverage"]) else round(float(row["coverage"]), 9)
    present = None if pd.isna(row["members_present"]) else int(row["members_present"])
    expected = None if pd.isna(row["members_expected"]) else int(row["members_expected"])
    return value, row["status"], row["basis"], coverage, present, expected


def test_missing_members_lower_the_coverage_of_a_count(star, star_catalog) -> None:
    df = query_metric(star, star_catalog, "in_migrants", Selection(areas=("MK01", "SSS", "104")))
    # 103 has no figure: its 500 of MK01's 10 000 inhabitants are missing (95 %: shown, marked partial).
    assert _shown(_row(df, "MK01", "2014")) == (95.0, "partial", "computed", 0.95, 4, 5)
    # 102 and 103 missing in 2015: 7 500 of 10 000 (75 %) is not enough, the value is withheld.
    assert _shown(_row(df, "MK01", "2015")) == (None, "insufficient", "computed", 0.75, 3, 5)
    assert _shown(_row(df, "SSS", "2014")) == (125.0, "partial", "computed", round(12500 / 13000, 9), 5, 6)
    # A municipality's own row is not computed: no coverage.
    assert _shown(_row(df, "104", "2014")) == (40.0, "ok", "source", None, None, None)


def test_full_coverage_and_the_groups_own_row(star, star_catalog) -> None:
    df = query_metric(star, star_catalog, "population", Selection(areas=("MK01", "MK02", "SSS"), periods=("2014",)))
    assert _shown(_row(df, "MK01", "2014")) == (10000.0, "ok", "computed", 1.0, 5, 5)
    assert _shown(_row(df, "MK02", "2014")) == (3000.0, "ok", "source", None, None, None)  # the source's own row wins
    assert _shown(_row(df, "SSS", "2014")) == (13000.0, "ok", "computed", 1.0, 6, 6)


def test_a_rate_is_weighted_by_its_own_base(star, star_catalog) -> None:
    own = query_metric(star, star_catalog, "unemployment", Selection(areas=("MK01", "SSS"), periods=("2014",)))
    # Labour force is the base: (10*600 + 5*800 + 8*2000 + 12*1350) / 4750; 103's 250 of 5000 missing.
    assert _shown(_row(own, "MK01", "2014")) == (round(42200 / 4750, 9), "partial", "weighted", 0.95, 4, 5)
    assert _shown(_row(own, "SSS", "2014")) == (round(51200 / 6250, 9), "partial", "weighted", round(6250 / 6500, 9), 5, 6)
    # The same rate weighted by population is another number, and says it is an approximation.
    pop = query_metric(star, star_catalog, "unemployment_pop", Selection(areas=("MK01",), periods=("2014",)))
    assert _shown(_row(pop, "MK01", "2014")) == (round(82000 / 9500, 9), "partial", "approximation", 0.95, 4, 5)


def test_ratio_and_derived_carry_coverage(star, star_catalog) -> None:
    df = query_metric(star, star_catalog, "in_rate", Selection(areas=("MK01",), periods=("2014", "2015")))
    # Members with both figures: 95 in-migrants over 9 500 inhabitants of 10 000.
    row = _row(df, "MK01", "2014")
    assert _shown(row) == (10.0, "partial", "computed", 0.95, 4, 5)
    assert (row["numerator"], row["denominator"]) == (95.0, 9500.0)
    assert _shown(_row(df, "MK01", "2015")) == (None, "insufficient", "computed", 0.75, 3, 5)
    derived = query_metric(star, star_catalog, "in_rate_x2", Selection(areas=("MK01",), periods=("2014",)))
    assert _shown(_row(derived, "MK01", "2014")) == (20.0, "partial", "computed", 0.95, 4, 5)


def test_own_data_of_one_municipality_never_makes_a_region_value(star, star_catalog) -> None:
    report, result = import_own_data(star, b"kunta;vuosi;arvo\n101;2020;40\n", filename="kotihoito.csv",
                                     series_code="own:101:kotihoito", source_name="Aan kunta, kotihoito",
                                     licence="CC BY 4.0", uploaded_by="maija", is_count=True)
    assert report.ok and result.rows_inserted == 1
    df = query_metric(star, star_catalog, "home_care", Selection(areas=("101", "MK01", "SSS"), periods=("2020",)))
    assert _shown(_row(df, "101", "2020")) == (40.0, "ok", "source", None, None, None)
    # 105 merged away before 2020: four members expected, one reported (1 000 of 10 000 inhabitants).
    assert _shown(_row(df, "MK01", "2020")) == (None, "insufficient", "computed", 0.1, 1, 4)
    assert _row(df, "SSS", "2020")["status"] == "insufficient"
    prov = metric_provenance(star, star_catalog, "home_care").iloc[0]
    assert (prov["source_name"], prov["licence"], prov["uploaded_by"]) == ("Aan kunta, kotihoito", "CC BY 4.0", "maija")
    assert pd.isna(prov["fetched_at"]) and prov["uploaded_at"] == prov["loaded_at"]
    sotkanet = metric_provenance(star, star_catalog, "population").iloc[0]
    assert pd.isna(sotkanet["source_name"]) and pd.isna(sotkanet["uploaded_at"]) and pd.isna(sotkanet["uploaded_by"])


def test_a_release_on_newer_borders_rebases_the_series(star, star_catalog) -> None:
    before = query_metric(star, star_catalog, "population", Selection(areas=("SSS",), periods=("2014",)))
    assert _shown(_row(before, "SSS", "2014")) == (13000.0, "ok", "computed", 1.0, 6, 6)
    # Population of 2014 on the borders after the merger: 104 includes 105, which has no row.
    release = {**{a: v for a, v in POP.items() if a != "105"}, "104": 6500}
    result = load_observations(star, _obs([("sotkanet:127", a, "2014", v) for a, v in release.items()]),
                               METAS[:1], BATCH, checksum="star-2")
    assert result.details["divisions"] == [{
        "series": "sotkanet:127", "division": 2017, "previous": 2013, "merged": ["105"], "revised": ["104"],
        "breaks": {"104": [2015]}, "moved": 3,
    }]
    with star.connect() as conn:
        moved = conn.execute(
            select(area.c.code, period.c.code, fact_revision.c.value)
            .join(area, area.c.area_id == fact_revision.c.area_id).join(period, period.c.period_id == fact_revision.c.period_id)
            .where(fact_revision.c.superseded_by_batch_id == result.batch_id).order_by(area.c.code, period.c.code)
        ).all()
        division = conn.execute(select(series.c.division).where(series.c.code == "sotkanet:127")).scalar_one()
        left = conn.execute(select(fact.c.area_id).where(fact.c.area_id == 5, fact.c.series_id == 1)).all()
    assert [tuple(r) for r in moved] == [("104", "2014", 4000.0), ("104", "2015", 4000.0), ("105", "2014", 2500.0), ("105", "2015", 2500.0)]
    assert division == 2017 and left == []
    df = query_metric(star, star_catalog, "population", Selection(areas=("SSS", "MK01", "104"), periods=("2014", "2015")))
    # Never counted twice: 104's revised figure replaces 104 + 105, and 105 is not a member any more.
    assert _shown(_row(df, "SSS", "2014")) == (13000.0, "ok", "computed", 1.0, 5, 5)
    assert _shown(_row(df, "104", "2014")) == (6500.0, "ok", "source", None, None, None)
    # 2015 is not in the release: 104 has no figure on the new borders (a break), so MK01 is short.
    assert _shown(_row(df, "MK01", "2015")) == (None, "insufficient", "computed", 0.75, 3, 4)
    notes = data_quality(star, star_catalog)
    kinds = {(k, c) for k, codes in zip(notes["kind"], notes["area_codes"], strict=True) for c in codes}
    assert {("merged", "105"), ("revised", "104"), ("series_break", "104")} <= kinds


def test_a_ratio_never_mixes_divisions(star, star_catalog) -> None:
    release = {**{a: v for a, v in POP.items() if a != "105"}, "104": 6500}
    load_observations(star, _obs([("sotkanet:127", a, "2014", v) for a, v in release.items()]), METAS[:1], BATCH,
                      checksum="star-2")
    df = query_metric(star, star_catalog, "in_rate", Selection(areas=("101", "104", "MK01"), periods=("2014",)))
    # In-migrants are on the 2013 borders, population on the 2017 ones: 104's in-migrants (its old
    # area) are never divided by its new population; the rows whose borders differ are left out.
    assert _shown(_row(df, "101", "2014")) == (10.0, "ok", "source", None, None, None)
    assert df[df["area_code"] == "104"].empty
    assert _shown(_row(df, "MK01", "2014")) == (None, "insufficient", "computed", 0.3, 2, 4)
    notes = data_quality(star, star_catalog)
    mixed = notes[notes["kind"] == "division_mix"]
    assert set(mixed["metric_id"]) == {"in_rate", "in_rate_x2", "unemployment_pop"}
    assert all(codes == ("104",) for codes in mixed["area_codes"])


def test_an_older_release_is_refused(star) -> None:
    from datamodel.errors import DataError

    load_observations(star, _obs([("sotkanet:127", "104", "2014", 6500), ("sotkanet:127", "101", "2014", 1000),
                                  ("sotkanet:127", "102", "2014", 2000), ("sotkanet:127", "103", "2014", 500),
                                  ("sotkanet:127", "106", "2014", 3000)]), METAS[:1], BATCH, checksum="star-2")
    with pytest.raises(DataError, match="load a release on the 2017 borders or newer"):
        load_observations(star, _obs([("sotkanet:127", "105", "2014", 2500), ("sotkanet:127", "104", "2014", 4000)]),
                          METAS[:1], BATCH, checksum="star-3")
    with star.connect() as conn:
        kept = conn.execute(select(fact.c.value).where(fact.c.area_id == 4, fact.c.series_id == 1, fact.c.period_id == 1))
        assert kept.scalar_one() == 6500  # nothing of the refused release was written
