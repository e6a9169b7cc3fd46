"""A partial aggregate says the same thing on every surface: overview card, public summary, CSV,
JSON and the forecast's history; an insufficient one is never shown nor fitted as a figure.

A hand-made star loaded through the real loaders (every expected figure worked out by hand):

    code  region  labour force  population   unemployment % 2004-2011
    101   MK01    1000          2000         12 11 10 9 10 11 10 9
    102   MK01    1500          3000          8  8  7 7  8  -  8 7
    103   MK01     150           300          6  6  6 6  6  -  6 -
    104   MK01    1350          2700         10 10  9 9 11 10  9 8
    105   MK01    1000          2000          9  9  8 8 10  9  8 8
    106   MK02    2000          4000          5  5  5 5  6  5  5 5

MK01 (labour force 5 000) has no figure of its own. In 2011 municipality 103 (150 of 5 000) has
none: MK01's unemployment is computed from 4 850 of 5 000 (coverage 97 %, `partial`):
(9*1000 + 7*1500 + 8*1350 + 8*1000) / 4850 = 38300 / 4850 = 7.897 -> 7.9. In 2009 102 and 103 are
missing: 3 350 of 5 000 (67 %, `insufficient`), so MK01 has no figure for 2009. Weighted by
population instead (a declared approximation), 2011 is 9 700 of 10 000 (97 %).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, insert
from streamlit.testing.v1 import AppTest

from datamodel.engine import make_engine
from datamodel.loaders.core import BatchInfo, SeriesMeta, load_observations
from datamodel.loaders.sotkanet import BUNDLED_LOADER
from datamodel.schema import area
from forecasting.metric_adapter import forecast_frame
from kuntamittari.i18n import t
from metrics.catalog import Catalog, load_catalog
from metrics.model import METRIC_CLASSES, Selection
from metrics.service import query_metric
from metrics.yaml_io import dump_metric
from readout.build import build_area_readout
from readout.export import csv_bytes, readout_json, series_rows
from readout.forecast import explain
from readout.localise import localise
from ui.cards import card_view

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120
LANGS = ("fi", "sv", "en")
YEARS = list(range(2004, 2012))
LABOUR = {"101": 1000, "102": 1500, "103": 150, "104": 1350, "105": 1000, "106": 2000}
UNEMPLOYMENT = {
    "101": [12, 11, 10, 9, 10, 11, 10, 9], "102": [8, 8, 7, 7, 8, None, 8, 7], "103": [6, 6, 6, 6, 6, None, 6, None],
    "104": [10, 10, 9, 9, 11, 10, 9, 8], "105": [9, 9, 8, 8, 10, 9, 8, 8], "106": [5, 5, 5, 5, 6, 5, 5, 5],
}
AREAS = [(i + 1, "kunta", code, f"Kunta {code}", "MK01" if code != "106" else "MK02") for i, code in enumerate(LABOUR)]
AREAS += [(10, "maakunta", "MK01", "Ykkösmaakunta", None), (11, "maakunta", "MK02", "Kakkosmaakunta", None),
          (20, "hyvinvointialue", "HVA01", "Ykkösalue", None), (30, "maa", "SSS", "Koko maa", None)]
NOTE = {"fi": "painotettu väestöllä, ei työvoimalla", "sv": "viktad med befolkningen, inte arbetskraften",
        "en": "weighted by population, not by the labour force"}
PARTIAL = {lang: t("readout.status.partial", lang, coverage={"en": "97%"}.get(lang, "97\u202f%")) for lang in LANGS}
INSUFFICIENT = {lang: t("readout.status.insufficient", lang, coverage={"en": "67%"}.get(lang, "67\u202f%")) for lang in LANGS}
VALUE_2011 = {"fi": "7,9", "sv": "7,9", "en": "7.9"}


def _texts(fi: str, sv: str, en: str) -> dict[str, str]:
    return {"fi": fi, "sv": sv, "en": en}


def _metric(mid: str, name: str, weight: str, basis: str, **extra: object) -> dict:
    return {"schema_version": 1, "id": mid, "status": "approved", "theme": "working_age",
            "name": _texts(name, name + " (sv)", name + " (en)"), "description": _texts("Kuvaus.", "Beskrivning.", "Description."),
            "kind": "simple", "series": "sotkanet:181", "aggregation": "weighted_mean", "weight": weight,
            "weight_basis": basis, "unit": _texts("%", "%", "%"), "decimals": 1, "direction": "lower_is_better", **extra}


@pytest.fixture(scope="module")
def star(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[tuple[Engine, Path]]:
    """The star above in its own SQLite file, with its catalogue directory."""
    base = tmp_path_factory.mktemp("coverage-star")
    shutil.copyfile(_sqlite_template, base / "star.sqlite")
    engine = make_engine(f"sqlite:///{base / 'star.sqlite'}")
    with engine.begin() as conn:
        conn.execute(insert(area), [
            {"area_id": i, "area_type": kind, "code": code, "name_fi": name, "name_sv": name, "name_en": name,
             "region_code": region, "county_code": "HVA01" if kind == "kunta" else None, "valid_from": 1900}
            for i, kind, code, name, region in AREAS])
    rows = [("sotkanet:3000", a, y, v) for a, v in LABOUR.items() for y in YEARS]
    rows += [("sotkanet:127", a, y, 2 * v) for a, v in LABOUR.items() for y in YEARS]
    rows += [("sotkanet:181", a, y, v) for a, values in UNEMPLOYMENT.items() for y, v in zip(YEARS, values, strict=True)
             if v is not None]
    frame = pd.DataFrame([{"series_code": s, "area_code": a, "period_code": str(y), "group_code": "total", "value": float(v)}
                          for s, a, y, v in rows])
    metas = [SeriesMeta(code, "sotkanet", code.split(":")[1], f"Sarja {code}", "CC BY 4.0", "Lähde: THL, Sotkanet",
                        is_count=code != "sotkanet:181") for code in ("sotkanet:181", "sotkanet:3000", "sotkanet:127")]
    batch = BatchInfo("sotkanet", BUNDLED_LOADER, "tests/readout/test_ro_coverage.py", "CC BY 4.0", "Lähde: THL, Sotkanet")
    load_observations(engine, frame, metas, batch, checksum="coverage-star")
    directory = base / "definitions" / "working_age"
    directory.mkdir(parents=True)
    for data in (_metric("unemployment", "Työttömyys", "sotkanet:3000", "denominator"),
                 _metric("unemployment_pop", "Työttömyys väestöpainoin", "sotkanet:127", "approximation",
                         approximation_note=NOTE)):
        metric = METRIC_CLASSES["simple"].model_validate(data)
        (directory / f"{metric.id}.yaml").write_text(dump_metric(metric), encoding="utf-8")
    yield engine, base / "definitions"
    engine.dispose()


@pytest.fixture(scope="module")
def catalog(star: tuple[Engine, Path]) -> Catalog:
    loaded = load_catalog(star[1])
    assert not loaded.errors, [i.render() for i in loaded.errors]
    return loaded


@pytest.fixture
def star_env(star: tuple[Engine, Path], settings_env: Callable[..., None]) -> None:
    settings_env(DATABASE_URL=star[0].url.render_as_string(hide_password=False), METRICS_DIR=star[1], AUTH_MODE="none",
                 PUBLIC_ONLY=None)


def test_the_metric_layer_gives_the_hand_worked_statuses(star, catalog) -> None:  # type: ignore[no-untyped-def]
    frame = query_metric(star[0], catalog, "unemployment", Selection(areas=("MK01",))).set_index("period")
    assert frame.loc["2011", "status"] == "partial" and frame.loc["2011", "coverage"] == pytest.approx(0.97)
    assert frame.loc["2011", "value"] == pytest.approx(38300 / 4850)
    assert frame.loc["2009", "status"] == "insufficient" and pd.isna(frame.loc["2009", "value"])
    assert frame.loc["2009", "coverage"] == pytest.approx(0.67)
    assert set(frame.loc[[p for p in frame.index if p not in ("2009", "2011")], "status"]) == {"ok"}


@pytest.mark.parametrize("lang", LANGS)
def test_card_summary_csv_and_json_say_the_same(star, catalog, lang: str) -> None:  # type: ignore[no-untyped-def]
    engine = star[0]
    internal = build_area_readout(engine, catalog, "101", compare_with=("region",))
    public = build_area_readout(engine, catalog, "101", compare_with=("region", "county", "finland"), audience="public",
                                with_parts=True)
    card_words = localise(internal, lang).metric("unemployment")
    card = card_view(internal.metric("unemployment"), card_words, lang, "Kunta 101")
    region = card_words.comparison("region")
    # the card: the region's 2011 figure marked partial with its coverage
    assert region is not None and region.value == VALUE_2011[lang] and region.status == PARTIAL[lang]
    assert card.comparison.startswith(f"Ykkösmaakunta: {VALUE_2011[lang]} ({PARTIAL[lang]})")
    # the public summary: the same words in the comparison table and the region's values table
    words = localise(public, lang).metric("unemployment")
    assert words.comparison("region").cell == f"{VALUE_2011[lang]} ({PARTIAL[lang]})"
    # CSV: the region's 2011 row marked partial, its 2009 row the words of a withheld value
    rows = list(csv.DictReader(io.StringIO(csv_bytes(series_rows(public, lang), lang).decode("utf-8-sig")),
                               delimiter="," if lang == "en" else ";"))
    region_rows = {r[t("public.col_period", lang)]: r for r in rows
                   if r[t("public.col_area", lang)] == "Ykkösmaakunta" and r[t("public.col_metric", lang)] == words.name}
    assert region_rows["2011"][t("public.col_value", lang)] == VALUE_2011[lang]
    assert region_rows["2011"][t("public.col_status", lang)] == PARTIAL[lang]
    assert region_rows["2009"][t("public.col_value", lang)] == INSUFFICIENT[lang]
    assert region_rows["2010"][t("public.col_status", lang)] == ""
    # JSON: the codes and the same words side by side
    data = json.loads(readout_json(public, lang))
    metric = next(m for m in data["text"]["metrics"] if m["metric_id"] == "unemployment")
    comparison = next(c for c in metric["comparisons"] if c["role"] == "region")
    assert (comparison["value"], comparison["status"]) == (VALUE_2011[lang], PARTIAL[lang])
    coded = next(m for m in data["readout"]["metrics"] if m["info"]["metric_id"] == "unemployment")
    region_points = {p["period"]: p for s in coded["series"] if s["area"]["code"] == "MK01" for p in s["points"]}
    assert (region_points["2011"]["status"], region_points["2011"]["coverage"]) == ("partial", pytest.approx(0.97))
    assert (region_points["2009"]["status"], region_points["2009"]["value"]) == ("insufficient", None)


@pytest.mark.parametrize("lang", LANGS)
def test_an_approximate_weight_shows_its_note_beside_the_value(star, catalog, lang: str) -> None:  # type: ignore[no-untyped-def]
    readout = build_area_readout(star[0], catalog, "101", compare_with=("region",), metric_ids=["unemployment_pop"])
    words = localise(readout, lang).metric("unemployment_pop")
    region = words.comparison("region")
    note = t("readout.basis.approximation_note", lang, note=NOTE[lang])
    assert region is not None and region.value_basis == note
    assert region.cell == f"{region.value} ({PARTIAL[lang]}; {note})"
    assert f"({PARTIAL[lang]}; {note})" in region.line and note in region.sentence
    card = card_view(readout.metric("unemployment_pop"), words, lang, "Kunta 101")
    assert note in card.comparison and note not in card.note  # beside the value, said once
    rows = series_rows(readout, lang)
    marked = [r for r in rows if r[t("public.col_area", lang)] == "Ykkösmaakunta" and r[t("public.col_period", lang)] == "2011"]
    assert [r[t("public.col_status", lang)] for r in marked] == [f"{PARTIAL[lang]}; {note}"]


def test_the_forecast_history_marks_partial_and_leaves_out_insufficient(star, catalog) -> None:  # type: ignore[no-untyped-def]
    metric = catalog.get("unemployment")
    frame = query_metric(star[0], catalog, "unemployment", Selection(areas=("MK01",)))
    result = forecast_frame(frame, metric, ["MK01"], 2013, with_backtest=False, executor="serial").get("MK01")
    assert result is not None
    # the withheld 2009 is never fitted as if it were real: it is a gap, not a value
    assert "2009" not in set(result.history["period"]) and len(result.history) == 7 and "2009" in result.gaps
    assert [(n.period, n.status, n.coverage) for n in result.notes] == [("2009", "insufficient", pytest.approx(0.67)),
                                                                         ("2011", "partial", pytest.approx(0.97))]
    assert result.dropped == 0  # not counted as hidden by disclosure control
    for lang in LANGS:
        text = " ".join(explain(result, lang, unit="%", decimals=1))
        assert f"2011: {PARTIAL[lang]}" in text and f"2009: {INSUFFICIENT[lang]}" in text
    data = result.to_dict()
    assert data["history"][-1] == {"period": "2011", "value": pytest.approx(38300 / 4850), "status": "partial",
                                   "coverage": pytest.approx(0.97)}
    assert data["withheld"] == [{"period": "2009", "status": "insufficient", "coverage": pytest.approx(0.67)}]
    history = result.to_frame().query("kind == 'history'").set_index("period")
    assert list(history.index) == [str(y) for y in YEARS]
    assert history.loc["2011", "status"] == "partial" and history.loc["2011", "data_coverage"] == pytest.approx(0.97)
    assert history.loc["2009", "status"] == "insufficient" and pd.isna(history.loc["2009", "value"])


def _markdown_text(at: AppTest) -> str:
    """Every Markdown and HTML body as the reader sees its text (escapes dropped)."""
    bodies = [str(e.value) for kind in ("markdown", "caption", "info") for e in at.get(kind)]
    bodies += [e.proto.body for e in at.get("html")]
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", "\n".join(bodies))


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_overview_page_and_public_app_show_the_same_status(star_env: None, lang: str) -> None:
    overview = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=TIMEOUT)
    overview.query_params.update({"area": "101", "lang": lang})
    overview.run()
    assert not overview.exception, [e.value for e in overview.exception]
    cards = _markdown_text(overview)
    assert f"Ykkösmaakunta: {VALUE_2011[lang]} ({PARTIAL[lang]})" in cards
    public = AppTest.from_file(str(ROOT / "public_app.py"), default_timeout=TIMEOUT)
    public.query_params.update({"area": "101", "lang": lang, "theme": "working_age"})
    public.run()
    assert not public.exception, [e.value for e in public.exception]
    summary = _markdown_text(public)
    assert f"<td>{VALUE_2011[lang]} ({PARTIAL[lang]})</td>" in summary  # the comparison table
    assert f'<td class="num">{VALUE_2011[lang]} ({PARTIAL[lang]})</td>' in summary  # the region's values table
    assert f'<td class="num">{INSUFFICIENT[lang]}</td>' in summary  # 2009: the words, never a number
