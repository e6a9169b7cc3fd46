"""No suppressed value is reachable through any endpoint or format of the API.

On the migration star of tests/disclosure (Sottunga's 4 in-migrants and other small counts),
every public page's cells are collected as the pages show them (`collect_public`); then every
endpoint is asked in every format: each municipality with its comparison areas, the male/female
parts, all areas at once, the latest period, and the per-metric bulk downloads. Each answer is
parsed back to cells. A cell the pages hide is never a number in any answer, a shown cell has
the pages' value, no cell is shown in one answer and hidden in another, and the attacker of
test_dc_attacker (exact linear algebra over everything published) recovers nothing from the
union of all answers. Internal values and the draft metric need a token.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

import httpx
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from pyjstat import pyjstat
from sqlalchemy import Engine

from dc_star import TOWNS
from kuntamittari.i18n import t
from metrics.catalog import load_catalog
from readout.build import collect_public
from readout.downloads import round_half_up
from test_dc_attacker import _attack, _split

FORMATS = ("json", "jsonstat", "csv", "csv-fi", "xlsx", "parquet", "datapackage")
Key = tuple[str, str, str, str]


@pytest.fixture(scope="module")
def client(star_api: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=star_api, timeout=300) as http:
        yield http


@pytest.fixture(scope="module")
def pages(star_db: Engine, star_metrics) -> dict[Key, float | None]:  # type: ignore[no-untyped-def]
    """Every cell of every municipality's public page: its value, None when hidden."""
    catalog = load_catalog(star_metrics)
    cells: dict[Key, float | None] = {}
    for town in TOWNS:
        for frame in collect_public(star_db, catalog, town).frames.values():
            for row in frame.itertuples(index=False):
                key = (str(row.metric_id), str(row.area_code), str(row.period), str(row.gender or "total"))
                cells[key] = None if bool(row.suppressed) or pd.isna(row.value) else float(row.value)
    return cells


def _human(frame: pd.DataFrame, catalog) -> list[tuple[Key, float | None]]:  # type: ignore[no-untyped-def]
    ids = {m.name.fi: m.id for m in catalog.metrics.values()}
    groups = {t(f"public.gender.{g}", "fi"): g for g in ("total", "male", "female")}
    return [((ids[str(r["Mittari"])], str(r["Aluekoodi"]), str(r["Vuosi"]), groups[str(r["Ryhmä"])]),
             None if pd.isna(r["Arvo"]) else float(r["Arvo"])) for r in frame.to_dict("records")]


def _machine(frame: pd.DataFrame) -> list[tuple[Key, float | None]]:
    return [((str(r["metric_id"]), str(r["area_code"]), str(r["period"]), str(r["gender"])),
             None if pd.isna(r["value"]) else float(r["value"])) for r in frame.to_dict("records")]


def parse(response: httpx.Response, fmt: str, catalog) -> list[tuple[Key, float | None]]:  # type: ignore[no-untyped-def]
    """An answer in any format back to cells."""
    assert response.status_code == 200, response.text
    body = response.content
    if fmt == "json":
        return [((r["metric"], r["area"], r["period"], r["gender"]), r["value"]) for r in response.json()["data"]]
    if fmt == "jsonstat":
        frame = pyjstat.Dataset.read(response.text).write("dataframe", naming="id")
        return [((r.metric, r.area, r.period, r.gender), None if r.value is None or r.value != r.value else float(r.value))
                for r in frame.itertuples(index=False)]
    codes = {"area_code": str, "period": str, "Aluekoodi": str, "Vuosi": str}
    if fmt == "csv":
        return _machine(pd.read_csv(io.BytesIO(body), dtype=codes))
    if fmt == "parquet":
        return _machine(pq.read_table(io.BytesIO(body)).to_pandas())
    if fmt == "datapackage":
        return _machine(pd.read_csv(io.BytesIO(zipfile.ZipFile(io.BytesIO(body)).read("data.csv")), dtype=codes))
    if fmt == "csv-fi":
        return _human(pd.read_csv(io.BytesIO(body), sep=";", decimal=",", comment="#", encoding="utf-8-sig", dtype=codes), catalog)
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    rows = list(sheet.values)
    return _human(pd.DataFrame(rows[1:], columns=rows[0]).astype({"Aluekoodi": str, "Vuosi": str}), catalog)


@pytest.fixture(scope="module")
def answers(client: httpx.Client, star_metrics) -> list[tuple[str, list[tuple[Key, float | None]]]]:  # type: ignore[no-untyped-def]
    """Every public answer: (what was asked, its cells)."""
    catalog = load_catalog(star_metrics)
    approved = ",".join(sorted(m.id for m in catalog.approved()))
    out = []
    asks: list[tuple[str, dict[str, str]]] = []
    for town in TOWNS:
        asks.append(("/api/v1/data", {"metric": approved, "area": town, "compare": "region,county,finland"}))
        asks.append(("/api/v1/data", {"metric": approved, "area": town, "gender": "total,male,female"}))
    asks.append(("/api/v1/data", {"metric": approved, "area": ",".join([*TOWNS, "MK21", "MK01", "HVA91", "SSS"])}))
    asks.append(("/api/v1/data", {"metric": approved, "area": "766,MK21", "period": "latest"}))
    asks.append(("/api/v1/data", {"metric": "in_migrants,gross_migration", "area": "766,295,MK21", "period": "2000-2001"}))
    for metric in approved.split(","):
        asks.append((f"/api/v1/metrics/{metric}/download", {}))
    for path, query in asks:
        for fmt in FORMATS:
            response = client.get(path, params={**query, "format": fmt})
            out.append((f"{path} {query} {fmt}", parse(response, fmt, catalog)))
    return out


def test_no_hidden_cell_is_a_number_in_any_answer(pages: dict[Key, float | None], answers) -> None:  # type: ignore[no-untyped-def]
    hidden = {k for k, v in pages.items() if v is None}
    assert ("in_migrants", "766", "2000", "total") in hidden and len(hidden) >= 30
    seen_hidden = set()
    for asked, cells in answers:
        for key, value in cells:
            if key in hidden:
                assert value is None, (asked, key, value)
                seen_hidden.add(key)
    assert seen_hidden == hidden  # every hidden cell was asked for, in some answer, and came back empty


def test_shown_cells_have_the_pages_values_and_one_status_everywhere(pages: dict[Key, float | None], answers, star_metrics) -> None:  # type: ignore[no-untyped-def]
    catalog = load_catalog(star_metrics)
    status: dict[Key, set[bool]] = {}
    for asked, cells in answers:
        for key, value in cells:
            status.setdefault(key, set()).add(value is None)
            if pages.get(key) is not None:
                assert value == round_half_up(pages[key], catalog.get(key[0]).decimals), (asked, key)
    flipping = {k: s for k, s in status.items() if len(s) > 1}
    assert flipping == {}


def test_the_attacker_recovers_nothing_from_all_answers(pages: dict[Key, float | None], answers) -> None:  # type: ignore[no-untyped-def]
    """Everything any answer shows (exact linear algebra over the rounded figures' equations)
    against the cells the publication hides (a missing cell of a JSON-stat cube is no secret)."""
    union: dict[Key, float | None] = {key: None for key, value in pages.items() if value is None}
    for _asked, cells in answers:
        for key, value in cells:
            if value is not None:
                union[key] = value
    frame = pd.DataFrame([(*k, v, v is None) for k, v in union.items()],
                         columns=["metric_id", "area_code", "period", "gender", "value", "suppressed"])
    shown, hidden = _split(frame)
    assert len(hidden) >= 30 and len(shown) > 2 * len(hidden)
    assert _attack(shown, hidden) == {}


def test_internal_values_and_drafts_need_a_token(client: httpx.Client, tokens: dict[str, str], draft_id: str) -> None:
    query = {"metric": "in_migrants", "area": "766", "period": "2000"}
    public = client.get("/api/v1/data", params=query).json()["data"]
    assert [(r["value"], r["status"]) for r in public] == [(None, "too_few")]
    viewer = {"Authorization": f"Bearer {tokens['viewer']}"}
    internal = client.get("/api/v1/data", params=query, headers=viewer)
    assert [r["value"] for r in internal.json()["data"]] == [4.0] and internal.json()["audience"] == "internal"
    assert client.get("/api/v1/data", params={**query, "audience": "public"}, headers=viewer).json()["data"][0]["value"] is None
    draft = {**query, "metric": draft_id}
    refused = client.get("/api/v1/data", params=draft)
    assert refused.status_code == 401 and refused.json()["parameter"] == "metric"
    assert refused.headers["content-type"] == "application/problem+json"
    assert client.get(f"/api/v1/metrics/{draft_id}").status_code == 401
    assert draft_id not in {m["id"] for m in client.get("/api/v1/metrics").json()["metrics"]}
    assert client.get("/api/v1/data", params=draft, headers=viewer).status_code == 403
    author = {"Authorization": f"Bearer {tokens['author']}"}
    assert [r["value"] for r in client.get("/api/v1/data", params=draft, headers=author).json()["data"]] == [4.0]
    assert draft_id in {m["id"] for m in client.get("/api/v1/metrics", headers=author).json()["metrics"]}
    assert "too_few" not in json.dumps(internal.json())


@pytest.mark.postgres
def test_the_same_answers_from_postgresql(api_server, new_pg_database, _pg_template: str, star_metrics,  # type: ignore[no-untyped-def]
                                          client: httpx.Client) -> None:
    """The API is the same process against PostgreSQL: the star there answers exactly as on SQLite."""
    from datamodel.engine import make_engine
    from dc_star import fill_migration_star

    url = new_pg_database(template=_pg_template)
    engine = make_engine(url)
    fill_migration_star(engine)
    engine.dispose()
    base = api_server(url, star_metrics)
    query = {"metric": "in_migrants,gross_migration,net_migration_rate", "area": "766,MK21,SSS", "gender": "total"}
    with httpx.Client(base_url=base, timeout=300) as pg:
        on_pg = pg.get("/api/v1/data", params=query).json()
        assert pg.get("/api/v1/health").json()["status"] == "ok"
    on_sqlite = client.get("/api/v1/data", params=query).json()
    assert on_pg["data"] == on_sqlite["data"] and len(on_pg["data"]) > 20
    assert any(r["status"] == "too_few" and r["value"] is None for r in on_pg["data"])
