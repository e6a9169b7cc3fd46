"""The area dimension: municipalities, sub-regions, regions, counties and Finland.

Built from the bundled files (`data/sotkanet-2013/areas.csv`, `hyvinvointialueet.csv`, the
geojson layers for Swedish names and `data/geo/municipality_successors_2013_2023.csv`), because
the municipality list changes with mergers: it is versioned data, not a constant in code.
Codes follow PxWeb (see docs/contracts.md): '208', 'SK585', 'MK17', 'HVA19', 'SSS'.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from datamodel.schema import AreaType, SizeClass, area

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
SOTKANET_DIR = DATA_DIR / "sotkanet-2013"
GEO_DIR = DATA_DIR / "geo"
COUNTRY_CODE = "SSS"
# Sotkanet's region id of the whole country ("Koko maa").
COUNTRY_SOTKANET_ID = 658
POPULATION_INDICATOR = 127

# Finnish genitive of each region, for names like "Pohjois-Pohjanmaan maakunta" in PxWeb exports.
REGION_GENITIVE_FI: dict[str, str] = {
    "01": "Uudenmaan", "02": "Varsinais-Suomen", "04": "Satakunnan", "05": "Kanta-Hämeen",
    "06": "Pirkanmaan", "07": "Päijät-Hämeen", "08": "Kymenlaakson", "09": "Etelä-Karjalan",
    "10": "Etelä-Savon", "11": "Pohjois-Savon", "12": "Pohjois-Karjalan", "13": "Keski-Suomen",
    "14": "Etelä-Pohjanmaan", "15": "Pohjanmaan", "16": "Keski-Pohjanmaan", "17": "Pohjois-Pohjanmaan",
    "18": "Kainuun", "19": "Lapin", "21": "Ahvenanmaan",
}
# Municipalities merged after 2013: last year of existence (the merger took effect on 1 January
# of the following year). Successor codes come from the successors CSV; Pertunmaa merged in 2026.
MERGED_LAST_YEAR: dict[str, int] = {
    "099": 2020,  # Honkajoki -> Kankaanpää
    "164": 2015,  # Jalasjärvi -> Kurikka
    "174": 2016,  # Juankoski -> Kuopio
    "283": 2015,  # Hämeenkoski -> Hollola
    "319": 2015,  # Köyliö -> Säkylä
    "413": 2014,  # Lavia -> Pori
    "442": 2016,  # Luvia -> Eurajoki
    "476": 2014,  # Maaninka -> Kuopio
    "532": 2015,  # Nastola -> Lahti
    "838": 2014,  # Tarvasjoki -> Lieto
    "911": 2019,  # Valtimo -> Nurmes
    "588": 2025,  # Pertunmaa -> Mäntyharju
}
EXTRA_SUCCESSORS: dict[str, str] = {"588": "507"}


def size_class_for(population: float | None) -> str | None:
    """Statistics Finland's municipal size class for a population (None when unknown)."""
    if population is None:
        return None
    bounds = (
        (2000, SizeClass.UNDER_2000), (6000, SizeClass.FROM_2000), (10000, SizeClass.FROM_6000),
        (20000, SizeClass.FROM_10000), (50000, SizeClass.FROM_20000),
        (100000, SizeClass.FROM_50000),
    )
    for upper, klass in bounds:
        if population < upper:
            return klass.value
    return SizeClass.OVER_100000.value


def normalise_area_code(raw: object) -> str:
    """Canonical area code: 'KU208'/'208'/'8' -> '208'/'008', 'mk17' -> 'MK17', 'hva19' -> 'HVA19'."""
    text = str(raw).strip().upper()
    if text.startswith("KU") and text[2:].isdigit():
        text = text[2:]
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if text.isdigit() and len(text) <= 3:
        return text.zfill(3)
    for prefix in ("MK", "HVA"):
        if text.startswith(prefix) and text[len(prefix):].isdigit():
            return f"{prefix}{int(text[len(prefix):]):02d}"
    return text


def name_key(name: str) -> str:
    """Key for matching names typed by people: NFC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _geo_names(filename: str) -> dict[str, dict[str, Any]]:
    with (GEO_DIR / filename).open(encoding="utf-8") as handle:
        data = json.load(handle)
    return {str(f["properties"]["code"]): f["properties"] for f in data["features"]}


def _latest_population(region_ids: Iterable[int]) -> dict[int, float]:
    """Latest population (indicator 127) per Sotkanet region id, from the bundled snapshot."""
    path = SOTKANET_DIR / "data" / f"indicator_{POPULATION_INDICATOR}.json.gz"
    wanted = set(region_ids)
    latest: dict[int, tuple[int, float]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for row in json.load(handle):
            rid = int(row["region"])
            if rid in wanted and row.get("value") is not None and row.get("gender") == "total":
                if rid not in latest or row["year"] > latest[rid][0]:
                    latest[rid] = (int(row["year"]), float(row["value"]))
    return {rid: value for rid, (_, value) in latest.items()}


def official_names() -> dict[tuple[str, str], tuple[str, str]]:
    """(area type, code) -> (Swedish, English) official name, from `geo/area_names.csv`
    (Finland, regions and counties by their two-digit number, the 2013 municipalities)."""
    return {(r["area_type"], r["code"]): (r["name_sv"], r["name_en"]) for r in _read_csv(GEO_DIR / "area_names.csv")}


def bundled_area_rows() -> list[dict[str, Any]]:
    """All `dim_area` rows derived from the bundled files (deterministic order)."""
    names = official_names()
    municipalities = _read_csv(SOTKANET_DIR / "areas.csv")
    counties = _read_csv(SOTKANET_DIR / "hyvinvointialueet.csv")
    successors = {r["code_2013"]: r for r in _read_csv(GEO_DIR / "municipality_successors_2013_2023.csv")}
    names_2013 = _geo_names("kunnat_2013.geojson")
    names_2026 = _geo_names("kunnat_2026_tilastokeskus.geojson")
    population = _latest_population(int(r["sotkanet_region_id"]) for r in municipalities)

    def base(area_type: AreaType, code: str, name_fi: str) -> dict[str, Any]:
        return {
            "area_type": area_type.value, "code": code, "name_fi": name_fi, "name_sv": None,
            "name_en": None, "region_code": None, "subregion_code": None, "county_code": None,
            "size_class": None, "sotkanet_region_id": None, "valid_from": 1900, "valid_to": None,
            "successor_code": None,
        }

    rows: list[dict[str, Any]] = []
    country = base(AreaType.COUNTRY, COUNTRY_CODE, "Koko maa")
    country_sv, country_en = names[("maa", COUNTRY_CODE)]
    country.update(name_sv=country_sv, name_en=country_en, sotkanet_region_id=COUNTRY_SOTKANET_ID)
    rows.append(country)

    regions: dict[str, dict[str, Any]] = {}
    subregions: dict[str, dict[str, Any]] = {}
    for m in municipalities:
        rcode = f"MK{m['maakunta_code']}"
        if rcode not in regions:
            row = base(AreaType.REGION, rcode, m["maakunta_name_fi"])
            name_sv, name_en = names.get(("maakunta", m["maakunta_code"]), (None, None))
            row.update(
                name_sv=name_sv,
                name_en=name_en,
                sotkanet_region_id=int(m["maakunta_sotkanet_region_id"]),
            )
            regions[rcode] = row
        scode = f"SK{m['seutukunta_sotkanet_region_id']}"
        if scode not in subregions:
            row = base(AreaType.SUBREGION, scode, m["seutukunta_name_fi"])
            row.update(region_code=rcode, sotkanet_region_id=int(m["seutukunta_sotkanet_region_id"]))
            subregions[scode] = row
    rows.extend(regions[k] for k in sorted(regions))
    rows.extend(subregions[k] for k in sorted(subregions))

    for c in sorted(counties, key=lambda r: int(r["uusi_code"])):
        number = f"{int(c['uusi_code']):02d}"
        row = base(AreaType.COUNTY, f"HVA{number}", c["nimi"])
        name_sv, name_en = names.get(("hyvinvointialue", number), (None, None))
        row.update(name_sv=name_sv, name_en=name_en, sotkanet_region_id=int(c["uusi_id"]), valid_from=2023)
        rows.append(row)

    for m in municipalities:
        code = m["municipality_code"]
        geo = names_2013.get(code) or names_2026.get(code) or {}
        row = base(AreaType.MUNICIPALITY, code, m["name_fi"])
        official_sv, official_en = names.get(("kunta", code), (None, None))
        row.update(
            name_sv=official_sv or geo.get("name_sv") or m["name_fi"],
            name_en=official_en or m["name_fi"],
            region_code=f"MK{m['maakunta_code']}",
            subregion_code=f"SK{m['seutukunta_sotkanet_region_id']}",
            county_code=f"HVA{m['hyvinvointialue_code']}" if m["hyvinvointialue_code"] else None,
            size_class=size_class_for(population.get(int(m["sotkanet_region_id"]))),
            sotkanet_region_id=int(m["sotkanet_region_id"]),
        )
        if code in MERGED_LAST_YEAR:
            row["valid_to"] = MERGED_LAST_YEAR[code]
            succ = successors.get(code, {}).get("successor_code_2023")
            row["successor_code"] = EXTRA_SUCCESSORS.get(code) or (succ if succ and succ != code else None)
        rows.append(row)
    return rows


def sync_areas(conn: Connection, rows: list[dict[str, Any]] | None = None) -> int:
    """Insert the areas that are missing and refresh the attributes of existing ones.

    Keyed by (area_type, code, valid_from), so running it twice changes nothing. Returns the
    number of rows inserted or changed.
    """
    rows = bundled_area_rows() if rows is None else rows
    existing = {
        (r.area_type, r.code, r.valid_from): r._asdict()
        for r in conn.execute(select(area))
    }
    inserts: list[dict[str, Any]] = []
    changed = 0
    for row in rows:
        key = (row["area_type"], row["code"], row["valid_from"])
        current = existing.get(key)
        if current is None:
            inserts.append(row)
            continue
        diff = {k: v for k, v in row.items() if current.get(k) != v}
        if diff:
            conn.execute(area.update().where(area.c.area_id == current["area_id"]).values(**diff))
            changed += 1
    if inserts:
        conn.execute(area.insert(), inserts)
    logger.info("areas: %d inserted, %d updated", len(inserts), changed)
    return len(inserts) + changed


@dataclass
class AreaIndex:
    """Look-ups from codes, Sotkanet ids and names to `dim_area` rows, read once per load."""

    by_code: dict[str, int] = field(default_factory=dict)
    by_sotkanet: dict[int, int] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)
    code_of: dict[int, str] = field(default_factory=dict)
    rows: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: Connection) -> AreaIndex:
        """Read `dim_area`; for a code with several versions the newest one wins."""
        return cls.from_rows(conn.execute(select(area).order_by(area.c.valid_from)).mappings())

    @classmethod
    def bundled(cls) -> AreaIndex:
        """The index of the bundled area list, without a database (pure validation, tests)."""
        rows = sorted(bundled_area_rows(), key=lambda r: r["valid_from"])
        return cls.from_rows({**r, "area_id": i + 1} for i, r in enumerate(rows))

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> AreaIndex:
        """Build the look-ups from `dim_area`-shaped rows (ordered by `valid_from`)."""
        index = cls()
        for row in rows:
            index.by_code[row["code"]] = row["area_id"]
            index.code_of[row["area_id"]] = row["code"]
            index.rows[row["code"]] = row
            if row["sotkanet_region_id"] is not None:
                index.by_sotkanet[int(row["sotkanet_region_id"])] = row["area_id"]
        # Names: Finnish, Swedish and English names of every area; current areas win over merged.
        ordered = sorted(index.rows.values(), key=lambda r: r["valid_to"] is None)
        for row in ordered:
            for col in ("name_en", "name_sv", "name_fi"):
                if row[col]:
                    index.by_name[name_key(row[col])] = row["code"]
        for number, genitive in REGION_GENITIVE_FI.items():
            if f"MK{number}" in index.by_code:
                index.by_name.setdefault(name_key(f"{genitive} maakunta"), f"MK{number}")
        index.by_name.setdefault(name_key("KOKO MAA"), COUNTRY_CODE)
        index.by_name.setdefault(name_key("Whole country"), COUNTRY_CODE)
        return index

    def resolve(self, raw: object) -> str | None:
        """The area code for a code ('208', 'KU208', 'MK17') or a name ('Kalajoki'); None if unknown."""
        text = str(raw).strip()
        if not text:
            return None
        code = normalise_area_code(text)
        if code in self.by_code:
            return code
        return self.by_name.get(name_key(text))
