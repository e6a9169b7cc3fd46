"""The accessibility layer without a browser: the script survives Streamlit's sanitiser, every
replaced Streamlit string has a message in each language, the chart designs carry the
non-colour cues and contrast the browser scan checks, and the menu follows the roles."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from charts import specs
from charts.maps import choropleth, load_layer
from kuntamittari.i18n import catalogue, t
from ui import a11y

LANGS = ("fi", "sv", "en")


@pytest.mark.parametrize("lang", LANGS)
def test_script_survives_dompurify(lang: str) -> None:
    """DOMPurify drops a script whose text has '<' before a letter or '/' (a comment saying
    '<body>' once silently removed the whole layer)."""
    script = a11y.SCRIPT % {"cfg": a11y.script_config(lang)}
    body = script[script.index("<script>") + len("<script>"):script.rindex("</script>")]
    assert re.search(r"<[/\w]", body) is None


@pytest.mark.parametrize("lang", LANGS)
def test_every_streamlit_string_has_a_message(lang: str) -> None:
    messages = catalogue(lang)
    for key in set(a11y.STREAMLIT_STRINGS.values()) | {"limit"}:
        assert messages.get(f"a11y.streamlit.{key}"), key
    cfg = json.loads(a11y.script_config(lang))
    assert cfg["lang"] == lang
    if lang != "en":  # the replacement differs from the English original
        assert cfg["text"]["Skip to main content"] != "Skip to main content"
        assert cfg["text"]["Choose an option"] == t("a11y.streamlit.choose", lang)


def test_upload_limit_pattern_keeps_the_apps_number() -> None:
    cfg = json.loads(a11y.script_config("fi"))
    pattern, replacement = next(p for p in cfg["patterns"] if p[0].startswith("^Limit"))
    text = re.sub(pattern, replacement.replace("$1", r"\1").replace("$2", r"\2"), "Limit 10MB per file • CSV, XLSX")
    assert text == "Enintään 10 Mt / tiedosto • CSV, XLSX"


def _layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def test_ranking_marks_own_area_and_rules_without_colour() -> None:
    frame = pd.DataFrame({"area_code": ["208", "244"], "label": ["Kalajoki", "Kempele"], "value": [8.0, 9.0]})
    rules = pd.DataFrame({"label": ["Pohjois-Pohjanmaa", "Koko maa"], "value": [11.0, 10.0]})
    spec = specs.ranking_chart(frame, value_title="%", decimals=1, highlight=("208",), rules=rules)
    bars, rule = _layers(spec)
    assert bars["encoding"]["strokeWidth"]["condition"]["value"] == 2  # the own bar is outlined
    assert bars["encoding"]["strokeWidth"]["value"] == 0
    dashes = rule["encoding"]["strokeDash"]["scale"]["range"]
    assert len({json.dumps(d) for d in dashes}) == len(dashes) >= 3  # region, county, Finland differ


def test_distribution_points_and_box_reach_three_to_one() -> None:
    frame = pd.DataFrame({"area_code": ["208", "244", "436"], "label": ["A", "B", "C"], "value": [1.0, 2.0, 3.0]})
    spec = specs.distribution_chart(frame, value_title="%", decimals=1, highlight=("208",))
    text = json.dumps(spec)
    assert '"opacity": 0.5' not in text
    points = [layer for layer in _layers(spec) if isinstance(layer.get("mark"), dict) and layer["mark"].get("type") == "point"]
    assert points and points[0]["mark"]["opacity"] == 1
    assert specs.EDGE in text  # the pale box has a grey edge


def test_map_fills_have_a_visible_edge() -> None:
    layer = load_layer("kunnat_2023")
    values = pd.DataFrame({"area_code": ["208"], "label": ["Kalajoki"], "value": [5.0]})
    spec = choropleth(values, layer, value_title="%", decimals=1, highlight=("208",))
    fill = spec["layer"][0]["mark"]
    assert fill["stroke"] == specs.EDGE and fill["strokeWidth"] > 0


def test_menu_lists_only_allowed_pages(settings_env) -> None:  # type: ignore[no-untyped-def]
    from ui.app_shell import menu_sections
    from ui.auth import current_user

    settings_env(AUTH_MODE="local", PUBLIC_ONLY=None)
    public = menu_sections(None, True, "en")
    from ui.navigation import available_pages

    expected = [spec.id for spec in available_pages() if spec.audience != "internal"]
    assert [spec.id for _title, pages in public for spec in pages] == expected
    assert "public_summary" in expected and "overview" not in expected
    settings_env(AUTH_MODE="none")
    admin = current_user()  # sign-in off: everyone is an admin
    sections = menu_sections(admin, False, "sv")
    everything = [spec.id for _title, pages in sections for spec in pages]
    assert "overview" in everything and "authoring" in everything
    assert sections[0][0] == t("app.section.dashboard", "sv")


def test_chart_toolbar_names_are_translated() -> None:
    cfg = json.loads(a11y.script_config("sv"))
    pattern, replacement = next(p for p in cfg["patterns"] if p[0].startswith("^Show"))
    text = re.sub(pattern, replacement.replace("$1", r"\1"), "Show data: Stapeldiagram")
    assert text == "Visa data: Stapeldiagram"
