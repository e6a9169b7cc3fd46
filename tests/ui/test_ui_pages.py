"""The dashboard pages in AppTest against the bundled THL Sotkanet data.

Runs each page both ways Streamlit runs it (through app.py and alone; see docs/dashboard.md, "pages run alone"), in
every language, and drives the main widgets. Expected numbers come from the bundled source files.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from ui.cards import TARGET_STYLE
from ui.render import csv_bytes

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
DATA = ROOT / "datamodel" / "data" / "sotkanet-2013"
PAGES = {
    "overview": "pages/overview.py",
    "compare": "pages/compare.py",
    "metric_detail": "pages/metric_detail.py",
    "data_status": "pages/data_status.py",
}
TIMEOUT = 60


def source_value(indicator: int, municipality: str, year: int) -> float:
    """A value straight from the bundled Sotkanet file (municipality code -> Sotkanet region id)."""
    with (DATA / "areas.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    code_col = next(c for c in rows[0] if "code" in c.lower() or "koodi" in c.lower())
    region_col = next(c for c in rows[0] if "sotkanet" in c.lower() and "id" in c.lower())
    region = int(next(r for r in rows if r[code_col] == municipality)[region_col])
    with gzip.open(DATA / "data" / f"indicator_{indicator}.json.gz", "rt", encoding="utf-8") as handle:
        records = json.load(handle)
    return next(float(r["value"]) for r in records
                if r["region"] == region and r["year"] == year and r.get("gender", "total") == "total")


def fi_number(value: float, decimals: int = 1) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


def page(path: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def markdowns(at: AppTest) -> list[str]:
    """The Markdown bodies as the reader sees their text: the readout's words reach Markdown
    escaped (`readout.text.escape_markdown`), and a renderer drops the backslashes."""
    return [re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", m.value) for m in at.markdown]


def card_value(at: AppTest, name: str) -> str:
    """The big number right after a card's bold name."""
    texts = markdowns(at)
    index = texts.index(f"**{name}**")
    return texts[index + 1].split(" <small>")[0].removeprefix("### ")


def datasets(chart: object) -> dict[str, pd.DataFrame]:
    """The named datasets of a drawn chart (Streamlit sends them as Arrow beside the spec)."""
    import pyarrow as pa

    out = {}
    for item in chart.proto.datasets:  # type: ignore[attr-defined]
        out[item.name] = pa.ipc.open_stream(item.data.data).read_all().to_pandas()
    return out


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.fixture(scope="module")
def overview(app_env: dict[str, str]) -> AppTest:
    return page("app.py")


def test_overview_card_shows_source_value_for_kalajoki_unemployment(overview: AppTest) -> None:
    assert_clean(overview)
    expected = source_value(181, "208", 2011)
    assert card_value(overview, "Työttömyysaste") == fi_number(expected)
    assert overview.title[0].value == t("overview.title", "fi", area="Kalajoki")
    assert dict(overview.query_params)["area"] == "208"
    assert any("Lähde: THL, Sotkanet" in c.value for c in overview.caption)


def test_overview_card_shows_change_comparison_status_and_sparkline(overview: AppTest) -> None:
    texts = markdowns(overview)
    index = texts.index("**Työttömyysaste**")
    block = texts[index: index + 8]
    change = source_value(181, "208", 2011) - source_value(181, "208", 2010)
    assert any(f"**{fi_number(change).replace('-', chr(0x2212))}**" in line for line in block)
    assert any(line.startswith("Pohjois-Pohjanmaa:") for line in block)
    assert any("badge[" in line and t("readout.target.on_target", "fi") in line for line in block)
    assert any('role="img"' in line and "2011: " + fi_number(source_value(181, "208", 2011)) in line for line in block)


def test_widget_changes_municipality_and_url(overview: AppTest) -> None:
    overview.selectbox(key="km_w_area").set_value("244").run()
    assert_clean(overview)
    assert dict(overview.query_params)["area"] == "244"
    assert card_value(overview, "Työttömyysaste") == fi_number(source_value(181, "244", 2011))
    overview.selectbox(key="km_w_area").set_value("208").run()


def test_comparison_group_changes_the_compared_value(overview: AppTest) -> None:
    overview.selectbox(key="km_w_cmp").set_value("finland").run()
    assert_clean(overview)
    assert dict(overview.query_params)["cmp"] == "finland"
    texts = markdowns(overview)
    block = texts[texts.index("**Työttömyysaste**"):][:6]
    assert any(line.startswith(t("app.compare.finland", "fi") + ":") for line in block)
    overview.selectbox(key="km_w_cmp").set_value("region").run()


def test_sort_worsening_first_and_only_off_target(overview: AppTest) -> None:
    overview.selectbox(key="km_w_sort").set_value("worsening").run()
    assert_clean(overview)
    badges = [m for m in markdowns(overview) if "badge[" in m and ":material/trending" in m]
    worsening = t("readout.trend.worsening", "fi")
    flags = [worsening in b for b in badges]
    assert any(flags)
    assert flags == sorted(flags, reverse=True)  # all worsening ones come first
    # A fresh run for the filter: in AppTest a toggle set after a URL-backed choice changed is
    # reset on the next run (this step used to pass or fail depending on the test order).
    overview = page("app.py")
    overview.toggle(key="ov_only_off").set_value(True).run()
    off = t("readout.target.off_target", "fi")
    target_badges = [m for m in markdowns(overview) if "badge[" in m and any(icon in m for icon, _c in TARGET_STYLE.values())]
    assert target_badges and all(off in b for b in target_badges)
    overview.toggle(key="ov_only_off").set_value(False).run()
    overview.selectbox(key="km_w_sort").set_value("theme").run()


def test_unpublished_year_is_explained(app_env: dict[str, str]) -> None:
    at = page("pages/overview.py", area="436", period="2011")
    assert_clean(at)
    infos = [i.value for i in at.info]
    assert any("Lumijoki" in i and "2011" in i and "2010" in i for i in infos), infos


def test_missing_data_card_says_so_instead_of_an_empty_chart(app_env: dict[str, str]) -> None:
    at = page("pages/overview.py", area="208", lang="en")
    infos = [i.value for i in at.info]
    assert any(i.startswith("THL, Sotkanet has not published") and "Kalajoki" in i for i in infos), infos


def test_invalid_url_values_fall_back_with_a_message(app_env: dict[str, str]) -> None:
    at = page("pages/overview.py", lang="de", area="999", cmp="moon")
    assert_clean(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "999" in warnings and "moon" in warnings and "de" in warnings
    params = dict(at.query_params)
    assert (params["lang"], params["area"], params["cmp"]) == ("fi", get_settings().default_area, "region")


def test_url_reproduces_the_view(app_env: dict[str, str]) -> None:
    at = page("pages/overview.py", lang="sv", area="KU678", cmp="county")
    assert_clean(at)
    assert at.title[0].value == t("overview.title", "sv", area="Brahestad")
    assert dict(at.query_params)["area"] == "678"
    assert at.selectbox(key="km_w_cmp").value == "county"


@pytest.mark.parametrize("page_id", list(PAGES))
def test_every_page_in_every_language_alone(app_env: dict[str, str], page_id: str) -> None:
    at = AppTest.from_file(str(ROOT / PAGES[page_id]), default_timeout=TIMEOUT)
    for lang in ("fi", "sv", "en"):
        at.query_params["lang"] = lang
        at.run()
        assert_clean(at)
        assert dict(at.query_params)["lang"] == lang
        assert at.sidebar.selectbox(key="km_w_lang").value == lang
        # the sources of what is shown, from the data's provenance (name, licence, date), in the language
        source = t("readout.source.fetched", lang, name="THL, Sotkanet", licence="CC BY 4.0", date="")
        assert any(source in c.value for c in at.caption), lang


def test_every_page_through_app_py(app_env: dict[str, str]) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert_clean(at)
    for path in PAGES.values():
        at.switch_page(path).run()
        assert_clean(at)
        assert at.sidebar.selectbox(key="km_w_area").value == "208"


def test_compare_page_ranks_and_maps(app_env: dict[str, str]) -> None:
    at = page("pages/compare.py", metric="unemployment_rate", areas="208,244,436")
    assert_clean(at)
    charts = at.get("vega_lite_chart")
    assert len(charts) == 4  # ranking, small multiples, distribution, map
    bars = datasets(charts[0])["bars"]
    assert set(bars["area_code"]) == {"208", "244", "436"}
    kalajoki = bars[bars["area_code"] == "208"]["value"].iloc[0]
    assert kalajoki == pytest.approx(source_value(181, "208", 2011))
    map_data = datasets(charts[3])
    assert "geo_kunnat_2013" in map_data or "geo_kunnat_2013" in json.loads(charts[3].proto.spec).get("datasets", {})
    assert any("National Land Survey" in c.value for c in at.caption)
    table = at.dataframe[0].value
    assert list(table[t("compare.col.code", "fi")]) == sorted(["208", "244", "436"], key=lambda c: source_value(181, c, 2011))
    at.multiselect(key="km_w_areas").set_value(["208", "494"]).run()
    assert dict(at.query_params)["areas"] == "208,494"


def test_compare_explains_empty_metric(app_env: dict[str, str]) -> None:
    at = page("pages/compare.py", metric="good_quality_of_life", lang="en")
    assert_clean(at)
    assert any("has not published" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")


def test_detail_page_table_and_downloads(app_env: dict[str, str]) -> None:
    at = page("pages/metric_detail.py", metric="unemployment_rate", cmp="region")
    assert_clean(at)
    assert at.title[0].value == "Työttömyysaste"
    table = at.dataframe[0].value
    kalajoki = table[(table[t("detail.col.area", "fi")] == "Kalajoki") & (table[t("detail.col.period", "fi")] == "2011")]
    assert list(kalajoki[t("detail.col.value", "fi")]) == [fi_number(source_value(181, "208", 2011))]
    assert len(at.get("download_button")) == 2
    assert any("sotkanet" in m.lower() and "CC BY 4.0" in m for m in markdowns(at))
    series = datasets(at.get("vega_lite_chart")[0])["series"]
    assert set(series["series"]) == {"Kalajoki", "Pohjois-Pohjanmaa"}


def test_detail_page_unknown_metric_falls_back(app_env: dict[str, str]) -> None:
    at = page("pages/metric_detail.py", metric="no_such_metric")
    assert_clean(at)
    assert any("no_such_metric" in w.value for w in at.warning)


def test_csv_download_is_the_shown_table() -> None:
    shown = pd.DataFrame({"Alue": ["Kalajoki"], "Arvo": ["8,0"]})
    back = pd.read_csv(io.BytesIO(csv_bytes(shown, "fi")), sep=";", dtype=str, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(back, shown, check_dtype=False)


def test_data_status_lists_the_bundled_load(app_env: dict[str, str]) -> None:
    at = page("pages/data_status.py", lang="en")
    assert_clean(at)
    loads = at.dataframe[0].value
    assert "sotkanet" in set(loads[t("status.col.source", "en")])
    metrics = at.dataframe[1].value
    assert "unemployment_rate" in set(metrics[t("status.col.id", "en")])


def test_internal_pages_need_sign_in(app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KUNTAMITTARI_AUTH_MODE", "local")
    monkeypatch.setenv("KUNTAMITTARI_USERS_FILE", str(tmp_path / "users.toml"))
    get_settings.cache_clear()
    try:
        at = page("pages/overview.py")
        assert not at.exception
        assert not any(m.startswith("**Työttömyysaste") for m in markdowns(at))
        assert any(t("auth.no_users", "fi") in i.value or t("auth.sign_in_needed", "fi") in i.value for i in at.info)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


# ---------------------------------------------------------------------------- bad URL values: a message, never a traceback


def invalid_notice(at: AppTest, param: str, value: str, lang: str = "fi", key: str = "app.invalid_param") -> list[str]:
    wanted = t(key, lang, param=param, value=value)
    return [w.value for w in at.warning if w.value == wanted]


def test_compare_drops_unknown_municipalities_with_a_message(app_env: dict[str, str]) -> None:
    at = page("pages/compare.py", metric="unemployment_rate", areas="999,KU244,abc")
    assert_clean(at)
    assert invalid_notice(at, "areas", "999,abc", key="app.invalid_items"), [w.value for w in at.warning]
    assert dict(at.query_params)["areas"] == "244"  # KU244 is Kalajoki's neighbour 244, written the long way


def test_language_and_area_codes_are_read_leniently(app_env: dict[str, str]) -> None:
    at = page("pages/metric_detail.py", lang="SV", area="ku208")
    assert_clean(at)
    assert not [w.value for w in at.warning if "SV" in w.value or "ku208" in w.value]
    assert (dict(at.query_params)["lang"], dict(at.query_params)["area"]) == ("sv", "208")


def test_public_summary_bad_and_long_area_codes(app_env: dict[str, str]) -> None:
    at = page("pages/public_summary.py", area="KU208", lang="en")
    assert_clean(at)
    assert not at.warning or not any("KU208" in w.value for w in at.warning)
    assert dict(at.query_params)["area"] == "208"
    at = page("pages/public_summary.py", area="999")
    assert_clean(at)
    assert len(invalid_notice(at, "area", "999")) == 1  # once, not once by the frame and again by the page
    assert dict(at.query_params)["area"] == get_settings().default_area


def test_page_without_sidebar_replaces_an_invalid_area_in_the_url(app_env: dict[str, str]) -> None:
    at = page("pages/training.py", area="999", period="abc")
    assert_clean(at)
    assert invalid_notice(at, "area", "999") and invalid_notice(at, "period", "abc")
    params = dict(at.query_params)
    assert params["area"] == get_settings().default_area and "period" not in params


def test_forecast_without_data_explains_in_the_page_language(app_env: dict[str, str]) -> None:
    from forecasting.service import MIN_POINTS

    at = page("pages/forecast.py", metric="good_quality_of_life", area="208", lang="sv")
    assert_clean(at)
    warnings = [w.value for w in at.warning]
    assert t("forecasting.page.failed_too_few", "sv", area="Kalajoki", min=MIN_POINTS) in warnings, warnings
    assert not any("published values" in w for w in warnings)
