"""`kuntamittari forecast`: the forecasting layer from the command line (registered on the main app).

`kuntamittari forecast METRIC_ID --area CODE [--area CODE ...] [--until YEAR] [--json]` prints what
the forecast page shows: history, the recommended model's forecast with its calibrated interval,
every model's backtest errors and measured coverage, the scenarios and the plain-language
explanation. `--until` defaults to 5 years past the last observed year; a longer horizon is
allowed with a warning that the interval is wide. Exit codes: 0 ok, 1 no forecast
could be made (data), 2 usage or configuration error (unknown metric or area, bad file).

`kuntamittari forecast accuracy [--areas pilot|CODE,CODE] [--metric ID ...] [--write] [--json]`
backtests every approved metric (or the `--metric`s) for the areas and prints the models'
measured accuracy (`forecasting.accuracy`); `--write` stores it in the warehouse
(`forecasting.accuracy_store`), where the transparency page reads it. The pilot set x every
metric takes minutes (about 1.5 s per series with every model).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.options import DbOpt, DirOpt, LangOpt
from typer.core import TyperGroup

from cli.guard import guarded, say_error
from cli.database import open_engine
from datamodel.errors import ConfigError, DataModelError
from forecasting.base import ForecastError
from forecasting.scenarios import BaselineScenario, Scenario, ScenarioError, load_scenarios
from kuntamittari.i18n import configured_language, t
from kuntamittari.settings import get_settings
from metrics.errors import AreaNotFound, MetricNotFound, MetricsError
from readout.text import text_plain

logger = logging.getLogger(__name__)


_guard = guarded(usage=(MetricNotFound, AreaNotFound, ScenarioError, ConfigError),
                 failure=(ForecastError, MetricsError, DataModelError))


def _fmt(value: Any, decimals: int, lang: str) -> str:
    from readout.forecast import fmt_number

    return fmt_number(value, decimals, lang)


@_guard
def forecast(
    metric_id: Annotated[str, typer.Argument(help="Metric id, e.g. unemployment_rate.")],
    area: Annotated[list[str], typer.Option("--area", "-a", help="Area code (repeat for several), e.g. 208.")],
    until: Annotated[int | None, typer.Option("--until", min=1900, max=2100,
                                              help="Last year of the forecast (default: 5 years past the data).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: per area and model the forecast, calibrated "
                                                          "interval, measured coverage, backtest errors and folds.")] = False,
    scenarios_file: Annotated[Path | None, typer.Option("--scenarios", help="YAML list of scenarios (see docs/forecasting.md).")] = None,
    target: Annotated[bool, typer.Option("--target/--no-target", help="Add the metric's target path.")] = True,
    lang: LangOpt = None,
    db: DbOpt = None,
    metrics_dir: DirOpt = None,
) -> None:
    """Forecast a metric for one or more areas: every model, backtest, calibrated intervals, scenarios."""
    from readout.forecast import explain
    from forecasting.horizon import DEFAULT_YEARS_AHEAD, default_until, is_long
    from forecasting.metric_adapter import forecast_frame, last_year
    from metrics.catalog import load_catalog
    from metrics.model import Selection
    from metrics.service import query_metric

    language = configured_language(lang)
    scenarios: tuple[Scenario, ...] = (BaselineScenario(),)
    if scenarios_file is not None:
        scenarios = scenarios + tuple(s for s in load_scenarios(scenarios_file) if s.kind != "baseline")
    engine = open_engine(db)
    catalog = load_catalog(metrics_dir, None)
    metric = catalog.get(metric_id)
    frame = query_metric(engine, catalog, metric_id, Selection(areas=tuple(area)))
    drivers = sorted({s.driver for s in scenarios if s.kind == "driver"})
    driver_frames = {d: query_metric(engine, catalog, d, Selection(areas=tuple(area))) for d in drivers}
    last = last_year(frame)
    if until is None:
        until = default_until(last) if last is not None else default_until(2000)
    elif last is not None and is_long(until, last):
        say_error(t("forecasting.page.until_long", language, years=DEFAULT_YEARS_AHEAD, last=last))
    result = forecast_frame(frame, metric, area, until, scenarios=scenarios, with_target=target, executor="auto",
                            driver_frames=driver_frames,
                            driver_min_counts={d: int(catalog.get(d).min_count) for d in drivers})
    unit = text_plain(metric.unit, language)
    driver_names = {s.driver: text_plain(catalog.get(s.driver).name, language)
                    for s in scenarios if s.kind == "driver" and s.driver in catalog.metrics}
    explanations = {a.area_code: explain(a, language, unit=unit, decimals=metric.decimals, driver_names=driver_names)
                    for a in result.areas}
    if as_json:
        data = result.to_dict()
        for code, text in explanations.items():
            data["areas"][code]["explanation"] = text
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _print_text(result, explanations, metric, language)
    for code, reason in result.failures.items():
        say_error(f"{code}: {t('forecasting.cli.not_enough', language, reason=reason)}")
    if not result.areas:
        raise typer.Exit(1)


def _print_text(result: Any, explanations: dict[str, list[str]], metric: Any, lang: str) -> None:
    from readout.forecast import model_label

    d = metric.decimals
    typer.echo(f"{text_plain(metric.name, lang)} ({result.metric_id}) — {t('common.source_sotkanet', lang)}")
    for a in result.areas:
        typer.echo("")
        typer.echo(f"== {a.area_code}")
        typer.echo(f"{t('forecasting.page.history', lang)}: " + ", ".join(
            f"{p} {_fmt(v, d, lang)}" for p, v in zip(a.history["period"].tail(5), a.history["value"].tail(5), strict=True)))
        typer.echo(f"{t('forecasting.page.forecast', lang)} ({model_label(a.model, lang)}):")
        for r in a.forecast.itertuples(index=False):
            typer.echo(f"  {r.period}  {_fmt(r.yhat, d, lang):>8}  [{_fmt(r.lower, d, lang)} – {_fmt(r.upper, d, lang)}]")
        typer.echo(f"{t('forecasting.page.backtest_title', lang)}:")
        for m in a.models:
            s, cal = m.score, m.calibration
            inside = f"{cal.hits}/{cal.checked}" if cal and cal.checked else "–"
            mark = "*" if m.name == a.model else " "
            typer.echo(f" {mark}{model_label(m.name, lang):<40} MAE {_fmt(s.mae if s and s.folds else None, 2, lang):>6}  "
                       f"MAPE {_fmt(s.mape if s and s.folds else None, 1, lang):>6} %  "
                       f"{t('forecasting.page.col_folds', lang)} {s.folds if s else 0}  80 %: {inside}")
        for o in a.outcomes:
            if o.kind != "baseline" and o.error is None:
                typer.echo(f"  {t('forecasting.scenario.' + o.kind, lang)} [{o.key}]: {o.end_period} {_fmt(o.end_value, d, lang)}")
        for paragraph in explanations.get(a.area_code, []):
            typer.echo(paragraph)


def _areas(value: str) -> tuple[str, ...]:
    if value.strip().lower() == "pilot":
        return tuple(get_settings().pilot_group)
    codes = tuple(c.strip() for c in value.split(",") if c.strip())
    if not codes:
        raise typer.BadParameter("give 'pilot' or area codes separated by commas", param_hint="--areas")
    return codes


@_guard
def accuracy(
    areas: Annotated[str, typer.Option("--areas", help="'pilot' (the pilot municipalities) or codes: 208,091.")] = "pilot",
    metric: Annotated[list[str] | None, typer.Option("--metric", "-m", help="Metric id (repeat; default: every approved metric).")] = None,
    write: Annotated[bool, typer.Option("--write", help="Store the summary in the database (the transparency page shows it).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    lang: LangOpt = None,
    db: DbOpt = None,
    metrics_dir: DirOpt = None,
) -> None:
    """Measure the forecast models' accuracy (backtest) over areas x approved metrics; --write stores it."""
    from forecasting.accuracy import load_histories, newest_batch, run_backtests, summarise
    from forecasting.accuracy_store import save_summary
    from forecasting.base import ForecastSettings
    from metrics.catalog import load_catalog
    from readout.about_words import accuracy_paragraph, accuracy_table

    language = configured_language(lang)
    codes = _areas(areas)
    engine = open_engine(db)
    catalog = load_catalog(metrics_dir, None)
    for metric_id in metric or ():
        catalog.get(metric_id)  # an unknown id is a usage error (exit 2)
    histories = load_histories(engine, catalog, codes, metric)
    n = sum(len(h) for h in histories.values())
    if not n:
        say_error(t("accuracy.cli.nothing", language))
        raise typer.Exit(1)
    say_error(t("accuracy.cli.measuring", language, series=t("counts.time_series", language, count=n),
                areas=t("counts.areas", language, count=len(codes)), metrics=t("counts.metrics", language, count=len(histories))))
    settings = ForecastSettings()
    summary = summarise(run_backtests(histories, catalog, settings, executor="auto"), settings.models, areas=codes,
                        data_batch=newest_batch(engine), interval=settings.interval_width)
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
    else:
        table = accuracy_table(summary, language)
        typer.echo(accuracy_paragraph(summary, language).replace("**", ""))
        typer.echo(" | ".join(table.columns))
        for row in table.rows:
            typer.echo(" | ".join(row))
    if write:
        save_summary(engine, summary)
    say_error(t("accuracy.cli.saved" if write else "accuracy.cli.not_saved", language))


class _MetricByDefault(TyperGroup):
    """`forecast METRIC --area ...` stays the one-metric forecast; `forecast accuracy` is the summary."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["metric", *args]
        return super().parse_args(ctx, args)


forecast_app = typer.Typer(cls=_MetricByDefault, no_args_is_help=True,
                           help="Forecast a metric (forecast METRIC --area CODE) or measure the models' accuracy.")
forecast_app.command("metric", hidden=True)(forecast)
forecast_app.command("accuracy")(accuracy)


def register(app: typer.Typer) -> None:
    """Add this package's commands to `app`."""
    app.add_typer(forecast_app, name="forecast")
