"""The API as a real process on the bundled Sotkanet data, called with httpx.

Known values come from elsewhere: the public readout of Kalajoki (what the pages show), the
catalogue files, the JSON-stat 2.0 schema written out from the specification, and frictionless'
own validator.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import httpx
import jsonschema
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from frictionless import Resource, Schema, validate
from pyjstat import pyjstat
from sqlalchemy import Engine

from metrics.catalog import load_catalog
from readout.build import build_public_readout
from readout.downloads import round_half_up
from readout.formatting import format_number
from readout.localise import value_text

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "jsonstat-2.0.schema.json").read_text())
KALAJOKI = "208"


@pytest.fixture(scope="module")
def client(bundled_api: str) -> httpx.Client:
    with httpx.Client(base_url=bundled_api, timeout=300) as http:
        yield http


@pytest.fixture(scope="module")
def readout(bundled_engine: Engine):  # type: ignore[no-untyped-def]
    return build_public_readout(bundled_engine, load_catalog(), KALAJOKI)


def test_health_openapi_and_docs(client: httpx.Client) -> None:
    assert client.get("/api/v1/health").json()["status"] == "ok"
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/metrics", "/api/v1/metrics/{metric_id}", "/api/v1/areas", "/api/v1/data",
                 "/api/v1/metrics/{metric_id}/download", "/api/v1/health"):
        assert path in spec["paths"], path
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and "<h1>Kuntamittari API</h1>" in docs.text and "problem-unknown-metric" in docs.text


def test_catalogue_lists_approved_metrics_with_texts_source_and_licence(client: httpx.Client) -> None:
    catalog = load_catalog()
    entries = {m["id"]: m for m in client.get("/api/v1/metrics").json()["metrics"]}
    assert set(entries) == {m.id for m in catalog.approved()}
    entry = entries["unemployment_rate"]
    metric = catalog.get("unemployment_rate")
    assert entry["name"] == {"fi": metric.name.fi, "sv": metric.name.sv, "en": metric.name.en}
    assert entry["unit"]["fi"] == metric.unit.fi and entry["direction"] == metric.direction.value
    assert entry["licence"] == "CC BY 4.0" and "Sotkanet" in (entry["attribution"] or "")
    assert entry["series"] and entry["series"][0]["batch_id"] is not None
    assert client.get("/api/v1/metrics/unemployment_rate").json()["id"] == "unemployment_rate"


def test_areas_have_type_years_parents_and_official_names(client: httpx.Client) -> None:
    areas = client.get("/api/v1/areas").json()["areas"]
    kalajoki = next(a for a in areas if a["code"] == KALAJOKI)
    assert kalajoki["type"] == "kunta" and kalajoki["name"]["fi"] == "Kalajoki"
    assert kalajoki["parents"]["region"] == "MK17" and isinstance(kalajoki["valid_from"], int)
    assert {a["type"] for a in areas} <= {"kunta", "maakunta", "hyvinvointialue", "maa"}  # sub-regions are internal
    vaasa_region = next(a for a in areas if a["code"] == "MK15")
    assert vaasa_region["name"]["sv"] == "Österbotten"


def _jsonstat(client: httpx.Client, metrics: list[str], **extra: str) -> dict:
    response = client.get("/api/v1/data", params={"metric": ",".join(metrics), "area": KALAJOKI,
                                                   "compare": "region,county,finland", "format": "jsonstat", **extra})
    assert response.status_code == 200, response.text
    return response.json()


def test_jsonstat_validates_and_round_trips_to_the_pages_numbers(client: httpx.Client, readout) -> None:  # type: ignore[no-untyped-def]
    ids = [item.metric_id for item in readout.metrics]
    checked = 0
    for start in range(0, len(ids), 10):
        chunk = ids[start:start + 10]
        dataset = _jsonstat(client, chunk)
        jsonschema.Draft4Validator(SCHEMA).validate(dataset)
        frame = pyjstat.Dataset.read(json.dumps(dataset)).write("dataframe", naming="id")
        got = {(r.metric, r.area, r.period): r.value for r in frame[frame["gender"] == "total"].itertuples(index=False)}
        for metric_id in chunk:
            item = readout.metric(metric_id)
            for series in item.series:
                for point in series.points:
                    value = got[(metric_id, series.area.code, point.period)]
                    value = None if value is None or value != value else value
                    assert value == round_half_up(point.value, item.info.decimals), (metric_id, series.area.code, point.period)
                    if value is not None:
                        assert format_number(value, "fi", item.info.decimals) == value_text(point, item.info.decimals, "fi")
                    checked += 1
    assert checked > 1000


def test_jsonstat_labels_follow_the_language(client: httpx.Client) -> None:
    dataset = _jsonstat(client, ["unemployment_rate"], lang="sv", period="2011")
    assert dataset["dimension"]["area"]["category"]["label"]["MK17"] == "Norra Österbotten"
    assert dataset["dimension"]["metric"]["category"]["unit"]["unemployment_rate"]["decimals"] == 1
    assert dataset["role"] == {"metric": ["metric"], "geo": ["area"], "time": ["period"]}
    assert "Sotkanet" in dataset["source"] and dataset["extension"]["provenance"]["licences"] == ["CC BY 4.0"]


def test_csv_and_datapackage_validate_with_frictionless(client: httpx.Client, tmp_path: Path) -> None:
    query = {"metric": "unemployment_rate,population", "area": "208,244", "compare": "region"}
    package = client.get("/api/v1/data", params={**query, "format": "datapackage"})
    assert package.status_code == 200 and package.headers["content-type"] == "application/zip"
    zipfile.ZipFile(io.BytesIO(package.content)).extractall(tmp_path / "pkg")
    report = validate(str(tmp_path / "pkg" / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    descriptor = json.loads((tmp_path / "pkg" / "datapackage.json").read_text())
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0" and descriptor["sources"][0]["title"] == "THL, Sotkanet"
    csv = client.get("/api/v1/data", params=query, headers={"Accept": "text/csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    (tmp_path / "data.csv").write_bytes(csv.content)
    schema = Schema.from_descriptor(descriptor["resources"][0]["schema"])  # the CSV as the package describes it
    report = Resource(path="data.csv", basepath=str(tmp_path), schema=schema).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.tasks[0].stats["rows"] > 10
    rows = pd.read_csv(io.BytesIO(csv.content), dtype={"area_code": str, "period": str})
    assert set(rows.columns) >= {"source", "licence", "retrieved", "batch_id"}
    assert (rows["licence"] == "CC BY 4.0").all() and rows["batch_id"].notna().all()
    same = rows[(rows["metric_id"] == "unemployment_rate") & (rows["area_code"] == "208") & (rows["period"] == "2011")]
    assert same["value"].tolist() == [8.0]


def test_finnish_csv_excel_and_parquet_carry_provenance_and_numbers(client: httpx.Client) -> None:
    query = {"metric": "unemployment_rate", "area": KALAJOKI, "period": "2006-2011"}
    text = client.get("/api/v1/data", params={**query, "format": "csv-fi"}).content.decode("utf-8-sig")
    block = [line for line in text.splitlines() if line.startswith("#")]
    assert any("Lisenssi: CC BY 4.0" in line for line in block) and any("Latauserät: " in line for line in block)
    assert any("Viittausohje: Lähde: THL, Sotkanet" in line for line in block)
    assert any("Tietojen ajankohta: 2006–2011" in line for line in block)
    table = pd.read_csv(io.StringIO(text), sep=";", decimal=",", comment="#")
    values = [row["value"] for row in client.get("/api/v1/data", params=query).json()["data"]]
    assert table["Arvo"].tolist() == values and len(values) == 6
    assert (values[0], values[3], values[-1]) == (9.4, 11.2, 8.0)  # docs/readout.md: Kalajoki 2006, 2009, 2011
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/data", params={**query, "format": "xlsx"}).content))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    column = header.index("Arvo") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    assert {c.data_type for c in cells} == {"n"} and {c.number_format for c in cells} == {"#,##0.0"}
    assert [c.value for c in cells] == values
    assert cells[-1].value == 8.0
    about = " ".join(str(c.value) for row in workbook.worksheets[1].iter_rows() for c in row)
    assert "CC BY 4.0" in about and "THL, Sotkanet" in about
    parquet = pq.read_table(io.BytesIO(client.get("/api/v1/data", params={**query, "format": "parquet"}).content))
    meta = {k.decode(): v.decode() for k, v in parquet.schema.metadata.items()}
    assert meta["licence"] == "CC BY 4.0" and "Sotkanet" in meta["attribution"]
    assert json.loads(meta["kuntamittari.provenance"])["data_vintage"] == {"first_period": "2006", "last_period": "2011"}
    assert parquet.column("value").to_pylist()[-1] == 8.0


def test_bulk_download_has_every_municipality(client: httpx.Client, readout) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/metrics/population/download")
    assert response.headers["content-disposition"] == 'attachment; filename="kuntamittari_population.csv"'
    rows = pd.read_csv(io.BytesIO(response.content), dtype={"area_code": str, "period": str})
    assert {"kunta", "maakunta", "maa"} <= set(rows["area_type"]) and rows["area_code"].nunique() > 300
    assert set(rows["gender"]) <= {"total", "male", "female"}
    latest = readout.metric("population").latest
    kalajoki = rows[(rows["area_code"] == KALAJOKI) & (rows["period"] == latest.period) & (rows["gender"] == "total")]
    assert kalajoki["value"].tolist() == [latest.value]


def test_etag_gives_304_until_the_request_changes(client: httpx.Client) -> None:
    url = "/api/v1/data?metric=unemployment_rate&area=208&period=2011"
    first = client.get(url)
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and "public" in first.headers["cache-control"]
    cors = client.get(url, headers={"Origin": "https://data.kalajoki.fi"})
    assert cors.headers["access-control-allow-origin"] == "*" and "etag" in cors.headers["access-control-expose-headers"].lower()
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get(url + "&lang=sv").headers["etag"] != etag
    assert client.get(url, headers={"If-None-Match": 'W/"other"'}).status_code == 200


@pytest.mark.parametrize(("query", "parameter", "kind"), [
    ("metric=nope&area=208", "metric", "unknown-metric"),
    ("metric=unemployment_rate&area=999", "area", "unknown-area"),
    ("metric=unemployment_rate&area=208&period=1850", "period", "unknown-period"),
    ("metric=unemployment_rate&area=208&format=xml", "format", "unknown-format"),
    ("metric=unemployment_rate", "area", "missing-parameter"),
    ("metric=unemployment_rate&area=SK510", "area", "area-not-public"),
    ("metric=unemployment_rate&area=MK17&gender=male", "gender", "invalid-parameter"),
    ("metric=unemployment_rate&area=208&compare=pilot", "compare", "invalid-parameter"),
])
def test_bad_parameters_get_problem_documents(client: httpx.Client, query: str, parameter: str, kind: str) -> None:
    response = client.get(f"/api/v1/data?{query}")
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["parameter"] == parameter and problem["type"].endswith(f"#problem-{kind}") and problem["status"] == 400
    assert problem["instance"] == "/api/v1/data" and problem["title"] and problem["detail"]


def test_limits_name_the_parameter(client: httpx.Client) -> None:
    towns = [a["code"] for a in client.get("/api/v1/areas?type=kunta").json()["areas"]][:51]
    response = client.get("/api/v1/data", params={"metric": "unemployment_rate", "area": ",".join(towns)})
    assert response.status_code == 400 and response.json()["parameter"] == "area"
    assert response.json()["type"].endswith("#problem-too-many-values")
    metrics = [m["id"] for m in client.get("/api/v1/metrics").json()["metrics"]][:11]
    response = client.get("/api/v1/data", params={"metric": ",".join(metrics), "area": "208"})
    assert response.status_code == 400 and response.json()["parameter"] == "metric"


def test_other_errors_are_problem_documents_too(client: httpx.Client, tokens: dict[str, str]) -> None:
    unacceptable = client.get("/api/v1/data?metric=unemployment_rate&area=208", headers={"Accept": "text/html"})
    assert unacceptable.status_code == 406 and unacceptable.json()["parameter"] == "Accept"
    missing = client.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    bad = client.get("/api/v1/metrics", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and "invalid_token" in bad.headers["www-authenticate"]
    internal = client.get("/api/v1/areas?audience=internal")
    assert internal.status_code == 401 and internal.json()["parameter"] == "audience"
    signed = client.get("/api/v1/areas", headers={"Authorization": f"Bearer {tokens['viewer']}"})
    assert signed.status_code == 200 and "seutukunta" in {a["type"] for a in signed.json()["areas"]}
    assert "private" in signed.headers["cache-control"]


def test_accept_header_chooses_the_format(client: httpx.Client) -> None:
    url = "/api/v1/data?metric=unemployment_rate&area=208&period=2011"
    stat = client.get(url, headers={"Accept": "application/vnd.json-stat+json"}).json()
    assert stat["class"] == "dataset" and stat["version"] == "2.0"
    csv = client.get(url, headers={"Accept": "text/csv;q=0.9, application/xml;q=1"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert client.get(url, headers={"Accept": "*/*"}).json()["data"][0]["value"] == 8.0
