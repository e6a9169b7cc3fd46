"""An upload keeps its own provenance, and never moves another source's retrieval date."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from datamodel.areas import sync_areas
from datamodel.engine import make_engine
from datamodel.loaders.own_data import UNSTATED_LICENCE, import_own_data
from datamodel.schema import load_batch, series
from metrics.catalog import load_catalog
from metrics.service import load_batches, metric_provenance

CSV = "kunta;vuosi;arvo\r\n208;2023;12\r\n244;2023;7\r\n".encode("utf-8")


def test_upload_stores_source_licence_date_and_user(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        sync_areas(conn)
    _, result = import_own_data(db_engine, CSV, filename="kotihoito.csv", series_code="own:208:kotihoito",
                                source_name="Kalajoen kaupunki, kotihoito", licence="CC BY 4.0", uploaded_by="maija")
    _, plain = import_own_data(db_engine, CSV.replace(b"12", b"13"), filename="x.csv", series_code="own:244:x")
    with db_engine.connect() as conn:
        batches = {r["batch_id"]: r for r in conn.execute(select(load_batch)).mappings()}
        metas = {r["code"]: r for r in conn.execute(select(series)).mappings()}
    first = batches[result.batch_id]
    assert (first["source_name"], first["licence"], first["uploaded_by"]) == ("Kalajoen kaupunki, kotihoito", "CC BY 4.0", "maija")
    assert first["fetched_at"] is None and first["loaded_at"] is not None  # uploaded, not retrieved
    meta = metas["own:208:kotihoito"]
    assert (meta["source_name"], meta["licence"], meta["attribution"]) == (
        "Kalajoen kaupunki, kotihoito", "CC BY 4.0", "Lähde: Kalajoen kaupunki, kotihoito")
    # Nothing given: the municipality as publisher and no licence claimed (never another source's).
    other = batches[plain.batch_id]
    assert (other["source_name"], other["licence"], other["uploaded_by"]) == ("kunta 244", UNSTATED_LICENCE, None)
    listing = load_batches(db_engine)
    assert {"source_name", "uploaded_by"} <= set(listing.columns)


def test_an_upload_leaves_sotkanet_dates_alone(bundled_engine: Engine, tmp_path: Path) -> None:
    db = tmp_path / "copy.sqlite"
    shutil.copyfile(bundled_engine.url.database, db)  # type: ignore[arg-type]
    engine = make_engine(f"sqlite:///{db}")
    catalog = load_catalog(None, engine)
    import_own_data(engine, CSV, filename="kotihoito.csv", series_code="own:208:kotihoito", uploaded_by="maija")
    prov = metric_provenance(engine, catalog, "unemployment_rate")
    fetched = pd.to_datetime(prov["fetched_at"], utc=True)
    assert (fetched == datetime(2013, 9, 8, tzinfo=timezone.utc)).all()
    assert prov["uploaded_at"].isna().all() and prov["uploaded_by"].isna().all()
    listing = load_batches(engine)
    assert listing.iloc[0]["source"] == "own" and pd.isna(listing.iloc[0]["fetched_at"])
