"""Every exercise's expected answer equals what the app shows on the bundled data.

The value is computed by the metric layer (`metrics.service.query_metric`) on the `bundled_engine`
fixture and formatted with `readout.formatting`, then compared with the answer written in the
material, in each material language. The module 2 exercise imports the example CSV into a copy of
the bundled database first, as a participant does on the own-data page.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from datamodel.engine import make_engine
from datamodel.loaders.own_data import import_own_data
from kuntamittari.i18n import t
from metrics.catalog import Catalog, load_catalog
from metrics.model import Selection
from metrics.service import query_metric
import workshop as tc

MODULES = {lang: tc.load_modules(lang) for lang in tc.MATERIAL_LANGUAGES}
EVERY = MODULES["fi"] + MODULES["en"]
CASES = [(m.lang, e) for m in EVERY for e in m.exercises]
OWN_DATA_MAPPING = {"area": "Kuntakoodi", "period": "Vuosi", "value": "Kirjastolainat"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    real = load_catalog()
    assert not real.errors, [i.render() for i in real.errors]
    return tc.catalogue_with_snippets(real, EVERY)


@pytest.fixture(scope="module")
def own_data_engine(bundled_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A private copy of the bundled database with the module 2 example CSV imported."""
    target = tmp_path_factory.mktemp("training") / "own.sqlite"
    source = sqlite3.connect(str(bundled_engine.url.database))
    copy = sqlite3.connect(str(target))
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    engine = make_engine(f"sqlite:///{target}")
    imported: set[str] = set()
    for module in EVERY:
        for exercise in module.exercises:
            path = tc.own_data_path(exercise.expected) if exercise.expected else None
            if path is None or path.name in imported:
                continue
            report, result = import_own_data(
                engine, path, series_code="own:208:kirjastolainat", title="Kirjastolainat",
                mapping=OWN_DATA_MAPPING, is_count=True,
            )
            assert report.ok and not report.issues
            imported.add(path.name)
    assert imported
    yield engine
    engine.dispose()


@pytest.mark.parametrize("lang,exercise", CASES, ids=[f"{lang}-{e.id}" for lang, e in CASES])
def test_expected_answer_is_what_the_app_shows(
    lang: str, exercise: tc.Exercise, catalog: Catalog, bundled_engine: Engine, request: pytest.FixtureRequest
) -> None:
    assert exercise.expected is not None
    engine = request.getfixturevalue("own_data_engine") if exercise.expected.own_data else bundled_engine
    check = tc.check_answer(engine, catalog, exercise, lang)
    assert check.value is not None, f"no value for {exercise.expected}"
    assert tc.normalise_answer(check.shown) == tc.normalise_answer(exercise.answer), (
        f"{exercise.id} ({lang}): material says {exercise.answer!r}, the app shows {check.shown!r}"
    )
    assert check.ok


def test_own_data_answer_needs_the_import(bundled_engine: Engine, catalog: Catalog) -> None:
    """Without the CSV there is no value: the answer really comes from the imported file."""
    exercise = MODULES["fi"][1].exercise("m2-e3")
    assert tc.expected_value(bundled_engine, catalog, exercise.expected) is None


def test_a_wrong_answer_is_caught(bundled_engine: Engine, catalog: Catalog) -> None:
    exercise = MODULES["fi"][0].exercise("m1-e1")
    wrong = tc.Exercise(exercise.id, exercise.title, exercise.deep_link, "8.0%", exercise.expected)
    assert tc.check_answer(bundled_engine, catalog, exercise, "fi").ok
    assert not tc.check_answer(bundled_engine, catalog, wrong, "fi").ok  # English format in fi
    other_year = tc.Expected("unemployment_rate", "208", "2010")
    moved = tc.Exercise(exercise.id, exercise.title, exercise.deep_link, exercise.answer, other_year)
    assert not tc.check_answer(bundled_engine, catalog, moved, "fi").ok


def test_group_answers_are_sum_over_sum_and_the_mean_differs(bundled_engine: Engine, catalog: Catalog) -> None:
    """Module 1's point: the pilot group's ratio is not the mean of the municipalities' ratios."""
    group = tc.expected_value(bundled_engine, catalog, tc.Expected("in_migration_rate", "pilot", "2010"))
    mean = tc.expected_value(bundled_engine, catalog, tc.Expected("in_migration_rate", "pilot", "2010", "mean"))
    migrants = query_metric(bundled_engine, catalog, "in_migrants", Selection(areas=("pilot",), periods=("2010",)))
    population = query_metric(bundled_engine, catalog, "population", Selection(areas=("pilot",), periods=("2010",)))
    assert group == pytest.approx(1000 * migrants["value"].iloc[0] / population["value"].iloc[0])
    assert mean is not None and group is not None and abs(group - mean) > 1


def test_the_workshop_metric_equals_the_catalogue_metric(bundled_engine: Engine, catalog: Catalog) -> None:
    """Module 1 says the participant's copy must give the same figures as `in_migration_rate`."""
    selection = Selection(areas=("208", "436", "pilot", "MK17"), periods=("2009", "2010", "2011"))
    ours = query_metric(bundled_engine, catalog, "workshop_in_migration", selection)
    theirs = query_metric(bundled_engine, catalog, "in_migration_rate", selection)
    assert len(ours) == 12
    key = ["area_code", "period"]
    merged = ours[key + ["value"]].merge(theirs[key + ["value"]], on=key, suffixes=("_ours", "_theirs"))
    assert len(merged) == 12
    assert (merged["value_ours"] - merged["value_theirs"]).abs().max() < 1e-9


def test_snippets_pass_the_catalogue_validator(own_data_engine: Engine, tmp_path: Path) -> None:
    """The material's metric definitions, saved as files next to the real catalogue, pass phase 2
    as well (unique ids, theme folders, every series present in the database)."""
    real = load_catalog()
    directory = tmp_path / "definitions"
    shutil.copytree(real.directory, directory)
    written = []
    for module in MODULES["fi"]:
        for block in module.yaml_blocks():
            if not block.is_metric:
                continue
            path = directory / block.data["theme"] / f"{block.data['id']}.yaml"
            if path.exists():  # the same snippet in two modules
                assert path.read_text(encoding="utf-8").split("source:")[0] == block.text.split("source:")[0]
                continue
            path.parent.mkdir(exist_ok=True)
            path.write_text(block.text, encoding="utf-8")
            written.append(block.data["id"])
    catalog = load_catalog(directory, engine=own_data_engine)
    assert [i.render() for i in catalog.errors] == []
    assert set(written) <= set(catalog.metrics)


def test_the_naive_forecast_exercise_is_the_line_the_forecast_page_draws(bundled_engine: Engine, catalog: Catalog) -> None:
    """Module 3 asks for "same as last year" in 2012 beside the model the page recommends: the
    answer is the naive model's 2012 value that the page draws with its every-model toggle, and
    Prophet is among the models drawn."""
    from forecasting.metric_adapter import forecast_frame

    metric = catalog.get("population")
    frame = query_metric(bundled_engine, catalog, "population", Selection(areas=("244",)))
    result = forecast_frame(frame, metric, ["244"], 2016, with_backtest=False, executor="serial").get("244")
    assert result is not None and result.get_model("prophet") is not None
    naive = result.get_model("naive")
    assert naive is not None
    value = float(naive.forecast.set_index("period").loc["2012", "yhat"])
    modules = [m for m in EVERY if m.number == 3]
    assert {m.lang for m in modules} == {"fi", "en"}
    for module in modules:
        exercise = module.exercise("m3-e1")
        assert tc.normalise_answer(tc.format_answer(value, metric, module.lang)) == tc.normalise_answer(exercise.answer)
        body = " ".join(module.body.split())  # the exercise names the page's own controls
        for key in ("forecasting.page.all_models", "forecasting.page.backtest_title"):
            assert f"**{t(key, module.lang)}**" in body, (module.lang, key)
