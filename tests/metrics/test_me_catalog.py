"""Catalogue loading and validation: broken files, messages with file and line, round trips."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pytest

from kuntamittari.i18n import catalogue
from kuntamittari.settings import get_settings
from metrics.catalog import load_catalog
from metrics.expr import ExpressionError, parse_expression
from metrics.issues import Issue
from metrics.jsonschema import SCHEMA_PATH, schema_text
from metrics.model import DerivedMetric, Theme
from metrics.yaml_io import SCHEMA_HEADER, dump_metric, load_metric_text

BROKEN = Path(__file__).resolve().parent / "broken"
DEFINITIONS = get_settings().metrics_dir
EXPECT = re.compile(r"^# expect: (?P<code>[a-z\-]+)(?: line (?P<line>\d+))?")


def _expectations() -> list[tuple[Path, str, int | None]]:
    out = []
    for path in sorted(BROKEN.rglob("*.yaml")):
        match = EXPECT.match(path.read_text(encoding="utf-8").splitlines()[0])
        assert match, f"{path} must start with '# expect: <code> line <n>'"
        out.append((path, match["code"], int(match["line"]) if match["line"] else None))
    return out


def test_at_least_twenty_kinds_of_broken_files() -> None:
    codes = {code for _p, code, _l in _expectations() if code != "ok"}
    assert len([e for e in _expectations() if e[1] != "ok"]) >= 20
    assert len(codes) >= 20


@pytest.fixture(scope="module")
def broken_catalog(bundled_engine):
    return load_catalog(BROKEN, bundled_engine)


@pytest.mark.parametrize("path,code,line", _expectations(), ids=lambda v: v.name if isinstance(v, Path) else str(v))
def test_each_broken_file_gives_its_precise_issue(broken_catalog, path: Path, code: str, line: int | None) -> None:
    mine = [i for i in broken_catalog.issues if Path(i.file).resolve() == path.resolve() or i.file.endswith(str(path.relative_to(BROKEN.parent.parent.parent)))]
    if code == "ok":
        assert not [i for i in mine if i.level == "error"], [i.render() for i in mine]
        return
    assert any(i.code == code and i.line == line for i in mine), (code, line, [i.render() for i in mine])
    issue = next(i for i in mine if i.code == code)
    rendered = issue.render()
    assert rendered.startswith(f"{issue.file}:{line}: ")
    assert "Traceback" not in rendered and len(rendered.splitlines()) == 1


def test_messages_read_like_the_spec(broken_catalog) -> None:
    rendered = {i.code + ":" + Path(i.file).stem: i.render() for i in broken_catalog.issues}
    assert rendered["invalid-value:bad_direction"].endswith(
        "bad_direction.yaml:22: direction: 'up' is not one of higher_is_better, lower_is_better, neutral"
    )
    assert "did you mean 'description'?" in rendered["unknown-field:unknown_key"]
    assert "did you mean 'population'?" in rendered["unknown-metric:unknown_metric_ref"]
    assert "cycle_a -> cycle_b -> cycle_a" in rendered["cycle:cycle_a"]


def test_valid_files_in_a_broken_directory_still_load(broken_catalog) -> None:
    assert sorted(broken_catalog.metrics) == ["in_rate", "population", "theme_folder"]
    assert broken_catalog.files["population"].parent.name == "economy_services"
    assert not broken_catalog.report().valid


def test_starter_catalogue_survives_broken_neighbours(tmp_path: Path) -> None:
    shutil.copytree(DEFINITIONS, tmp_path / "defs")
    shutil.copytree(BROKEN / "economy_services", tmp_path / "defs" / "economy_services", dirs_exist_ok=True)
    starter = load_catalog(DEFINITIONS)
    mixed = load_catalog(tmp_path / "defs")
    # population.yaml of the broken set is a valid metric that replaces the starter's one.
    assert set(starter.metrics) <= set(mixed.metrics)
    assert len(mixed.errors) >= 20


def test_starter_catalogue_is_valid_and_complete(starter_catalog) -> None:
    assert starter_catalog.issues == [], [i.render() for i in starter_catalog.issues]
    approved = starter_catalog.approved()
    assert len(approved) >= 30
    by_theme = starter_catalog.by_theme()
    assert all(by_theme[theme] for theme in Theme), {t.value: len(v) for t, v in by_theme.items()}
    for metric in approved:
        for field in ("name", "description", "unit", "why_it_matters"):
            texts = getattr(metric, field)
            assert texts and texts.fi and texts.sv and texts.en, (metric.id, field)
        assert metric.licence == "CC BY 4.0" and metric.attribution == "Lähde: THL, Sotkanet"
        assert starter_catalog.files[metric.id].stem == metric.id
        assert starter_catalog.files[metric.id].parent.name == metric.theme.value
    kinds = {m.kind for m in approved}
    assert kinds == {"simple", "ratio", "sum", "derived"}


def test_every_file_round_trips_and_has_the_schema_line() -> None:
    for path in sorted(DEFINITIONS.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert text.splitlines()[0] == SCHEMA_HEADER
        metric, issues = load_metric_text(text, str(path))
        assert metric is not None, [i.render() for i in issues]
        assert dump_metric(metric) == text, path


def test_json_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), "run `kuntamittari schema`"


def test_expression_parser() -> None:
    expr = parse_expression("(a + b) / c * 1000 - -d")
    assert expr.names() == ("a", "b", "c", "d")
    assert expr.evaluate({"a": 1.0, "b": 3.0, "c": 8.0, "d": 2.0}) == pytest.approx(502.0)
    assert expr.render() == "(a + b) / c * 1000 - -d"
    assert math.isnan(expr.evaluate({"a": 1.0, "b": 1.0, "c": 0.0, "d": 0.0}))  # x / 0 is no value
    for bad in ("a ** 2", "a if b else c", "f(a)", "a.b", "a[0]", "'text'", "a < b", "lambda: 1"):
        with pytest.raises(ExpressionError):
            parse_expression(bad)


def test_load_metric_text_returns_issues_not_exceptions() -> None:
    metric, issues = load_metric_text("id: [unclosed\n", "x.yaml")
    assert metric is None and issues[0].code == "yaml-syntax" and issues[0].line == 1
    metric, issues = load_metric_text("just text", "x.yaml")
    assert metric is None and issues[0].code == "not-a-mapping"


def test_draft_may_lack_translations(tmp_path: Path) -> None:
    text = (BROKEN / "economy_services" / "missing_translation.yaml").read_text(encoding="utf-8")
    text = text.replace("status: approved", "status: draft").replace("id: missing_translation", "id: draft_ok")
    metric, issues = load_metric_text(text, "draft_ok.yaml")
    assert metric is not None and issues == []


def test_derived_dump_round_trip() -> None:
    metric = load_catalog(DEFINITIONS).get("migration_balance_rate")
    assert isinstance(metric, DerivedMetric)
    again, issues = load_metric_text(dump_metric(metric), "migration_balance_rate.yaml")
    assert again == metric and issues == []


def test_issue_render_format() -> None:
    issue = Issue("error", "invalid-value", "metrics/definitions/young_people/youth_unemployment.yaml", 14, "direction",
                  "'up' is not one of higher_is_better, lower_is_better, neutral")
    assert issue.render() == (
        "metrics/definitions/young_people/youth_unemployment.yaml:14: direction: "
        "'up' is not one of higher_is_better, lower_is_better, neutral"
    )


def test_metrics_locale_complete_in_three_languages() -> None:
    keys = {lang: {k for k in catalogue(lang) if k.startswith("metrics.")} for lang in ("fi", "sv", "en")}
    assert keys["fi"] and keys["fi"] == keys["sv"] == keys["en"]
    for theme in Theme:
        assert f"metrics.theme.{theme.value}" in keys["fi"]
    assert catalogue("sv")["metrics.theme.young_people"] != catalogue("fi")["metrics.theme.young_people"]


def test_aliases_and_huge_files_are_refused_before_they_cost_memory() -> None:
    bomb = "id: x\na: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    metric, issues = load_metric_text(bomb, "bomb.yaml")
    assert metric is None and [(i.code, i.line) for i in issues] == [("yaml-alias", 2)]
    metric, issues = load_metric_text("x" * 300_000, "big.yaml")
    assert metric is None and issues[0].code == "yaml-too-large"
