"""A hand-made migration star with small counts, for the disclosure tests.

Region MK21 (Åland, no wellbeing services county) holds Sottunga 766 (766 residents), Kökar 295,
Föglö 062 and Mariehamn 478; region MK01 / county HVA91 holds Helsinki 091, so Finland (SSS,
computed) is more than the region. The region's counts are source rows (as Sotkanet gives them),
equal to the sums of its municipalities. In- and out-migrants and the population come by gender;
the net migration rate (sotkanet:178) is the source's own (in - out) / population x 1000.

Sottunga 2000 is the case of the report: in-migrants 4, out-migrants 9, gross migration 13.
Small counts elsewhere: Sottunga 2003 (in 2, out 1), Kökar 2001 (in 3), male parts of 2002.
The metrics are the shipped definition files, so their `disclosure` declarations are tested.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, insert

from datamodel.coverage import refresh_series_coverage
from datamodel.loaders.sotkanet import BUNDLED_LOADER
from datamodel.schema import area, fact, group, load_batch, period, series

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = ROOT / "metrics" / "definitions" / "economy_services"
MIGRATION_METRICS = (
    "in_migrants", "out_migrants", "gross_migration", "in_migration_rate", "out_migration_rate",
    "migration_balance_rate", "net_migration_rate", "population",
)
TOWNS = {  # code: (name, region, county)
    "766": ("Sottunga", "MK21", None),
    "295": ("Kökar", "MK21", None),
    "062": ("Föglö", "MK21", None),
    "478": ("Maarianhamina", "MK21", None),
    "091": ("Helsinki", "MK01", "HVA91"),
}
AGGREGATES = {"MK21": ("maakunta", "Ahvenanmaa"), "MK01": ("maakunta", "Uusimaa"),
              "HVA91": ("hyvinvointialue", "Helsinki"), "SSS": ("maa", "Koko maa")}
YEARS = (2000, 2001, 2002, 2003)
# (town, year) -> ((in male, in female), (out male, out female), (population male, female))
FIGURES: dict[tuple[str, int], tuple[tuple[int, int], tuple[int, int], tuple[int, int]]] = {
    ("766", 2000): ((2, 2), (5, 4), (390, 376)),
    ("766", 2001): ((6, 6), (1, 2), (392, 377)),
    ("766", 2002): ((3, 4), (4, 4), (391, 377)),
    ("766", 2003): ((1, 1), (0, 1), (392, 378)),
    ("295", 2000): ((3, 3), (6, 5), (125, 125)),
    ("295", 2001): ((1, 2), (5, 5), (123, 124)),
    ("295", 2002): ((4, 4), (5, 4), (123, 123)),
    ("295", 2003): ((5, 5), (6, 6), (122, 122)),
    ("062", 2000): ((8, 7), (9, 9), (290, 290)),
    ("062", 2001): ((9, 9), (8, 7), (291, 290)),
    ("062", 2002): ((10, 8), (7, 8), (292, 291)),
    ("062", 2003): ((7, 9), (9, 8), (292, 290)),
    ("478", 2000): ((260, 250), (240, 230), (5400, 5600)),
    ("478", 2001): ((255, 262), (244, 239), (5410, 5610)),
    ("478", 2002): ((270, 258), (250, 236), (5420, 5630)),
    ("478", 2003): ((266, 261), (247, 244), (5440, 5640)),
    ("091", 2000): ((15100, 16200), (14100, 14900), (270000, 290000)),
    ("091", 2001): ((15200, 16100), (14300, 15000), (271000, 291000)),
    ("091", 2002): ((15300, 16300), (14200, 15100), (272000, 292000)),
    ("091", 2003): ((15250, 16250), (14250, 15050), (273000, 293000)),
}
IN, OUT, POP, NET = "sotkanet:3196", "sotkanet:3197", "sotkanet:127", "sotkanet:178"


def totals(town: str, year: int) -> dict[str, int]:
    """In, out and population totals of one town and year (the true values)."""
    (im, if_), (om, of), (pm, pf) = FIGURES[(town, year)]
    return {"in": im + if_, "out": om + of, "pop": pm + pf}


def _facts(ids: dict[str, dict]) -> list[dict]:
    rows: list[dict] = []

    def add(code: str, year: int, series_code: str, gender: str, value: float) -> None:
        rows.append({
            "area_id": ids["area"][code], "period_id": ids["period"][year], "series_id": ids["series"][series_code],
            "group_id": ids["group"][gender], "value": float(value),
            "numerator": float(value) if series_code != NET else None, "denominator": None,
            "status": "ok", "batch_id": ids["batch"],
        })

    for (town, year), (ins, outs, pops) in FIGURES.items():
        for series_code, pair in ((IN, ins), (OUT, outs), (POP, pops)):
            add(town, year, series_code, "male", pair[0])
            add(town, year, series_code, "female", pair[1])
            add(town, year, series_code, "total", sum(pair))
        t = totals(town, year)
        add(town, year, NET, "total", (t["in"] - t["out"]) / t["pop"] * 1000)
    for year in YEARS:  # the region's own rows, as the source gives them
        members = [totals(town, year) for town, (_n, region, _c) in TOWNS.items() if region == "MK21"]
        sums = {key: sum(m[key] for m in members) for key in ("in", "out", "pop")}
        for series_code, key in ((IN, "in"), (OUT, "out"), (POP, "pop")):
            add("MK21", year, series_code, "total", sums[key])
        add("MK21", year, NET, "total", (sums["in"] - sums["out"]) / sums["pop"] * 1000)
    return rows


def fill_migration_star(engine: Engine) -> None:
    """Insert the areas, periods, groups, series and facts above into a migrated, empty database."""
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(area), [
            {"area_type": "kunta", "code": code, "name_fi": name, "name_sv": name, "name_en": name,
             "region_code": region, "subregion_code": None, "county_code": county, "valid_from": 1900}
            for code, (name, region, county) in TOWNS.items()
        ] + [
            {"area_type": kind, "code": code, "name_fi": name, "name_sv": name, "name_en": name,
             "region_code": None, "subregion_code": None, "county_code": None, "valid_from": 1900}
            for code, (kind, name) in AGGREGATES.items()
        ])
        conn.execute(insert(period), [{"code": str(y), "grain": "year", "year": y} for y in YEARS])
        conn.execute(insert(group), [{"code": g, "gender": g, "age_band": "all"} for g in ("total", "male", "female")])
        conn.execute(insert(series), [
            {"code": code, "source": "sotkanet", "source_id": code.split(":")[1], "title_fi": title,
             "is_count": code != NET, "licence": "CC BY 4.0", "attribution": "Lähde: THL, Sotkanet"}
            for code, title in ((IN, "Tulomuuttajat"), (OUT, "Lähtömuuttajat"), (POP, "Väestö"), (NET, "Nettomuutto"))
        ])
        conn.execute(insert(load_batch), [{
            "source": "test", "loader": BUNDLED_LOADER,  # so ensure_database() does not load the bundled data here
            "location": "tests/disclosure/conftest.py", "fetched_at": now, "loaded_at": now,
            "licence": "CC BY 4.0", "attribution": "test", "checksum": "1" * 64,
        }])
        ids = {
            "area": {r.code: r.area_id for r in conn.execute(area.select())},
            "period": {r.year: r.period_id for r in conn.execute(period.select())},
            "group": {r.gender: r.group_id for r in conn.execute(group.select())},
            "series": {r.code: r.series_id for r in conn.execute(series.select())},
            "batch": conn.execute(load_batch.select()).first().batch_id,
        }
        conn.execute(insert(fact), _facts(ids))
        refresh_series_coverage(conn, ids["series"].values())


def star_database(directory: Path, template: Path) -> tuple[Engine, Path]:
    """The star in a fresh SQLite file under `directory` (copied from the migrated `template`) and
    a catalogue directory with the shipped migration and population metric files, unchanged."""
    import shutil

    from datamodel.engine import make_engine

    path = directory / "star.sqlite"
    shutil.copyfile(template, path)
    engine = make_engine(f"sqlite:///{path}")
    fill_migration_star(engine)
    definitions = directory / "definitions" / "economy_services"
    definitions.mkdir(parents=True)
    for name in MIGRATION_METRICS:
        shutil.copyfile(DEFINITIONS / f"{name}.yaml", definitions / f"{name}.yaml")
    return engine, definitions.parent
