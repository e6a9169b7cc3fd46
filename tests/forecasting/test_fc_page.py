"""The forecast page (AppTest) for a pilot municipality: it shows the numbers the service computes."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from forecasting.explain import fmt_number
from forecasting.scenarios import BaselineScenario, TargetScenario
from forecasting.service import forecast_series, settings_for_metric
from kuntamittari.i18n import t

from fc_data import sotkanet_series

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "forecast.py")


def test_page_shows_forecast_backtest_and_scenarios_for_kalajoki(private_app_env: Path) -> None:
    from metrics.catalog import load_catalog

    metric = load_catalog().get("unemployment_rate")
    expected = forecast_series(sotkanet_series(181, "208"), 2030, settings_for_metric(metric),
                               (BaselineScenario(), TargetScenario(value=8.0, year=2015)), area_code="208")
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.query_params["area"] = "208"
    at.query_params["metric"] = "unemployment_rate"
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == t("forecasting.page.title", "fi")
    # the chart has history, forecast and its interval
    chart = at.get("vega_lite_chart")[0].proto
    assert '"type": "area"' in chart.spec and '"strokeDash"' in chart.spec
    points = pa.ipc.open_stream(chart.datasets[0].data.data).read_all().to_pandas()
    forecast = points[points["series"] == "Ennuste"].set_index("period")
    assert forecast.loc["2030", "value"] == pytest.approx(float(expected.forecast["yhat"].iloc[-1]))
    assert forecast.loc["2030", "lower"] == pytest.approx(float(expected.forecast["lower"].iloc[-1]))
    history = points[points["series"] == "Toteutunut"].set_index("period")
    assert history.loc["2011", "value"] == 8.0 and len(history) == 21
    # the explanation states the forecast for 2030 and the backtest result from the service
    text = "\n".join(m.value for m in at.markdown)
    end = fmt_number(float(expected.forecast["yhat"].iloc[-1]), 1, "fi")
    assert f"→ {end}\u00a0% (2030)" in text
    wins, folds = expected.backtest.wins("prophet", "naive")
    assert f"{wins}/{folds} testivuotena" in text
    # the backtest table shows the service's MAE per model
    backtest = at.dataframe[0].value
    shown = dict(zip(backtest[t("forecasting.page.col_model", "fi")], backtest[t("forecasting.page.col_mae", "fi")], strict=True))
    assert shown["Prophet-malli"] == fmt_number(expected.backtest.score("prophet").mae, 2, "fi")
    assert shown["sama kuin viime vuonna"] == fmt_number(expected.backtest.score("naive").mae, 2, "fi")
    # the scenario table has the metric's target path (8 % by 2015) beside the baseline
    scenarios = at.dataframe[1].value
    assert len(scenarios) == 2 and "Tavoitepolku 8,0 (2015)" in set(scenarios[t("forecasting.page.col_scenario", "fi")])
    assert [b.label for b in at.get("download_button")] == [t("forecasting.page.download", "fi")]

    # a level shift of -1 from 2015 is one more row, 1.0 below the baseline in 2030
    at.checkbox(key="fc_ls").check().run()
    assert not at.exception, at.exception
    rows = at.dataframe[1].value
    level = rows[rows[t("forecasting.page.col_scenario", "fi")].str.startswith("Tasosiirto")]
    base_end = float(expected.forecast["yhat"].iloc[-1])
    assert level[t("forecasting.page.col_value", "fi")].iloc[0] == fmt_number(max(base_end - 1.0, 0.0), 1, "fi")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_page_in_other_languages(private_app_env: Path, lang: str) -> None:
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.query_params["area"] = "208"
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == t("forecasting.page.title", lang)
    assert at.dataframe[0].value.columns[0] == t("forecasting.page.col_area", lang)
