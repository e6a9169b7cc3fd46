"""The forecast page (AppTest) for a pilot municipality: it shows the numbers the service computes."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from readout.forecast import fmt_number, model_label
from forecasting.metric_adapter import settings_for_metric
from forecasting.scenarios import BaselineScenario, TargetScenario
from forecasting.service import forecast_series
from kuntamittari.i18n import t

from fc_data import sotkanet_series

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "forecast.py")


def _chart_points(at: AppTest):  # type: ignore[no-untyped-def]
    chart = at.get("vega_lite_chart")[0].proto
    return chart, pa.ipc.open_stream(chart.datasets[0].data.data).read_all().to_pandas()


def test_page_shows_recommended_model_with_calibrated_band_for_kalajoki(private_app_env: Path) -> None:
    from metrics.catalog import load_catalog

    metric = load_catalog().get("unemployment_rate")
    expected = forecast_series(sotkanet_series(181, "208"), 2016, settings_for_metric(metric),
                               (BaselineScenario(), TargetScenario(value=8.0, year=2015)), area_code="208")
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.query_params["area"] = "208"
    at.query_params["metric"] = "unemployment_rate"
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == t("forecasting.page.title", "fi")
    # a sensible horizon: 5 years past the last observed year (2011), chosen by the year
    until = at.selectbox(key="fc_until")
    long_warning = t("forecasting.page.until_long", "fi", years=5, last=2011)
    assert until.value == 2016 and until.options[:2] == ["2012", "2013"]
    assert long_warning not in [w.value for w in at.warning]
    # the chart has history, the recommended model's forecast and its calibrated band
    chart, points = _chart_points(at)
    assert '"type": "area"' in chart.spec and '"strokeDash"' in chart.spec
    forecast = points[points["series"] == "Ennuste"].set_index("period")
    assert list(forecast.index) == ["2011", "2012", "2013", "2014", "2015", "2016"]
    assert forecast.loc["2016", "value"] == pytest.approx(float(expected.forecast["yhat"].iloc[-1]))
    assert forecast.loc["2016", "upper"] == pytest.approx(float(expected.forecast["upper"].iloc[-1]))
    # no bound outside the metric's range (a share: 0-100 %)
    bands = points.dropna(subset=["lower"])
    assert (bands["lower"] >= 0).all() and (bands["upper"] <= 100).all() and len(bands) == 5
    history = points[points["series"] == "Toteutunut"].set_index("period")
    assert history.loc["2011", "value"] == 8.0 and len(history) == 21
    # the explanation names the shown model and how often its band held in past years
    text = "\n".join(m.value for m in at.markdown)
    cal = expected.shown.calibration
    assert f"{cal.hits}/{cal.checked} toteutunutta arvoa" in text
    assert "10 lähtövuotta" in text
    # the backtest table: per model MAE, folds and coverage, and which model is on the chart
    table = at.dataframe[0].value
    rows = table.set_index(t("forecasting.page.col_model", "fi"))
    for m in expected.models:
        row = rows.loc[model_label(m.name, "fi")]
        assert row[t("forecasting.page.col_mae", "fi")] == fmt_number(m.score.mae, 2, "fi")
        assert row[t("forecasting.page.col_coverage", "fi")] == f"{m.calibration.hits}/{m.calibration.checked}"
        assert row[t("forecasting.page.col_folds", "fi")] == 10
    shown = rows[rows[t("forecasting.page.col_shown", "fi")] != ""]
    assert list(shown.index) == [model_label(expected.model, "fi")]
    # the scenario table has the metric's target path (8 % by 2015) beside the baseline
    scenarios = at.dataframe[1].value
    assert len(scenarios) == 2 and "Tavoitepolku 8,0 (2015)" in set(scenarios[t("forecasting.page.col_scenario", "fi")])
    assert [b.label for b in at.get("download_button")] == [t("forecasting.page.download", "fi")]

    # a horizon past the checked five years is allowed, with a warning that the band is wide
    at.selectbox(key="fc_until").select(2030).run()
    assert not at.exception, at.exception
    assert long_warning in [w.value for w in at.warning]
    _, points = _chart_points(at)
    bands = points.dropna(subset=["lower"])
    assert (bands["lower"] >= 0).all() and (bands["upper"] <= 100).all() and bands["period"].max() == "2030"

    # Prophet (what the workshops learn) and the other models can be drawn beside the shown one
    at.checkbox(key="fc_all_models").check().run()
    _, points = _chart_points(at)
    other = "prophet" if expected.model != "prophet" else "ets"
    line = points[points["series"] == model_label(other, "fi")].set_index("period")
    assert len(line) == 19 and line["lower"].isna().all()
    expected_line = expected.get_model(other).forecast.set_index("period")["yhat"]
    assert line.loc["2016", "value"] == pytest.approx(float(expected_line["2016"]))


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_page_in_other_languages(private_app_env: Path, lang: str) -> None:
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.query_params["area"] = "208"
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == t("forecasting.page.title", lang)
    assert at.dataframe[0].value.columns[0] == t("forecasting.page.col_area", lang)
