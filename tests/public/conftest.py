"""A tiny hand-made star schema with counts and male/female parts, for disclosure tests.

Kalajoki (208) and Kempele (244) in region MK17 / county HVA19. Series 900 is a count of cases
(with numerators), 901 the population. Kalajoki's figures are chosen so that:
- 2009 and 2010: total cases 40 and 42, both parts >= 5: everything publishable;
- 2011: total 40 = male 3 + female 37: male is hidden (primary) and female too
  (complementary), the total stays;
- 2012: total 4 (male 1, female 3): all hidden (primary).
Only the approved metrics appear; the draft metric's name must never show on a public page.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from datamodel.coverage import refresh_series_coverage
from datamodel.engine import make_engine
from datamodel.loaders.sotkanet import BUNDLED_LOADER
from datamodel.schema import area, fact, group, load_batch, period, series

CASES = {  # (area, year) -> (total, male, female)
    ("208", 2009): (40, 20, 20),
    ("208", 2010): (42, 21, 21),
    ("208", 2011): (40, 3, 37),
    ("208", 2012): (4, 1, 3),
    ("244", 2009): (60, 30, 30),
    ("244", 2010): (61, 30, 31),
    ("244", 2011): (62, 31, 31),
    ("244", 2012): (63, 31, 32),
}
POPULATION = {"208": (10000, 5000, 5000), "244": (16000, 8000, 8000)}
SUPPRESSED_NUMBERS = ("3", "37", "0,3", "0.3", "7,4", "7.4", "0,4", "0.4", "0,6", "0.6")

RATIO_METRIC = """\
schema_version: 1
id: small_case_rate
status: approved
theme: health
name: {fi: Pientapaukset tuhatta asukasta kohden, sv: Småfall per tusen invånare, en: "Small cases per 1,000 inhabitants"}
description: {fi: Testimittari pienillä luvuilla., sv: Testindikator med små tal., en: Test metric with small counts.}
why_it_matters: {fi: Näyttää tietosuojan toiminnan., sv: Visar hur dataskyddet fungerar., en: Shows disclosure control at work.}
kind: ratio
numerator: sotkanet:900
denominator: sotkanet:901
scale: 1000
unit: {fi: / 1 000 asukasta, sv: / 1 000 invånare, en: "per 1,000 inhabitants"}
decimals: 2
direction: lower_is_better
min_count: 5
"""
COUNT_METRIC = """\
schema_version: 1
id: small_cases
status: approved
theme: health
name: {fi: Pientapaukset, sv: Småfall, en: Small cases}
description: {fi: Tapausten lukumäärä., sv: Antal fall., en: Number of cases.}
kind: simple
series: sotkanet:900
aggregation: sum
unit: {fi: tapausta, sv: fall, en: cases}
decimals: 0
direction: lower_is_better
min_count: 5
"""
DRAFT_METRIC = """\
schema_version: 1
id: secret_draft
status: draft
theme: health
name: {fi: Salainen luonnosmittari, sv: Hemligt utkast, en: Secret draft metric}
description: {fi: Luonnos., sv: Utkast., en: Draft.}
kind: simple
series: sotkanet:900
aggregation: sum
unit: {fi: tapausta, sv: fall, en: cases}
decimals: 0
direction: lower_is_better
"""


def fill_small_schema(engine: Engine) -> None:
    """Insert the areas, periods, groups, series and facts above into a migrated, empty database."""
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(area), [
            {"area_type": "kunta", "code": "208", "name_fi": "Kalajoki", "name_sv": "Kalajoki", "name_en": "Kalajoki",
             "region_code": "MK17", "subregion_code": "SK171", "county_code": "HVA19", "valid_from": 1900},
            {"area_type": "kunta", "code": "244", "name_fi": "Kempele", "name_sv": "Kempele", "name_en": "Kempele",
             "region_code": "MK17", "subregion_code": "SK171", "county_code": "HVA19", "valid_from": 1900},
            {"area_type": "maakunta", "code": "MK17", "name_fi": "Pohjois-Pohjanmaa", "name_sv": "Norra Österbotten",
             "name_en": "North Ostrobothnia", "region_code": None, "subregion_code": None, "county_code": None,
             "valid_from": 1900},
            {"area_type": "hyvinvointialue", "code": "HVA19", "name_fi": "Pohjois-Pohjanmaan hyvinvointialue",
             "name_sv": "Norra Österbottens välfärdsområde", "name_en": "Wellbeing services county of North Ostrobothnia",
             "region_code": None, "subregion_code": None, "county_code": None, "valid_from": 1900},
        ])
        conn.execute(insert(period), [{"code": str(y), "grain": "year", "year": y} for y in range(2009, 2013)])
        conn.execute(insert(group), [{"code": g, "gender": g, "age_band": "all"} for g in ("total", "male", "female")])
        conn.execute(insert(series), [
            {"code": "sotkanet:900", "source": "sotkanet", "source_id": "900", "title_fi": "Tapaukset", "is_count": True,
             "licence": "CC BY 4.0", "attribution": "Lähde: THL, Sotkanet"},
            {"code": "sotkanet:901", "source": "sotkanet", "source_id": "901", "title_fi": "Väestö", "is_count": True,
             "licence": "CC BY 4.0", "attribution": "Lähde: THL, Sotkanet"},
        ])
        conn.execute(insert(load_batch), [{
            "source": "test", "loader": BUNDLED_LOADER,  # so ensure_database() does not load the bundled data here
            "location": "tests/public/conftest.py", "fetched_at": now,
            "loaded_at": now, "licence": "CC BY 4.0", "attribution": "test", "checksum": "0" * 64,
        }])
        ids = {
            "area": {r.code: r.area_id for r in conn.execute(area.select())},
            "period": {r.year: r.period_id for r in conn.execute(period.select())},
            "group": {r.gender: r.group_id for r in conn.execute(group.select())},
            "series": {r.code: r.series_id for r in conn.execute(series.select())},
        }
        batch_id = conn.execute(load_batch.select()).first().batch_id
        rows = []
        for (code, year), counts in CASES.items():
            for gender, count in zip(("total", "male", "female"), counts):
                pop = POPULATION[code][("total", "male", "female").index(gender)]
                for series_code, value in (("sotkanet:900", count), ("sotkanet:901", pop)):
                    rows.append({
                        "area_id": ids["area"][code], "period_id": ids["period"][year], "series_id": ids["series"][series_code],
                        "group_id": ids["group"][gender], "value": float(value), "numerator": float(value),
                        "denominator": None, "status": "ok", "batch_id": batch_id,
                    })
        conn.execute(insert(fact), rows)
        refresh_series_coverage(conn, ids["series"].values())  # as the loaders do


@pytest.fixture
def small_metrics_dir(tmp_path: Path) -> Path:
    """A metric catalogue directory with two approved metrics and one draft."""
    directory = tmp_path / "definitions" / "health"
    directory.mkdir(parents=True)
    (directory / "small_case_rate.yaml").write_text(RATIO_METRIC, encoding="utf-8")
    (directory / "small_cases.yaml").write_text(COUNT_METRIC, encoding="utf-8")
    (directory / "secret_draft.yaml").write_text(DRAFT_METRIC, encoding="utf-8")
    return tmp_path / "definitions"


@pytest.fixture
def small_engine(tmp_path: Path, _sqlite_template: Path) -> Iterator[Engine]:
    """A fresh SQLite database (from the migrated template) holding the small schema."""
    import shutil

    path = tmp_path / "small.sqlite"
    shutil.copyfile(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    fill_small_schema(engine)
    yield engine
    engine.dispose()
