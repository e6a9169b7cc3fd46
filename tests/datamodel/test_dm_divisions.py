"""A real release on newer municipal borders, built from the bundled data and the successor table.

Sotkanet republishes history on the current borders: a successor's series includes the
municipalities merged into it, and the merged ones have no rows. Loading such a release on top
of the bundled 2013 snapshot must re-base the series (never count an area and its successor
together); the totals are checked against the regions' own published rows.
"""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from datamodel.areas import GEO_DIR, SOTKANET_DIR
from datamodel.engine import make_engine
from datamodel.errors import DataError
from datamodel.loaders.sotkanet import load_data_files
from datamodel.schema import fact_revision, series
from metrics.catalog import load_catalog
from metrics.model import Selection
from metrics.service import data_quality, query_metric


def _copy(bundled_engine: Engine, tmp_path: Path) -> Engine:
    db = tmp_path / "copy.sqlite"
    shutil.copyfile(bundled_engine.url.database, db)  # type: ignore[arg-type]
    return make_engine(f"sqlite:///{db}")


def _records(indicator: int) -> list[dict]:
    with gzip.open(SOTKANET_DIR / "data" / f"indicator_{indicator}.json.gz", "rt", encoding="utf-8") as handle:
        return json.load(handle)


def _municipalities() -> dict[int, str]:
    with (SOTKANET_DIR / "areas.csv").open(encoding="utf-8", newline="") as handle:
        return {int(r["sotkanet_region_id"]): r["municipality_code"] for r in csv.DictReader(handle)}


def _successors() -> dict[str, str]:
    with (GEO_DIR / "municipality_successors_2013_2023.csv").open(encoding="utf-8", newline="") as handle:
        return {r["code_2013"]: r["successor_code_2023"] for r in csv.DictReader(handle)}


def release_on_2023_borders(years: range | None = None) -> list[dict]:
    """Population (indicator 127) as Sotkanet would publish it on the 2023 borders: each successor
    sums its 2013 parts, merged municipalities have no rows, region rows are as published."""
    munis, successor = _municipalities(), _successors()
    region_of = {code: rid for rid, code in munis.items()}
    sums: dict[tuple[str, int], float] = defaultdict(float)
    out = []
    for rec in _records(127):
        if years is not None and rec["year"] not in years:
            continue
        code = munis.get(rec["region"])
        if code is None:
            out.append(rec)  # a region's own row
        elif rec["value"] is not None:
            sums[(successor[code], rec["year"])] += rec["value"]
    for (code, year), value in sorted(sums.items()):
        out.append({"indicator": 127, "region": region_of[code], "year": year, "gender": "total", "value": value,
                    "absValue": None})
    return out


def _write(records: list[dict], path: Path) -> Path:
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def published_regions() -> dict[int, float]:
    """Year -> sum of the 19 regions' own published population rows."""
    munis = set(_municipalities())
    totals: dict[int, float] = defaultdict(float)
    for rec in _records(127):
        if rec["region"] not in munis and rec["value"] is not None:
            totals[rec["year"]] += rec["value"]
    return dict(totals)


def test_finland_equals_the_published_regions_after_a_release_on_newer_borders(bundled_engine, tmp_path) -> None:
    engine = _copy(bundled_engine, tmp_path)
    catalog = load_catalog(None, engine)
    regions = published_regions()
    result = load_data_files(engine, [_write(release_on_2023_borders(), tmp_path / "pop_2023.json")])
    (change,) = result.details["divisions"]
    merged = sorted(c for c, s in _successors().items() if s != c)
    assert change["division"] == 2021 and change["previous"] == 2013 and change["merged"] == merged
    assert change["revised"] == sorted({_successors()[c] for c in merged}) and change["breaks"] == {}
    df = query_metric(engine, catalog, "population", Selection(areas=("SSS",)))
    assert len(df) == len(regions) == 22
    for row in df.itertuples():
        assert row.value == regions[row.year], row.year  # never the merged municipalities twice
        assert (row.status, row.basis, row.coverage, row.members_present, row.members_expected) == ("ok", "computed", 1.0, 309, 309)
    with engine.connect() as conn:
        division = conn.execute(select(series.c.division).where(series.c.code == "sotkanet:127")).scalar_one()
        kept = conn.execute(select(func.count()).select_from(fact_revision).where(fact_revision.c.superseded_by_batch_id == result.batch_id)).scalar_one()
    assert division == 2021
    assert kept == 22 * 11 + 22 * 10  # the merged municipalities' rows and the successors' old figures


def test_kuopio_in_migration_never_mixes_borders(bundled_engine, tmp_path) -> None:
    engine = _copy(bundled_engine, tmp_path)
    catalog = load_catalog(None, engine)
    load_data_files(engine, [_write(release_on_2023_borders(), tmp_path / "pop_2023.json")])
    df = query_metric(engine, catalog, "in_migration_rate", Selection(areas=("297", "208", "MK11", "SSS"), periods=("2011",)))
    values = {r.area_code: r for r in df.itertuples()}
    # Kuopio's 2011 in-migrants are on its 2013 area, its population on the 2021 one: no value.
    assert "297" not in values
    kalajoki = {code: rid for rid, code in _municipalities().items()}["208"]

    def raw(indicator: int) -> float:
        return next(r["value"] for r in _records(indicator) if r["region"] == kalajoki and r["year"] == 2011)

    assert values["208"].status == "ok" and values["208"].value == pytest.approx(raw(3196) * 1000 / raw(127))
    assert values["MK11"].basis == "source"  # North Savo's own rows still win
    assert values["SSS"].status in ("partial", "insufficient") and values["SSS"].coverage < 1
    notes = data_quality(engine, catalog)
    mixed = notes[notes["kind"] == "division_mix"]
    assert "in_migration_rate" in set(mixed["metric_id"])
    assert "297" in next(codes for m, codes in zip(mixed["metric_id"], mixed["area_codes"], strict=True) if m == "in_migration_rate")


def test_uncovered_years_are_a_break_in_series(bundled_engine, tmp_path) -> None:
    engine = _copy(bundled_engine, tmp_path)
    catalog = load_catalog(None, engine)
    result = load_data_files(engine, [_write(release_on_2023_borders(range(2000, 2012)), tmp_path / "pop.json")])
    (change,) = result.details["divisions"]
    assert change["breaks"]["297"] == list(range(1990, 2000))
    df = query_metric(engine, catalog, "population", Selection(areas=("SSS", "297"), periods=("1995", "2005")))
    by = {(r.area_code, r.period): r for r in df.itertuples()}
    assert by[("SSS", "2005")].value == published_regions()[2005] and by[("SSS", "2005")].status == "ok"
    # 1995: the successors have no figure on the new borders; Finland is shown only as far as it is covered.
    assert by[("SSS", "1995")].coverage < 1 and ("297", "1995") not in by


def test_a_partial_release_must_name_its_division(bundled_engine, tmp_path) -> None:
    engine = _copy(bundled_engine, tmp_path)
    code_of = _municipalities()
    kuopio = [r for r in release_on_2023_borders(range(2011, 2012)) if code_of.get(r["region"]) in ("297", "208")]
    path = _write(kuopio, tmp_path / "kuopio.json")
    with pytest.raises(DataError, match="holds only 2 of .* municipalities.*--division 2017"):
        load_data_files(engine, [path])
    result = load_data_files(engine, [path], division=2017)
    (change,) = result.details["divisions"]
    # Named, the division holds for the whole series: every merger before 2017 is re-based, and
    # successors missing from the release have no figure on the new borders (a break in series).
    assert change["division"] == 2017 and change["revised"] == ["297"]
    assert change["merged"] == ["164", "174", "283", "319", "413", "442", "476", "532", "838"]
    assert change["breaks"]["609"] == list(range(1990, 2012)) and change["breaks"]["297"] == list(range(1990, 2011))


def test_implausible_zeros_are_flagged_at_load(bundled_engine) -> None:
    """The bundled snapshot itself: Kainuu 2005 and Åland 1997-1998 social-assistance costs."""
    notes = data_quality(bundled_engine)
    zeros = notes[(notes["kind"] == "implausible_zero") & (notes["series_code"] == "sotkanet:451")]
    found = {(p, len(codes)) for p, codes in zip(zeros["periods"], zeros["area_codes"], strict=True)}
    assert (("2005",), 8) in found  # 8 of Kainuu's 9 municipalities
    assert (("1997",), 17) in found and (("1998",), 17) in found  # Åland's 16 municipalities and the region's own 0
    catalog = load_catalog(None, bundled_engine)
    df = query_metric(bundled_engine, catalog, "income_support_cost_per_resident", Selection(areas=("205", "MK18"), periods=("2005",)))
    kajaani = df[df["area_code"] == "205"].iloc[0]
    assert kajaani["status"] == "missing" and pd.isna(kajaani["value"])
    assert df[df["area_code"] == "MK18"].iloc[0]["value"] == 61.0  # the region's published value is real


def test_a_table_of_three_cities_is_not_finland(bundled_engine, tmp_path) -> None:
    """A real StatFin table holding Espoo, Helsinki and Vantaa only: Uusimaa and Finland are not
    their sum (before, both showed the three cities' population as a computed total)."""
    from datamodel.sources.statfin import load_jsonstat_file
    from metrics.model import METRIC_CLASSES
    from metrics.yaml_io import dump_metric

    engine = _copy(bundled_engine, tmp_path)
    load_jsonstat_file(engine, Path(__file__).parent / "fixtures" / "statfin_11re_query_three_cities_2025.json")
    texts = {"fi": "Väkiluku", "sv": "Folkmängd", "en": "Population"}
    metric = METRIC_CLASSES["simple"].model_validate({
        "id": "statfin_population", "status": "approved", "theme": "economy_services", "name": texts,
        "description": texts, "unit": texts, "direction": "neutral", "kind": "simple",
        "series": "statfin:11re:vaerak-vaesto", "aggregation": "sum"})
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "statfin_population.yaml").write_text(dump_metric(metric), encoding="utf-8")
    catalog = load_catalog(tmp_path / "defs", engine)
    df = query_metric(engine, catalog, "statfin_population", Selection(areas=("091", "MK01", "SSS")))
    by = {r.area_code: r for r in df.itertuples()}
    assert by["091"].value == 694_392 and by["091"].basis == "source"
    # 2025 has no population weight in the database: coverage counts members (3 of 26 / 3 of 309).
    assert (by["MK01"].status, by["MK01"].members_present, by["MK01"].members_expected) == ("insufficient", 3, 26)
    assert pd.isna(by["MK01"].value) and by["SSS"].status == "insufficient" and by["SSS"].members_expected == 309
