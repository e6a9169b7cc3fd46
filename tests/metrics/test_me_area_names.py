"""One rule for an area's official name: the name in the language, else the Finnish one, of the
area's newest version. The API, the alert e-mails and the pages' name lookups read it from
`metrics.areas.official_names`, so an area has the same name on each of them."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from alerts.message import area_names as alert_names
from api.catalogue import _area_entries
from api.context import Access, _snapshot
from metrics.areas import list_areas, official_name, official_names, validity_year
from metrics.disclosure_publication import area_hierarchy
from metrics.warehouse import area_names


def test_the_newest_version_names_an_area_and_finnish_fills_a_gap() -> None:
    areas = pd.DataFrame([
        {"code": "X1", "name_fi": "Vanha", "name_sv": "Gamla", "name_en": "Old", "valid_from": 2000},
        {"code": "X1", "name_fi": "Uusi", "name_sv": None, "name_en": float("nan"), "valid_from": 2021},
        {"code": "X2", "name_fi": "Toinen", "name_sv": "", "name_en": "Other", "valid_from": 2000},
    ])
    assert official_names(areas) == {"fi": {"X1": "Uusi", "X2": "Toinen"}, "sv": {"X1": "Uusi", "X2": "Toinen"},
                                     "en": {"X1": "Uusi", "X2": "Other"}}
    assert official_name(areas.iloc[0].to_dict(), "sv") == "Gamla"


def test_every_surface_names_an_area_the_same_way(bundled_engine: Engine) -> None:
    names = official_names(list_areas(bundled_engine))
    assert (names["fi"]["091"], names["sv"]["091"], names["en"]["091"]) == ("Helsinki", "Helsingfors", "Helsinki")
    assert (names["sv"]["MK17"], names["en"]["SSS"]) == ("Norra Österbotten", "Finland")
    assert names["sv"]["SK510"] == names["en"]["SK510"] == "Helsingin seutukunta"  # no Swedish or English name
    for lang in ("fi", "sv", "en"):
        assert area_names(bundled_engine, lang) == names[lang]
    assert _snapshot(bundled_engine, "v").names == names
    assert alert_names(bundled_engine)["091"] == {"fi": "Helsinki", "sv": "Helsingfors", "en": "Helsinki"}
    entries = _area_entries(list_areas(bundled_engine), Access("viewer", True), None)
    assert {e["code"]: e["name"] for e in entries}["SK510"] == {lang: "Helsingin seutukunta" for lang in ("fi", "sv", "en")}


def test_validity_years_are_read_one_way_by_the_api_and_the_disclosure_hierarchy() -> None:
    assert [validity_year(v) for v in (2021.0, 2021, "2020", float("nan"), None, "")] == [2021, 2021, 2020, None, None, None]
    areas = pd.DataFrame([
        {"code": "001", "area_type": "kunta", "name_fi": "Vanha", "name_sv": None, "name_en": None, "region_code": "MK01",
         "subregion_code": None, "county_code": None, "valid_from": 1990.0, "valid_to": 2008.0, "successor_code": "002"},
        {"code": "002", "area_type": "kunta", "name_fi": "Uusi", "name_sv": None, "name_en": None, "region_code": "MK01",
         "subregion_code": None, "county_code": None, "valid_from": 2009.0, "valid_to": float("nan"),
         "successor_code": None},
    ])
    entries = {e["code"]: (e["valid_from"], e["valid_to"]) for e in _area_entries(areas, Access("viewer", True), None)}
    assert entries == {"001": (1990, 2008), "002": (2009, None)}
    assert area_hierarchy(areas).members["MK01"] == (("001", 1990, 2008), ("002", 2009, None))
